import RuleKernels
import SIMDSupport

enum SGDRule: BaseRuleDefinition {
    static let info = RuleInfo(name: "sgd", summary: "SGD: d = g")
    typealias Faithful = Lanes

    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ powers: inout BiasCorrectionPowers,
                     _ step: BaseStep) {
        step.run(Lanes())
    }

    struct Lanes: BaseLanes {
        static var state: StateLayout { .none }
        @inline(__always) func direction(g: V8, s0: inout V8, s1: inout V8) -> V8 { g }
    }
}

extension BaseRule {
    /// SGD: d = g (both modes).
    public static let sgd = BaseRule(definition: SGDRule.self)
}
