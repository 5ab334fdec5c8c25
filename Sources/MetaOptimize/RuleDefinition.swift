// What base and meta rules declare alike: a name, aliases, a help line and the optional hyper-parameters they
// read. Each rule's own file holds its declaration (a ``BaseRuleDefinition`` or ``MetaRuleDefinition``).

/// What every rule declares about itself: its name in flags and result files, other accepted spellings (lower
/// case), one line for `--help`, and the optional hyper-parameters it reads with their defaults (the others are
/// cleared in the resolved configuration).
struct RuleInfo: Sendable {
    var name: String
    var aliases: [String] = []
    var summary: String
    var reads: [RuleHyperParameter] = []
}

/// A rule's declaration: the ``RuleInfo`` every rule has (base and meta rules refine it with their passes).
protocol RuleDefinition: Sendable {
    static var info: RuleInfo { get }
}

/// A registered rule chosen by name (``BaseRule``, ``MetaRule``), backed by its declaration's ``RuleInfo``.
protocol DefinedRule: RegisteredRule {
    var info: RuleInfo { get }
}

extension DefinedRule {
    /// The rule's name as flags and result files spell it (`adamw`, `adam`).
    public var rawValue: String { info.name }
    /// One line for `--help`.
    var summary: String { info.summary }
    /// The optional hyper-parameters this rule reads, with their defaults.
    var hyperParameters: [RuleHyperParameter] { info.reads }
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
