import RuleKernels
import SIMDSupport

enum SGDmRule: BaseRuleDefinition {
    static let info = RuleInfo(name: "sgdm",
                               summary: "SGD with momentum ρ: faithful d = m then m ← ρm + (1−ρ)g; standard (torch) b ← ρb + g, d = b",
                               reads: [.init(\.momentum, default: 0.9)])

    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ powers: inout BiasCorrectionPowers,
                     _ step: BaseStep) {
        switch mode {
        case .faithful: step.run(Faithful(rho: c.momentum!))
        case .standard: step.run(Standard(rho: c.momentum!))
        }
    }

    /// Faithful SGDm: d = m (previous momentum); then m ← ρ·m + (1−ρ)·g.
    struct Faithful: BaseLanes {
        static var state: StateLayout { .one("firstMoment") }
        let rho: V8, oneMinusRho: V8
        init(rho: Double) {
            self.rho = V8(repeating: Float(rho))
            oneMinusRho = V8(repeating: Float(1 - rho))
        }
        @inline(__always) func direction(g: V8, s0 m: inout V8, s1: inout V8) -> V8 {
            let d = m
            m = rho * m + oneMinusRho * g
            return d
        }
    }

    /// Standard SGDm (`torch.optim.SGD(momentum=ρ, dampening=0)`): b ← ρ·b + g; d = b.
    struct Standard: BaseLanes {
        static var state: StateLayout { .one("firstMoment") }
        let rho: V8
        init(rho: Double) { self.rho = V8(repeating: Float(rho)) }
        @inline(__always) func direction(g: V8, s0 m: inout V8, s1: inout V8) -> V8 {
            m = rho * m + g
            return m
        }
    }
}

extension BaseRule {
    /// SGD with momentum ρ (`momentum`, default 0.9).
    public static let sgdm = BaseRule(definition: SGDmRule.self)
}
