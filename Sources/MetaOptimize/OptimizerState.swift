import Foundation
import RuleKernels

// MetaOptimize's checkpoint state: β, the trace, the rules' declared buffers (under the names their lanes
// declare), z, and the four bias-correction powers.

/// One named buffer of an optimizer's state: the name it is saved under, its storage and its length.
typealias StateBuffer = (name: String, pointer: UnsafeMutablePointer<Float>, count: Int)

/// The parts of a state that MetaOptimize's variants (Hessian-free and exact) save and check alike.
extension OptimizerState {
    /// "`prefix` `sorted JSON of identity`": a state restores only into an optimizer with the same identity.
    static func methodIdentity(_ prefix: String, _ identity: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(identity)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return prefix + " " + json
    }

    /// The bias-correction powers as scalars (`basePower`, `baseMomentumPower`, `metaPower`, `metaMomentumPower`).
    static func powerScalars(base: BiasCorrectionPowers, meta: BiasCorrectionPowers) -> [String: Double] {
        ["basePower": base.normalizer, "baseMomentumPower": base.momentum,
         "metaPower": meta.normalizer, "metaMomentumPower": meta.momentum]
    }

    /// A state whose arrays are copies of `buffers`.
    init(method: String, stepsTaken: Int, divergedAtStep: Int?, divergenceReason: DivergenceReason?,
         buffers: [StateBuffer], scalars: [String: Double]) {
        self.init(method: method, stepsTaken: stepsTaken, divergedAtStep: divergedAtStep,
                  divergenceReason: divergenceReason,
                  arrays: buffers.map { NamedArray(name: $0.name, values: Array(UnsafeBufferPointer(start: $0.pointer, count: $0.count))) },
                  scalars: scalars)
    }

    /// Checks what every MetaOptimize state must satisfy beyond its shape: finite β with finite α = e^β, and every
    /// `…Power` scalar in [0, 1].
    func checkStepSizesAndPowers() throws {
        guard self[array: "logStepSizes"].allSatisfy({ $0.isFinite && stepSizeFromLog($0).isFinite }) else {
            throw OptimizerError.stateMismatch(field: "logStepSizes", expected: "finite values with finite exp",
                                               found: "a non-finite value")
        }
        for (name, power) in scalars where name.hasSuffix("Power") && !(power.isFinite && power >= 0 && power <= 1) {
            throw OptimizerError.stateMismatch(field: name, expected: "a value in [0, 1]", found: "\(power)")
        }
    }

    /// Copies the arrays into `buffers` (same order; validated first), then reads back the powers.
    func copyArrays(into buffers: [StateBuffer], base: inout BiasCorrectionPowers, meta: inout BiasCorrectionPowers) {
        for (buffer, array) in zip(buffers, arrays) where !array.values.isEmpty {
            array.values.withUnsafeBufferPointer { buffer.pointer.update(from: $0.baseAddress!, count: $0.count) }
        }
        base.normalizer = scalars["basePower"]!
        base.momentum = scalars["baseMomentumPower"]!
        meta.normalizer = scalars["metaPower"]!
        meta.momentum = scalars["metaMomentumPower"]!
    }
}

extension MetaOptimizer {
    /// Identifies the resolved configuration, tensors and planned steps (a state restores only into the same).
    var stateMethod: String {
        struct Identity: Encodable {
            var configuration: OptimizerConfiguration
            var tensors: [TensorDescriptor]
            var totalSteps: Int
        }
        return OptimizerState.methodIdentity(
            "metaoptimize", Identity(configuration: configuration, tensors: tensors, totalSteps: totalSteps))
    }

    /// The state's arrays: (name, buffer, length), in checkpoint order.
    private var stateArrays: [StateBuffer] {
        var arrays: [StateBuffer] = [("logStepSizes", beta, groupCount), ("trace", h, parameterCount)]
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
            buffers: stateArrays, scalars: OptimizerState.powerScalars(base: basePowers, meta: metaPowers))
    }

    /// Replaces the whole state with `state` (from ``exportState()`` of an optimizer with the same tensors,
    /// resolved configuration and planned steps). Continuing afterwards is bit-identical to never having stopped.
    /// Throws ``OptimizerError/stateMismatch(field:expected:found:)`` and changes nothing when the state does not fit.
    public func restore(_ state: OptimizerState) throws {
        try state.validate(against: exportState())
        try state.checkStepSizesAndPowers()
        state.copyArrays(into: stateArrays, base: &basePowers, meta: &metaPowers)
        for j in 0 ..< groupCount { alpha[j] = stepSizeFromLog(beta[j]) }
        stepsTaken = state.stepsTaken
        divergedAtStep = state.divergedAtStep
        divergenceReason = state.divergenceReason
    }
}
