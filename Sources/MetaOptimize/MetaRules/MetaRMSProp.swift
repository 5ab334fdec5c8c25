import RuleKernels
import SIMDSupport

enum RMSPropMetaRule: MetaRuleDefinition {
    static let info = RuleInfo(name: "rmsprop",
                               summary: "rmsprop, λ̄: faithful v̄ ← λ̄v̄ + z², β ← … − ηz/√(μ̄v̄ + 1e-10); standard eps 1e-8",
                               reads: [.init(\.metaNormalizer, default: 0.999)])
    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ common: MetaCommon,
                     _ powers: inout BiasCorrectionPowers, _ b: MetaBuffers) -> Bool {
        let lambda = c.metaNormalizer!
        let mu = advancedNormalizerCorrection(lambda, &powers)
        switch mode {
        case .faithful: return runMetaPass(Faithful(common: common, lambda: lambda, mu: mu), b)
        case .standard: return runMetaPass(Standard(common: common, lambda: lambda), b)
        }
    }

    /// Faithful RMSProp: v̄ ← λ̄·v̄ + z²; β ← (1 − η·κ̄)·β − η·z / sqrt(μ̄·v̄ + ε).
    struct Faithful: MetaLanes {
        static var state: StateLayout { .one("metaSecondMoment") }
        let common: MetaCommon
        let lambda: V8, mu: V8, epsilon: V8
        init(common: MetaCommon, lambda: Double, mu: Double) {
            self.common = common
            self.lambda = V8(repeating: Float(lambda))
            self.mu = V8(repeating: Float(mu))
            epsilon = V8(repeating: Float(1e-10))
        }
        @inline(__always) func update(z: V8, beta: V8, s0 v: inout V8, s1: inout V8) -> V8 {
            v = lambda * v + z * z
            return common.shrink * beta - (common.eta * z) / squareRoot8(mu * v + epsilon)
        }
    }

    /// Standard RMSProp on β: v̄ ← λ̄·v̄ + (1−λ̄)·z·z; β ← (1 − η·κ̄)·β − η·z / (sqrt(v̄) + 1e-8).
    struct Standard: MetaLanes {
        static var state: StateLayout { .one("metaSecondMoment") }
        let common: MetaCommon
        let lambda: V8, oneMinusLambda: V8, epsilon: V8
        init(common: MetaCommon, lambda: Double) {
            self.common = common
            self.lambda = V8(repeating: Float(lambda))
            oneMinusLambda = V8(repeating: Float(1 - lambda))
            epsilon = V8(repeating: Float(1e-8))
        }
        @inline(__always) func update(z: V8, beta: V8, s0 v: inout V8, s1: inout V8) -> V8 {
            v = lambda * v + oneMinusLambda * z * z
            return common.shrink * beta - common.eta * (z / (squareRoot8(v) + epsilon))
        }
    }
}

extension MetaRule {
    /// RMSProp on β with second-moment coefficient λ̄ (`metaNormalizer`, default 0.999).
    public static let rmsprop = MetaRule(definition: RMSPropMetaRule.self)
}
