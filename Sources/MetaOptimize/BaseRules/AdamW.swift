import RuleKernels
import SIMDSupport

enum AdamWRule: BaseRuleDefinition {
    static let info = RuleInfo(name: "adamw", aliases: ["adam"],
                               summary: "AdamW, ρ and λ: faithful m ← ρm + g (a sum), d = m/√(μv + 1e-10); standard = torch.optim.AdamW",
                               reads: [.init(\.momentum, default: 0.9), .init(\.normalizer, default: 0.999)])

    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ powers: inout BiasCorrectionPowers,
                     _ step: BaseStep) {
        let rho = c.momentum!, lambda = c.normalizer!
        powers.normalizer *= lambda
        powers.momentum *= rho
        switch mode {
        case .faithful:
            step.run(Faithful(rho: rho, lambda: lambda, mu: (1 - lambda) / (1 - powers.normalizer)))
        case .standard:
            step.run(Standard(rho: rho, lambda: lambda, rhoPower: powers.momentum, lambdaPower: powers.normalizer))
        }
    }

    /// Faithful AdamW: m ← ρ·m + g (plain sum); v ← λ·v + g²; d = m / sqrt(μ·v + ε).
    struct Faithful: BaseLanes {
        static var state: StateLayout { .two("firstMoment", "secondMoment") }
        let rho: V8, lambda: V8, mu: V8, epsilon: V8
        init(rho: Double, lambda: Double, mu: Double) {
            self.rho = V8(repeating: Float(rho))
            self.lambda = V8(repeating: Float(lambda))
            self.mu = V8(repeating: Float(mu))
            epsilon = V8(repeating: Float(1e-10))
        }
        @inline(__always) func direction(g: V8, s0 m: inout V8, s1 v: inout V8) -> V8 {
            m = rho * m + g
            v = lambda * v + g * g
            return m / squareRoot8(mu * v + epsilon)
        }
    }

    /// Standard AdamW (`torch.optim.AdamW(betas=(ρ, λ), eps=1e-8)`): m ← m + (1−ρ)·(g − m) (PyTorch's lerp);
    /// v ← λ·v + (1−λ)·g·g; d = (m / (1−ρ^t)) / (sqrt(v) / sqrt(1−λ^t) + 1e-8).
    struct Standard: BaseLanes {
        static var state: StateLayout { .two("firstMoment", "secondMoment") }
        let moments: StandardAdamMoments
        init(rho: Double, lambda: Double, rhoPower: Double, lambdaPower: Double) {
            moments = StandardAdamMoments(rho: rho, lambda: lambda, rhoPower: rhoPower, lambdaPower: lambdaPower)
        }
        @inline(__always) func direction(g: V8, s0 m: inout V8, s1 v: inout V8) -> V8 {
            moments.direction(g, m: &m, v: &v)
        }
    }
}

extension BaseRule {
    /// AdamW with momentum ρ (`momentum`, default 0.9) and second-moment coefficient λ (`normalizer`, 0.999);
    /// `adam` is an alias (the official code calls its base rule `Adam`).
    public static let adamw = BaseRule(definition: AdamWRule.self)
}
