import RuleKernels
import SIMDSupport

extension BaseRule {
    /// SGD: d = g (both modes).
    public static let sgd = BaseRule(SGDRule.self)
}

enum SGDRule: BaseRuleDefinition {
    static let name = "sgd"
    static let summary = "SGD: d = g"
    static var hyperParameters: [RuleHyperParameter] { [] }
    static func state(_ mode: OptimizerMode) -> StateLayout { Lanes.state }

    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ powers: inout BiasCorrectionPowers,
                     _ b: BaseBuffers, _ plan: BasePassPlan, _ blocks: UnsafeBufferPointer<OuterProduct>) {
        runBasePass(Lanes(), b, plan, blocks)
    }

    struct Lanes: BaseLanes {
        static var state: StateLayout { .none }
        @inline(__always) func direction(g: V8, s0: inout V8, s1: inout V8) -> V8 { g }
    }
}
