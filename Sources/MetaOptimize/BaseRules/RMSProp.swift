import RuleKernels
import SIMDSupport

enum RMSPropRule: BaseRuleDefinition {
    static let info = RuleInfo(name: "rmsprop",
                               summary: "RMSProp, λ: faithful v ← λv + g², d = g/√(μv + 1e-10); standard (torch) eps 1e-8",
                               reads: [.init(\.normalizer, default: 0.999)])

    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ powers: inout BiasCorrectionPowers,
                     _ step: BaseStep) {
        let lambda = c.normalizer!
        powers.normalizer *= lambda
        switch mode {
        case .faithful:
            step.run(Faithful(lambda: lambda, mu: (1 - lambda) / (1 - powers.normalizer)))
        case .standard:
            step.run(Standard(lambda: lambda))
        }
    }

    /// Faithful RMSProp: v ← λ·v + g²; d = g / sqrt(μ·v + ε), μ = (1−λ)/(1−λ^t).
    struct Faithful: BaseLanes {
        static var state: StateLayout { .one("secondMoment") }
        let lambda: V8, mu: V8, epsilon: V8
        init(lambda: Double, mu: Double) {
            self.lambda = V8(repeating: Float(lambda))
            self.mu = V8(repeating: Float(mu))
            epsilon = V8(repeating: Float(1e-10))
        }
        @inline(__always) func direction(g: V8, s0 v: inout V8, s1: inout V8) -> V8 {
            v = lambda * v + g * g
            return g / squareRoot8(mu * v + epsilon)
        }
    }

    /// Standard RMSProp (`torch.optim.RMSprop(alpha=λ, eps=1e-8)`): v ← λ·v + (1−λ)·g·g; d = g / (sqrt(v) + 1e-8).
    struct Standard: BaseLanes {
        static var state: StateLayout { .one("secondMoment") }
        let lambda: V8, oneMinusLambda: V8, epsilon: V8
        init(lambda: Double) {
            self.lambda = V8(repeating: Float(lambda))
            oneMinusLambda = V8(repeating: Float(1 - lambda))
            epsilon = V8(repeating: Float(1e-8))
        }
        @inline(__always) func direction(g: V8, s0 v: inout V8, s1: inout V8) -> V8 {
            v = lambda * v + oneMinusLambda * g * g
            return g / (squareRoot8(v) + epsilon)
        }
    }
}

extension BaseRule {
    /// RMSProp with second-moment coefficient λ (`normalizer`, default 0.999).
    public static let rmsprop = BaseRule(definition: RMSPropRule.self)
}
