import RuleKernels
import SIMDSupport

extension MetaRule {
    /// Momentum-normalised momentum (continual code only, spec §3.4), ρ̄ (default 0.9) and λ̄ (0.999).
    public static let mnm = MetaRule(MNMMetaRule.self)
}

enum MNMMetaRule: MetaRuleDefinition {
    static let name = "mnm"
    static let summary = "mnm, ρ̄ and λ̄: m̄ ← ρ̄m̄ + z, v̄ ← λ̄v̄ + m̄², β ← … − ηm̄/√(μ̄v̄ + 1e-10) (both modes)"
    static var hyperParameters: [RuleHyperParameter] {
        [.init(\.metaMomentum, default: 0.9), .init(\.metaNormalizer, default: 0.999)]
    }
    static func state(_ mode: OptimizerMode) -> StateLayout { Lanes.state }
    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ powers: inout BiasCorrectionPowers,
                     _ b: MetaBuffers) -> Bool {
        let common = MetaCommon(eta: c.metaStepSize, metaWeightDecay: c.metaWeightDecay)
        let mu = advancedNormalizerCorrection(c.metaNormalizer!, &powers)
        powers.momentum *= c.metaMomentum!
        return runMetaPass(Lanes(common: common, rho: c.metaMomentum!, lambda: c.metaNormalizer!, mu: mu), b)
    }

    /// m̄ ← ρ̄·m̄ + z; v̄ ← λ̄·v̄ + m̄²; β ← (1 − η·κ̄)·β − η·m̄ / sqrt(μ̄·v̄ + ε).
    struct Lanes: MetaLanes {
        static var state: StateLayout { .two("metaFirstMoment", "metaSecondMoment") }
        let common: MetaCommon
        let rho: V8, lambda: V8, mu: V8, epsilon: V8
        init(common: MetaCommon, rho: Double, lambda: Double, mu: Double) {
            self.common = common
            self.rho = V8(repeating: Float(rho))
            self.lambda = V8(repeating: Float(lambda))
            self.mu = V8(repeating: Float(mu))
            epsilon = V8(repeating: Float(1e-10))
        }
        @inline(__always) func update(z: V8, beta: V8, s0 m: inout V8, s1 v: inout V8) -> V8 {
            m = rho * m + z
            v = lambda * v + m * m
            return common.shrink * beta - (common.eta * m) / squareRoot8(mu * v + epsilon)
        }
    }
}
