import RuleKernels
import SIMDSupport

extension BaseRule {
    /// AdamW with momentum ρ (`momentum`, default 0.9) and second-moment coefficient λ (`normalizer`, 0.999);
    /// `adam` is an alias (the official code calls its base rule `Adam`).
    public static let adamw = BaseRule(AdamWRule.self)
}

enum AdamWRule: BaseRuleDefinition {
    static let name = "adamw"
    static let aliases = ["adam"]
    static let summary = "AdamW, ρ and λ: faithful m ← ρm + g (a sum), d = m/√(μv + 1e-10); standard = torch.optim.AdamW"
    static var hyperParameters: [RuleHyperParameter] {
        [.init(\.momentum, default: 0.9), .init(\.normalizer, default: 0.999)]
    }
    static func state(_ mode: OptimizerMode) -> StateLayout { mode == .faithful ? Faithful.state : Standard.state }

    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ powers: inout BiasCorrectionPowers,
                     _ b: BaseBuffers, _ plan: BasePassPlan, _ blocks: UnsafeBufferPointer<OuterProduct>) {
        let rho = c.momentum!, lambda = c.normalizer!
        powers.normalizer *= lambda
        powers.momentum *= rho
        switch mode {
        case .faithful:
            runBasePass(Faithful(rho: rho, lambda: lambda, mu: (1 - lambda) / (1 - powers.normalizer)), b, plan, blocks)
        case .standard:
            runBasePass(Standard(rho: rho, lambda: lambda, rhoPower: powers.momentum, lambdaPower: powers.normalizer),
                        b, plan, blocks)
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
        let oneMinusRho: V8, lambda: V8, oneMinusLambda: V8, biasCorrection1: V8, biasCorrection2Root: V8, epsilon: V8
        init(rho: Double, lambda: Double, rhoPower: Double, lambdaPower: Double) {
            oneMinusRho = V8(repeating: Float(1 - rho))
            self.lambda = V8(repeating: Float(lambda))
            oneMinusLambda = V8(repeating: Float(1 - lambda))
            biasCorrection1 = V8(repeating: Float(1 - rhoPower))
            biasCorrection2Root = V8(repeating: Float((1 - lambdaPower).squareRoot()))
            epsilon = V8(repeating: Float(1e-8))
        }
        @inline(__always) func direction(g: V8, s0 m: inout V8, s1 v: inout V8) -> V8 {
            m = m + oneMinusRho * (g - m)
            v = lambda * v + oneMinusLambda * g * g
            return (m / biasCorrection1) / (squareRoot8(v) / biasCorrection2Root + epsilon)
        }
    }
}
