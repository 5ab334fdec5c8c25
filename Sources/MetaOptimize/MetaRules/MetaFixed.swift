import RuleKernels

extension MetaRule {
    /// β never changes (α = α0 times the schedule): the fixed-step-size baseline.
    public static let fixed = MetaRule(FixedMetaRule.self)
}

enum FixedMetaRule: MetaRuleDefinition {
    static let name = "fixed"
    static let summary = "fixed: β never changes (α = α0 × schedule)"
    static var learnsStepSize: Bool { false }
    static func state(_ mode: OptimizerMode) -> StateLayout { .none }
    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ powers: inout BiasCorrectionPowers,
                     _ b: MetaBuffers) -> Bool { true }
}
