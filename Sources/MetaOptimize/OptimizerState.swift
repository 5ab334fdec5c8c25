import Foundation

/// Everything a ``MetaOptimizer`` needs to continue a run bit-identically (the weights themselves belong to the
/// caller). Arrays are empty for state the configured rules do not have.
///
/// β and the meta state are always finite. Trace and moments are finite too, except after a divergence of kind
/// ``DivergenceReason/nonFiniteMetaGradient`` (an overflowing base update was applied): encode such a state with a
/// `nonConformingFloatEncodingStrategy` if it must be saved.
public struct OptimizerState: Codable, Sendable, Equatable {
    /// Format version of this structure.
    public var schema: Int
    /// The resolved configuration the state belongs to.
    public var configuration: OptimizerConfiguration
    public var tensors: [TensorDescriptor]
    public var totalSteps: Int
    public var stepsTaken: Int
    public var divergedAtStep: Int?
    public var divergenceReason: DivergenceReason?
    /// β, one per step-size group.
    public var logStepSizes: [Float]
    /// Trace h, one per weight.
    public var trace: [Float]
    /// Base first moment m (SGDm, AdamW, Lion), one per weight.
    public var firstMoment: [Float]
    /// Base second moment v (RMSProp, AdamW), one per weight.
    public var secondMoment: [Float]
    /// Meta first moment m̄, one per group.
    public var metaFirstMoment: [Float]
    /// Meta second moment v̄, one per group.
    public var metaSecondMoment: [Float]
    /// z of the last completed step, one per group (informational).
    public var metaGradients: [Float]
    /// P = λ^t of the base rule (Double, as in the official code).
    public var basePower: Double
    /// ρ^t of the base rule (standard-mode bias correction).
    public var baseMomentumPower: Double
    /// P̄ = λ̄^t of the meta rule.
    public var metaPower: Double
    /// ρ̄^t of the meta rule (standard-mode bias correction).
    public var metaMomentumPower: Double

    public static let currentSchema = 1
}

extension MetaOptimizer {
    /// A copy of the complete optimizer state.
    public func exportState() -> OptimizerState {
        func array(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> [Float] { Array(UnsafeBufferPointer(start: p, count: n)) }
        let c = configuration
        let metaUsesM: Bool, metaUsesV: Bool
        switch c.meta {
        case .adam, .mnm: (metaUsesM, metaUsesV) = (true, true)
        case .rmsprop: (metaUsesM, metaUsesV) = (false, true)
        case .lion: (metaUsesM, metaUsesV) = (true, false)
        case .fixed, .sgd, .hypergradient, .idbd: (metaUsesM, metaUsesV) = (false, false)
        }
        return OptimizerState(
            schema: OptimizerState.currentSchema, configuration: c, tensors: tensors, totalSteps: totalSteps,
            stepsTaken: stepsTaken, divergedAtStep: divergedAtStep, divergenceReason: divergenceReason,
            logStepSizes: array(beta, groupCount), trace: array(h, parameterCount),
            firstMoment: usesFirstMoment ? array(m, parameterCount) : [],
            secondMoment: usesSecondMoment ? array(v, parameterCount) : [],
            metaFirstMoment: metaUsesM ? array(metaM, groupCount) : [],
            metaSecondMoment: metaUsesV ? array(metaV, groupCount) : [],
            metaGradients: array(z, groupCount),
            basePower: basePower, baseMomentumPower: baseMomentumPower, metaPower: metaPower,
            metaMomentumPower: metaMomentumPower)
    }

    /// Replaces the whole state with `state` (from ``exportState()`` of an optimizer with the same tensors,
    /// resolved configuration and planned steps). Continuing afterwards is bit-identical to never having stopped.
    /// Throws ``OptimizerError/stateMismatch(field:expected:found:)`` and changes nothing when the state does not fit.
    public func restore(_ state: OptimizerState) throws {
        func mismatch(_ field: String, _ expected: String, _ found: String) -> OptimizerError {
            .stateMismatch(field: field, expected: expected, found: found)
        }
        guard state.schema == OptimizerState.currentSchema else {
            throw mismatch("schema", "\(OptimizerState.currentSchema)", "\(state.schema)")
        }
        guard state.tensors == tensors else {
            throw mismatch("tensors", "the optimizer's \(tensors.count) tensors", "\(state.tensors.count) different tensors")
        }
        guard state.configuration.resolved() == configuration else {
            throw mismatch("configuration", "the optimizer's resolved configuration",
                           "a different configuration (base \(state.configuration.base), meta \(state.configuration.meta))")
        }
        guard state.totalSteps == totalSteps else {
            throw mismatch("totalSteps", "\(totalSteps)", "\(state.totalSteps)")
        }
        guard state.stepsTaken >= 0 else { throw mismatch("stepsTaken", ">= 0", "\(state.stepsTaken)") }
        let reference = exportState()
        let arrays: [(String, [Float], [Float])] = [
            ("logStepSizes", state.logStepSizes, reference.logStepSizes),
            ("trace", state.trace, reference.trace),
            ("firstMoment", state.firstMoment, reference.firstMoment),
            ("secondMoment", state.secondMoment, reference.secondMoment),
            ("metaFirstMoment", state.metaFirstMoment, reference.metaFirstMoment),
            ("metaSecondMoment", state.metaSecondMoment, reference.metaSecondMoment),
            ("metaGradients", state.metaGradients, reference.metaGradients),
        ]
        for (name, found, expected) in arrays where found.count != expected.count {
            throw mismatch(name, "\(expected.count) values", "\(found.count) values")
        }
        guard state.logStepSizes.allSatisfy({ $0.isFinite && stepSizeFromLog($0).isFinite }) else {
            throw mismatch("logStepSizes", "finite values with finite exp", "a non-finite value")
        }
        for power in [state.basePower, state.baseMomentumPower, state.metaPower, state.metaMomentumPower]
        where !(power.isFinite && power >= 0 && power <= 1) {
            throw mismatch("powers", "values in [0, 1]", "\(power)")
        }

        func copy(_ values: [Float], _ p: UnsafeMutablePointer<Float>) {
            values.withUnsafeBufferPointer { src in
                if let base = src.baseAddress { p.update(from: base, count: src.count) }
            }
        }
        copy(state.logStepSizes, beta)
        for j in 0 ..< groupCount { alpha[j] = stepSizeFromLog(beta[j]) }
        copy(state.trace, h)
        copy(state.firstMoment, m)
        copy(state.secondMoment, v)
        copy(state.metaFirstMoment, metaM)
        copy(state.metaSecondMoment, metaV)
        copy(state.metaGradients, z)
        basePower = state.basePower
        baseMomentumPower = state.baseMomentumPower
        metaPower = state.metaPower
        metaMomentumPower = state.metaMomentumPower
        stepsTaken = state.stepsTaken
        divergedAtStep = state.divergedAtStep
        divergenceReason = state.divergenceReason
    }
}
