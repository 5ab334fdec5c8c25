import RuleKernels
import SIMDSupport

/// The base rule that updates the weights with step size α = exp(β). Spec §3.3 (faithful) and §4.2 (standard).
///
/// Each rule is declared once, in its own file (a ``BaseRuleDefinition``: name, hyper-parameters with their
/// defaults, per-step coefficients, lane math and state buffers), and registered once in ``registered``.
public struct BaseRule: DefinedRule {
    let definition: any BaseRuleDefinition.Type
    var info: RuleInfo { definition.info }
    public static let field = "base"
    /// Every base rule, in the order `--help` lists them (each defined in its own file of BaseRules/, with its
    /// public constant such as ``BaseRule/adamw``). Adding a rule: its file and its entry here.
    static let registered: [any BaseRuleDefinition.Type] =
        [SGDRule.self, SGDmRule.self, RMSPropRule.self, AdamWRule.self, LionRule.self, AdagradRule.self]
    public static var registeredNames: [(name: String, aliases: [String])] { registered.map { ($0.info.name, $0.info.aliases) } }
    public init(registeredIndex k: Int) { definition = Self.registered[k] }
    init(definition: any BaseRuleDefinition.Type) { self.definition = definition }
}

/// Bias-correction powers a rule advances each step: λ^t (second moment) and ρ^t (first moment), kept in Double
/// as the official code does. Saved in checkpoints.
public struct BiasCorrectionPowers: Sendable, Equatable {
    public var normalizer: Double = 1
    public var momentum: Double = 1
    public init() {}
}

/// A base rule's declaration. Conforming types live one per file in `BaseRules/`.
protocol BaseRuleDefinition: RuleDefinition {
    /// The lane math of each mode (the same type for rules whose modes agree); their ``StateLayout`` is the rule's
    /// per-weight state.
    associatedtype Faithful: BaseLanes
    associatedtype Standard: BaseLanes = Faithful
    /// One fused base pass: computes this step's coefficients from `configuration` (resolved), advancing `powers`,
    /// and runs the pass with the rule's lanes for `mode`.
    static func pass(_ mode: OptimizerMode, _ configuration: OptimizerConfiguration,
                     _ powers: inout BiasCorrectionPowers, _ step: BaseStep)
}

extension BaseRuleDefinition {
    /// The per-weight state buffers of the rule in `mode` (declared by its lanes).
    static func state(_ mode: OptimizerMode) -> StateLayout { mode == .faithful ? Faithful.state : Standard.state }
}
