import Foundation
import RuleKernels

// MetaOptimize's checkpoint state: β, the trace, the rules' declared buffers (under the names their lanes
// declare), z, and the four bias-correction powers.

extension MetaOptimizer {
    /// Identifies the resolved configuration, tensors and planned steps (a state restores only into the same).
    var stateMethod: String {
        struct Identity: Encodable {
            var configuration: OptimizerConfiguration
            var tensors: [TensorDescriptor]
            var totalSteps: Int
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(Identity(configuration: configuration, tensors: tensors, totalSteps: totalSteps)))
            .map { String(decoding: $0, as: UTF8.self) } ?? ""
        return "metaoptimize " + json
    }

    /// The state's arrays: (name, buffer, length), in checkpoint order.
    private var stateArrays: [(String, UnsafeMutablePointer<Float>, Int)] {
        var arrays: [(String, UnsafeMutablePointer<Float>, Int)] = [("logStepSizes", beta, groupCount),
                                                                    ("trace", h, parameterCount)]
        for (name, buffer) in zip(baseState.names, [s0, s1]) { arrays.append((name, buffer, parameterCount)) }
        for (name, buffer) in zip(metaState.names, [metaS0, metaS1]) { arrays.append((name, buffer, groupCount)) }
        arrays.append(("metaGradients", z, groupCount))
        return arrays
    }

    /// A copy of the complete optimizer state.
    public func exportState() -> OptimizerState {
        OptimizerState(
            method: stateMethod, stepsTaken: stepsTaken, divergedAtStep: divergedAtStep,
            divergenceReason: divergenceReason,
            arrays: stateArrays.map { NamedArray(name: $0.0, values: Array(UnsafeBufferPointer(start: $0.1, count: $0.2))) },
            scalars: ["basePower": basePowers.normalizer, "baseMomentumPower": basePowers.momentum,
                      "metaPower": metaPowers.normalizer, "metaMomentumPower": metaPowers.momentum])
    }

    /// Replaces the whole state with `state` (from ``exportState()`` of an optimizer with the same tensors,
    /// resolved configuration and planned steps). Continuing afterwards is bit-identical to never having stopped.
    /// Throws ``OptimizerError/stateMismatch(field:expected:found:)`` and changes nothing when the state does not fit.
    public func restore(_ state: OptimizerState) throws {
        try state.validate(against: exportState())
        guard state[array: "logStepSizes"].allSatisfy({ $0.isFinite && stepSizeFromLog($0).isFinite }) else {
            throw OptimizerError.stateMismatch(field: "logStepSizes", expected: "finite values with finite exp",
                                               found: "a non-finite value")
        }
        for (name, power) in state.scalars where !(power.isFinite && power >= 0 && power <= 1) {
            throw OptimizerError.stateMismatch(field: name, expected: "a value in [0, 1]", found: "\(power)")
        }
        for ((_, buffer, _), array) in zip(stateArrays, state.arrays) {
            array.values.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: $0.count) }
        }
        for j in 0 ..< groupCount { alpha[j] = stepSizeFromLog(beta[j]) }
        basePowers.normalizer = state.scalars["basePower"]!
        basePowers.momentum = state.scalars["baseMomentumPower"]!
        metaPowers.normalizer = state.scalars["metaPower"]!
        metaPowers.momentum = state.scalars["metaMomentumPower"]!
        stepsTaken = state.stepsTaken
        divergedAtStep = state.divergedAtStep
        divergenceReason = state.divergenceReason
    }
}
