import RuleKernels

enum FixedMetaRule: MetaRuleDefinition {
    static let info = RuleInfo(name: "fixed", summary: "fixed: β never changes (α = α0 × schedule)")
    static var learnsStepSize: Bool { false }
    typealias Faithful = SGDMetaRule.Lanes
    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ common: MetaCommon,
                     _ powers: inout BiasCorrectionPowers, _ b: MetaBuffers) -> Bool { true }
}

extension MetaRule {
    /// β never changes (α = α0 times the schedule): the fixed-step-size baseline.
    public static let fixed = MetaRule(definition: FixedMetaRule.self)
}
