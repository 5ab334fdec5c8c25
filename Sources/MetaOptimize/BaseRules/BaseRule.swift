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

    // The registered rules (each defined in its own file of BaseRules/). Adding a rule: its file, its constant
    // here and its entry in `registered`.
    /// SGD: d = g (both modes).
    public static let sgd = BaseRule(SGDRule.self)
    /// SGD with momentum ρ (`momentum`, default 0.9).
    public static let sgdm = BaseRule(SGDmRule.self)
    /// RMSProp with second-moment coefficient λ (`normalizer`, default 0.999).
    public static let rmsprop = BaseRule(RMSPropRule.self)
    /// AdamW with momentum ρ (`momentum`, default 0.9) and second-moment coefficient λ (`normalizer`, 0.999);
    /// `adam` is an alias (the official code calls its base rule `Adam`).
    public static let adamw = BaseRule(AdamWRule.self)
    /// Lion with interpolation c (`lionInterpolation`, default 0.9: the Lion paper's β1) and momentum ρ
    /// (`momentum`, default 0.99: the Lion paper's β2).
    public static let lion = BaseRule(LionRule.self)
    /// Adagrad: the sum of squared gradients scales each weight's step (no hyper-parameters besides α and κ).
    public static let adagrad = BaseRule(AdagradRule.self)

    /// Every base rule, in the order `--help` lists them.
    static let registered: [any BaseRuleDefinition.Type] = [sgd, sgdm, rmsprop, adamw, lion, adagrad].map(\.definition)

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

/// What every rule declares about itself: its name in flags and result files, other accepted spellings (lower
/// case), one line for `--help`, and the optional hyper-parameters it reads with their defaults (the others are
/// cleared in the resolved configuration).
struct RuleInfo: Sendable {
    var name: String
    var aliases: [String] = []
    var summary: String
    var reads: [RuleHyperParameter] = []
}

/// A base rule's declaration. Conforming types live one per file in `BaseRules/`.
protocol BaseRuleDefinition: Sendable {
    /// The lane math of each mode (the same type for rules whose modes agree); their ``StateLayout`` is the rule's
    /// per-weight state.
    associatedtype Faithful: BaseLanes
    associatedtype Standard: BaseLanes = Faithful
    static var info: RuleInfo { get }
    /// One fused base pass: computes this step's coefficients from `configuration` (resolved), advancing `powers`,
    /// and runs the pass with the rule's lanes for `mode`.
    static func pass(_ mode: OptimizerMode, _ configuration: OptimizerConfiguration,
                     _ powers: inout BiasCorrectionPowers, _ step: BaseStep)
}

extension BaseRuleDefinition {
    static var name: String { info.name }
    static var aliases: [String] { info.aliases }
    static var summary: String { info.summary }
    static var hyperParameters: [RuleHyperParameter] { info.reads }
    /// The per-weight state buffers of the rule in `mode` (declared by its lanes).
    static func state(_ mode: OptimizerMode) -> StateLayout { mode == .faithful ? Faithful.state : Standard.state }
}
