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

    /// Every meta rule, in the order `--help` lists them. Adding a rule: its file, and one entry here.
    static let registered: [any MetaRuleDefinition.Type] = [
        FixedMetaRule.self, SGDMetaRule.self, RMSPropMetaRule.self, AdamMetaRule.self, LionMetaRule.self,
        MNMMetaRule.self, HypergradientMetaRule.self, IDBDMetaRule.self,
    ]

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
    static var name: String { get }
    static var aliases: [String] { get }
    static var summary: String { get }
    /// The optional hyper-parameters it reads (meta momentum, normalizer, Lion interpolation), with defaults.
    static var hyperParameters: [RuleHyperParameter] { get }
    /// False when β never changes (`fixed`): no meta pass runs.
    static var learnsStepSize: Bool { get }
    /// A trace discount γ the rule imposes, or nil.
    static var forcedGamma: Double? { get }
    /// Whether the rule needs the caller's diagonal Hessian and runs IDBD's order (meta update first).
    static var usesDiagonalHessian: Bool { get }
    /// The per-group state buffers of the rule in `mode` (declared by its lanes).
    static func state(_ mode: OptimizerMode) -> StateLayout
    /// Extra checks of a resolved configuration (e.g. IDBD: base SGD, weightwise).
    static func validate(_ configuration: OptimizerConfiguration, hasDiagonalHessian: Bool) throws
    /// One meta pass into the next buffers with this step's coefficients (advancing the copy `powers`, which the
    /// optimizer commits only when the pass succeeds). Returns true when every new value is finite.
    static func pass(_ mode: OptimizerMode, _ configuration: OptimizerConfiguration,
                     _ powers: inout BiasCorrectionPowers, _ buffers: MetaBuffers) -> Bool
}

extension MetaRuleDefinition {
    static var aliases: [String] { [] }
    static var hyperParameters: [RuleHyperParameter] { [] }
    static var learnsStepSize: Bool { true }
    static var forcedGamma: Double? { nil }
    static var usesDiagonalHessian: Bool { false }
    static func validate(_ configuration: OptimizerConfiguration, hasDiagonalHessian: Bool) throws {}
}

/// μ̄ = (1 − λ̄)/(1 − λ̄^t) after advancing λ̄^t (the faithful rules' bias correction).
@inline(__always)
func advancedNormalizerCorrection(_ lambda: Double, _ powers: inout BiasCorrectionPowers) -> Double {
    powers.normalizer *= lambda
    return (1 - lambda) / (1 - powers.normalizer)
}
