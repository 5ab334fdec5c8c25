import RuleKernels
import SIMDSupport

enum SGDMetaRule: MetaRuleDefinition {
    static let info = RuleInfo(name: "sgd", summary: "sgd: β ← (1 − ηκ̄)β − ηz")
    typealias Faithful = Lanes
    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ common: MetaCommon,
                     _ powers: inout BiasCorrectionPowers, _ b: MetaBuffers) -> Bool {
        runMetaPass(Lanes(common: common), b)
    }

    /// β ← (1 − η·κ̄)·β − η·z (also hypergradient descent and IDBD).
    struct Lanes: MetaLanes {
        static var state: StateLayout { .none }
        let common: MetaCommon
        @inline(__always) func update(z: V8, beta: V8, s0: inout V8, s1: inout V8) -> V8 {
            common.shrink * beta - common.eta * z
        }
    }
}

extension MetaRule {
    /// Meta SGD: β ← (1 − η·κ̄)·β − η·z.
    public static let sgd = MetaRule(definition: SGDMetaRule.self)
}
