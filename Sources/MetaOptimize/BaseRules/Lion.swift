import RuleKernels
import SIMDSupport

enum LionRule: BaseRuleDefinition {
    static let info = RuleInfo(name: "lion",
                               summary: "Lion, c and ρ: d = sign(c·m + (1−c)·g), then m ← ρm + (1−ρ)g (both modes)",
                               reads: [.init(\.momentum, default: 0.99), .init(\.lionInterpolation, default: 0.9)])
    typealias Faithful = Lanes

    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ powers: inout BiasCorrectionPowers,
                     _ step: BaseStep) {
        step.run(Lanes(interpolation: c.lionInterpolation!, rho: c.momentum!))
    }

    /// Lion (both modes): d = sign(c·m + (1−c)·g) with the previous m; then m ← ρ·m + (1−ρ)·g.
    struct Lanes: BaseLanes {
        static var state: StateLayout { .one("firstMoment") }
        let c: V8, oneMinusC: V8, rho: V8, oneMinusRho: V8
        init(interpolation: Double, rho: Double) {
            c = V8(repeating: Float(interpolation))
            oneMinusC = V8(repeating: Float(1 - interpolation))
            self.rho = V8(repeating: Float(rho))
            oneMinusRho = V8(repeating: Float(1 - rho))
        }
        @inline(__always) func direction(g: V8, s0 m: inout V8, s1: inout V8) -> V8 {
            let d = sign8(c * m + oneMinusC * g)
            m = rho * m + oneMinusRho * g
            return d
        }
    }
}

extension BaseRule {
    /// Lion with interpolation c (`lionInterpolation`, default 0.9: the Lion paper's β1) and momentum ρ
    /// (`momentum`, default 0.99: the Lion paper's β2).
    public static let lion = BaseRule(definition: LionRule.self)
}
