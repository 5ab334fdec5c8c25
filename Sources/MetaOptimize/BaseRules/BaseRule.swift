import RuleKernels
import SIMDSupport

/// The base rule that updates the weights with step size α = exp(β). Spec §3.3 (faithful) and §4.2 (standard).
///
/// Each rule is declared once, in its own file (a ``BaseRuleDefinition``: name, hyper-parameters with their
/// defaults, per-step coefficients, lane math and state buffers), and registered once in ``registered``.
public struct BaseRule: RegisteredRule {
    /// The rule's name as flags and result files spell it (`adamw`).
    public let rawValue: String
    let definition: any BaseRuleDefinition.Type

    init(_ definition: any BaseRuleDefinition.Type) {
        rawValue = definition.name
        self.definition = definition
    }

    public static let field = "base"
    public static var registeredNames: [(name: String, aliases: [String])] { registered.map { ($0.name, $0.aliases) } }
    public init(registeredIndex k: Int) { self.init(Self.registered[k]) }

    /// Every base rule, in the order `--help` lists them. Adding a rule: its file, and one entry here.
    static let registered: [any BaseRuleDefinition.Type] = [
        SGDRule.self, SGDmRule.self, RMSPropRule.self, AdamWRule.self, LionRule.self, AdagradRule.self,
    ]

    /// One line for `--help`.
    public var summary: String { definition.summary }
    /// The optional hyper-parameters this rule reads, with their defaults.
    public var hyperParameters: [RuleHyperParameter] { definition.hyperParameters }
}

/// An optional hyper-parameter a rule reads (``OptimizerConfiguration`` field), and its default for that rule.
public struct RuleHyperParameter: @unchecked Sendable {
    public let field: WritableKeyPath<OptimizerConfiguration, Double?>
    public let defaultValue: Double
    public init(_ field: WritableKeyPath<OptimizerConfiguration, Double?>, default defaultValue: Double) {
        self.field = field
        self.defaultValue = defaultValue
    }
}

/// Bias-correction powers a rule advances each step: λ^t (second moment) and ρ^t (first moment), kept in Double
/// as the official code does. Saved in checkpoints.
public struct BiasCorrectionPowers: Sendable, Equatable {
    public var normalizer: Double = 1
    public var momentum: Double = 1
    public init() {}
}

/// A base rule's declaration. Conforming types live one per file in `BaseRules/`.
protocol BaseRuleDefinition: Sendable {
    /// Name in flags and result files.
    static var name: String { get }
    /// Other accepted spellings (lower case).
    static var aliases: [String] { get }
    /// One line for `--help` and docs.
    static var summary: String { get }
    /// The optional hyper-parameters it reads, with defaults (the others are cleared in the resolved configuration).
    static var hyperParameters: [RuleHyperParameter] { get }
    /// The per-element state buffers of the rule in `mode` (declared by its lanes).
    static func state(_ mode: OptimizerMode) -> StateLayout
    /// One fused base pass: computes this step's coefficients from `configuration` (resolved), advancing `powers`,
    /// and runs ``runBasePass(_:_:_:_:)`` with the rule's lanes for `mode`.
    static func pass(_ mode: OptimizerMode, _ configuration: OptimizerConfiguration,
                     _ powers: inout BiasCorrectionPowers, _ buffers: BaseBuffers, _ plan: BasePassPlan,
                     _ blocks: UnsafeBufferPointer<OuterProduct>)
}

extension BaseRuleDefinition {
    static var aliases: [String] { [] }
}
