import RuleKernels

enum HypergradientMetaRule: MetaRuleDefinition {
    static let info = RuleInfo(name: "hypergradient", aliases: ["hd"],
                               summary: "hypergradient (alias hd): meta SGD with γ forced to 0 (spec §6.2)")
    static var forcedGamma: Double? { 0 }
    typealias Faithful = SGDMetaRule.Lanes
    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ common: MetaCommon,
                     _ powers: inout BiasCorrectionPowers, _ b: MetaBuffers) -> Bool {
        SGDMetaRule.pass(mode, c, common, &powers, b)
    }
}

extension MetaRule {
    /// Hypergradient descent inside MetaOptimize (spec §6.2): meta SGD with the trace discount γ forced to 0;
    /// `hd` is an alias.
    public static let hypergradient = MetaRule(definition: HypergradientMetaRule.self)
}
