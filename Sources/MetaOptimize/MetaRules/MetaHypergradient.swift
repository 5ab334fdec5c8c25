import RuleKernels

extension MetaRule {
    /// Hypergradient descent inside MetaOptimize (spec §6.2): meta SGD with the trace discount γ forced to 0;
    /// `hd` is an alias.
    public static let hypergradient = MetaRule(HypergradientMetaRule.self)
}

enum HypergradientMetaRule: MetaRuleDefinition {
    static let name = "hypergradient"
    static let aliases = ["hd"]
    static let summary = "hypergradient (alias hd): meta SGD with γ forced to 0 (spec §6.2)"
    static var forcedGamma: Double? { 0 }
    static func state(_ mode: OptimizerMode) -> StateLayout { SGDMetaRule.state(mode) }
    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ powers: inout BiasCorrectionPowers,
                     _ b: MetaBuffers) -> Bool {
        SGDMetaRule.pass(mode, c, &powers, b)
    }
}
