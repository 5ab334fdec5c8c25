import RuleKernels
import SIMDSupport

/// The meta rule that updates β = log α with the meta-gradient z = Σ h·g. Spec §3.4, §6.
///
/// Each rule is declared once, in its own file (a ``MetaRuleDefinition``), and registered once in ``registered``.
public struct MetaRule: RegisteredRule {
    /// The rule's name as flags and result files spell it (`adam`).
    public let rawValue: String
    let definition: any MetaRuleDefinition.Type

    init(_ definition: any MetaRuleDefinition.Type) {
        rawValue = definition.name
        self.definition = definition
    }

    public static let field = "meta"
    public static var registeredNames: [(name: String, aliases: [String])] { registered.map { ($0.name, $0.aliases) } }
    public init(registeredIndex k: Int) { self.init(Self.registered[k]) }

    // The registered rules (each defined in its own file of MetaRules/). Adding a rule: its file, its constant
    // here and its entry in `registered`.
    /// β never changes (α = α0 times the schedule): the fixed-step-size baseline.
    public static let fixed = MetaRule(FixedMetaRule.self)
    /// Meta SGD: β ← (1 − η·κ̄)·β − η·z.
    public static let sgd = MetaRule(SGDMetaRule.self)
    /// RMSProp on β with second-moment coefficient λ̄ (`metaNormalizer`, default 0.999).
    public static let rmsprop = MetaRule(RMSPropMetaRule.self)
    /// Adam on β with momentum ρ̄ (`metaMomentum`, default 0.9) and second-moment coefficient λ̄
    /// (`metaNormalizer`, 0.999); `adamw` is an alias (the continual code calls it `AdamW`).
    public static let adam = MetaRule(AdamMetaRule.self)
    /// Lion on β with interpolation c̄ (`metaLionInterpolation`, default 0.9) and momentum ρ̄ (default 0.99).
    public static let lion = MetaRule(LionMetaRule.self)
    /// Momentum-normalised momentum (continual code only, spec §3.4), ρ̄ (default 0.9) and λ̄ (0.999).
    public static let mnm = MetaRule(MNMMetaRule.self)
    /// Hypergradient descent inside MetaOptimize (spec §6.2): meta SGD with the trace discount γ forced to 0;
    /// `hd` is an alias.
    public static let hypergradient = MetaRule(HypergradientMetaRule.self)
    /// IDBD (spec §6.3): base SGD, weightwise step sizes, γ forced to 1, a caller-supplied diagonal Hessian in the
    /// trace decay, and IDBD's order (meta update first, then the base update with the new α).
    public static let idbd = MetaRule(IDBDMetaRule.self)

    /// Every meta rule, in the order `--help` lists them.
    static let registered: [any MetaRuleDefinition.Type] =
        [fixed, sgd, rmsprop, adam, lion, mnm, hypergradient, idbd].map(\.definition)

    /// One line for `--help`.
    public var summary: String { definition.summary }
    /// The optional hyper-parameters this rule reads, with their defaults.
    public var hyperParameters: [RuleHyperParameter] { definition.hyperParameters }
    /// False for `fixed`: β never changes.
    public var learnsStepSize: Bool { definition.learnsStepSize }
    /// The trace discount the rule imposes (0 for hypergradient descent, 1 for IDBD), or nil.
    public var forcedGamma: Double? { definition.forcedGamma }
    /// True for IDBD: the rule needs the loss's diagonal Hessian at every step.
    public var usesDiagonalHessian: Bool { definition.usesDiagonalHessian }
}

/// A meta rule's declaration. Conforming types live one per file in `MetaRules/`.
protocol MetaRuleDefinition: Sendable {
    /// The lane math of each mode; their ``StateLayout`` is the rule's per-group state.
    associatedtype Faithful: MetaLanes
    associatedtype Standard: MetaLanes = Faithful
    static var info: RuleInfo { get }
    /// False when β never changes (`fixed`): no meta pass runs.
    static var learnsStepSize: Bool { get }
    /// A trace discount γ the rule imposes, or nil.
    static var forcedGamma: Double? { get }
    /// Whether the rule needs the caller's diagonal Hessian and runs IDBD's order (meta update first).
    static var usesDiagonalHessian: Bool { get }
    /// Extra checks of a resolved configuration (e.g. IDBD: base SGD, weightwise).
    static func validate(_ configuration: OptimizerConfiguration, hasDiagonalHessian: Bool) throws
    /// One meta pass into the next buffers with this step's coefficients (`common`: η and the meta weight decay;
    /// advancing the copy `powers`, which the optimizer commits only when the pass succeeds). Returns true when
    /// every new value is finite.
    static func pass(_ mode: OptimizerMode, _ configuration: OptimizerConfiguration, _ common: MetaCommon,
                     _ powers: inout BiasCorrectionPowers, _ buffers: MetaBuffers) -> Bool
}

extension MetaRuleDefinition {
    static var name: String { info.name }
    static var aliases: [String] { info.aliases }
    static var summary: String { info.summary }
    static var hyperParameters: [RuleHyperParameter] { info.reads }
    static var learnsStepSize: Bool { true }
    static var forcedGamma: Double? { nil }
    static var usesDiagonalHessian: Bool { false }
    static func validate(_ configuration: OptimizerConfiguration, hasDiagonalHessian: Bool) throws {}
    /// The per-group state buffers of the rule in `mode` (declared by its lanes).
    static func state(_ mode: OptimizerMode) -> StateLayout { mode == .faithful ? Faithful.state : Standard.state }
}

/// μ̄ = (1 − λ̄)/(1 − λ̄^t) after advancing λ̄^t (the faithful rules' bias correction).
@inline(__always)
func advancedNormalizerCorrection(_ lambda: Double, _ powers: inout BiasCorrectionPowers) -> Double {
    powers.normalizer *= lambda
    return (1 - lambda) / (1 - powers.normalizer)
}
