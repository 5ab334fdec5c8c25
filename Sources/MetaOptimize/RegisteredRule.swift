/// A rule chosen by name from a registry (``BaseRule``, ``MetaRule``): parsing with aliases, Codable as its name,
/// equal when the names are equal.
public protocol RegisteredRule: Sendable, Hashable, TextCodable {
    /// The rule's name as flags and result files spell it.
    var rawValue: String { get }
    /// The configuration field the rule is chosen by (`base`, `meta`), for error messages.
    static var field: String { get }
    /// Names and aliases of the registered rules, in registration order.
    static var registeredNames: [(name: String, aliases: [String])] { get }
    init(registeredIndex: Int)
}

extension RegisteredRule {
    /// Every registered rule, in the order `--help` lists them.
    public static var allCases: [Self] { registeredNames.indices.map(Self.init(registeredIndex:)) }

    /// The rule called `rawValue` exactly (no aliases), or nil.
    public init?(rawValue: String) {
        guard let k = Self.registeredNames.firstIndex(where: { $0.name == rawValue }) else { return nil }
        self.init(registeredIndex: k)
    }

    /// Parses a rule name or alias, case-insensitively.
    public init(parsing text: String) throws {
        let key = text.lowercased()
        guard let k = Self.registeredNames.firstIndex(where: { $0.name == key || $0.aliases.contains(key) }) else {
            throw OptimizerError.unknownName(field: Self.field, found: text,
                                             expected: Self.registeredNames.map(\.name))
        }
        self.init(registeredIndex: k)
    }


    public static func == (a: Self, b: Self) -> Bool { a.rawValue == b.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    public var description: String { rawValue }
}
