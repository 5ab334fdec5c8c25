import RuleKernels
import SIMDSupport

/// The meta rule that updates β = log α with the meta-gradient z = Σ h·g. Spec §3.4, §6.
///
/// Each rule is declared once, in its own file (a ``MetaRuleDefinition``), and registered once in ``registered``.
public struct MetaRule: DefinedRule {
    let definition: any MetaRuleDefinition.Type
    var info: RuleInfo { definition.info }
    public static let field = "meta"
    /// Every meta rule, in the order `--help` lists them (each defined in its own file of MetaRules/, with its
    /// public constant such as ``MetaRule/adam``). Adding a rule: its file and its entry here.
    static let registered: [any MetaRuleDefinition.Type] =
        [FixedMetaRule.self, SGDMetaRule.self, RMSPropMetaRule.self, AdamMetaRule.self, LionMetaRule.self,
         MNMMetaRule.self, HypergradientMetaRule.self, IDBDMetaRule.self]
    public init(registeredIndex k: Int) { definition = Self.registered[k] }
    init(definition: any MetaRuleDefinition.Type) { self.definition = definition }
    public static var registeredNames: [(name: String, aliases: [String])] { registered.map { ($0.info.name, $0.info.aliases) } }

    /// False for `fixed`: β never changes.
    public var learnsStepSize: Bool { definition.learnsStepSize }
    /// The trace discount the rule imposes (0 for hypergradient descent, 1 for IDBD), or nil.
    public var forcedGamma: Double? { definition.forcedGamma }
    /// True for IDBD: the rule needs the loss's diagonal Hessian at every step.
    public var usesDiagonalHessian: Bool { definition.usesDiagonalHessian }
}

/// A meta rule's declaration. Conforming types live one per file in `MetaRules/`.
protocol MetaRuleDefinition: RuleDefinition {
    /// The lane math of each mode; their ``StateLayout`` is the rule's per-group state.
    associatedtype Faithful: MetaLanes
    associatedtype Standard: MetaLanes = Faithful
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
