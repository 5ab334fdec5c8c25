import RuleKernels
import SIMDSupport

enum AdamMetaRule: MetaRuleDefinition {
    static let info = RuleInfo(name: "adam", aliases: ["adamw"],
                               summary: "adam (alias adamw), ρ̄ and λ̄: faithful m̄ ← ρ̄m̄ + z (a sum), β ← … − ηm̄/√(μ̄v̄ + 1e-10); standard = Adam",
                               reads: [.init(\.metaMomentum, default: 0.9), .init(\.metaNormalizer, default: 0.999)])
    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ common: MetaCommon,
                     _ powers: inout BiasCorrectionPowers, _ b: MetaBuffers) -> Bool {
        let rho = c.metaMomentum!, lambda = c.metaNormalizer!
        let mu = advancedNormalizerCorrection(lambda, &powers)
        powers.momentum *= rho
        switch mode {
        case .faithful: return runMetaPass(Faithful(common: common, rho: rho, lambda: lambda, mu: mu), b)
        case .standard:
            return runMetaPass(Standard(common: common, rho: rho, lambda: lambda, rhoPower: powers.momentum,
                                        lambdaPower: powers.normalizer), b)
        }
    }

    /// Faithful Adam: m̄ ← ρ̄·m̄ + z (sum); v̄ ← λ̄·v̄ + z²; β ← (1 − η·κ̄)·β − η·m̄ / sqrt(μ̄·v̄ + ε).
    struct Faithful: MetaLanes {
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
            v = lambda * v + z * z
            return common.shrink * beta - (common.eta * m) / squareRoot8(mu * v + epsilon)
        }
    }

    /// Standard Adam on β: m̄ ← m̄ + (1−ρ̄)·(z − m̄); v̄ ← λ̄·v̄ + (1−λ̄)·z·z;
    /// β ← (1 − η·κ̄)·β − η·(m̄/(1−ρ̄^t)) / (sqrt(v̄)/sqrt(1−λ̄^t) + 1e-8).
    struct Standard: MetaLanes {
        static var state: StateLayout { .two("metaFirstMoment", "metaSecondMoment") }
        let common: MetaCommon
        let moments: StandardAdamMoments
        init(common: MetaCommon, rho: Double, lambda: Double, rhoPower: Double, lambdaPower: Double) {
            self.common = common
            moments = StandardAdamMoments(rho: rho, lambda: lambda, rhoPower: rhoPower, lambdaPower: lambdaPower)
        }
        @inline(__always) func update(z: V8, beta: V8, s0 m: inout V8, s1 v: inout V8) -> V8 {
            common.shrink * beta - common.eta * moments.direction(z, m: &m, v: &v)
        }
    }
}

extension MetaRule {
    /// Adam on β with momentum ρ̄ (`metaMomentum`, default 0.9) and second-moment coefficient λ̄
    /// (`metaNormalizer`, 0.999); `adamw` is an alias (the continual code calls it `AdamW`).
    public static let adam = MetaRule(definition: AdamMetaRule.self)
}
