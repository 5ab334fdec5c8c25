import RuleKernels
import SIMDSupport

enum MNMMetaRule: MetaRuleDefinition {
    static let info = RuleInfo(name: "mnm",
                               summary: "mnm, ρ̄ and λ̄: m̄ ← ρ̄m̄ + z, v̄ ← λ̄v̄ + m̄², β ← … − ηm̄/√(μ̄v̄ + 1e-10) (both modes)",
                               reads: [.init(\.metaMomentum, default: 0.9), .init(\.metaNormalizer, default: 0.999)])
    typealias Faithful = Lanes
    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ common: MetaCommon,
                     _ powers: inout BiasCorrectionPowers, _ b: MetaBuffers) -> Bool {
        let mu = advancedNormalizerCorrection(c.metaNormalizer!, &powers)
        powers.momentum *= c.metaMomentum!
        return runMetaPass(Lanes(common: common, rho: c.metaMomentum!, lambda: c.metaNormalizer!, mu: mu), b)
    }

    /// m̄ ← ρ̄·m̄ + z; v̄ ← λ̄·v̄ + m̄²; β ← (1 − η·κ̄)·β − η·m̄ / sqrt(μ̄·v̄ + ε): faithful Adam's coefficients and
    /// state, with the second moment of m̄ instead of z.
    struct Lanes: MetaLanes {
        static var state: StateLayout { AdamMetaRule.Faithful.state }
        let adam: AdamMetaRule.Faithful
        init(common: MetaCommon, rho: Double, lambda: Double, mu: Double) {
            adam = AdamMetaRule.Faithful(common: common, rho: rho, lambda: lambda, mu: mu)
        }
        @inline(__always) func update(z: V8, beta: V8, s0 m: inout V8, s1 v: inout V8) -> V8 {
            m = adam.rho * m + z
            v = adam.lambda * v + m * m
            return adam.common.shrink * beta - (adam.common.eta * m) / squareRoot8(adam.mu * v + adam.epsilon)
        }
    }
}

extension MetaRule {
    /// Momentum-normalised momentum (continual code only, spec §3.4), ρ̄ (default 0.9) and λ̄ (0.999).
    public static let mnm = MetaRule(definition: MNMMetaRule.self)
}
