/// One value of a setting, as JSON carries it.
public enum SettingValue: Sendable, Hashable, CustomStringConvertible {
    case bool(Bool)
    case integer(Int)
    /// Unsigned 64-bit integers (seeds).
    case unsigned(UInt64)
    case number(Double)
    case text(String)
    /// "Not set": the selected method's or rule's default.
    case null

    /// The case's value (nil for `.null`).
    var payload: (any Sendable)? {
        switch self {
        case .bool(let b): b
        case .integer(let i): i
        case .unsigned(let u): u
        case .number(let x): x
        case .text(let s): s
        case .null: nil
        }
    }

    /// The value as written on a command line, in `--help` and in tables.
    public var description: String {
        switch self {
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .unsigned(let u): return String(u)
        case .number(let x): return x.isFinite ? "\(x)" : (x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf"))
        case .text(let s): return s
        case .null: return "null"
        }
    }
}

/// The type of a setting's values.
public enum SettingKind: String, Sendable, Equatable {
    case bool, integer, unsigned, number, text

    /// The placeholder shown in `--help` (`N`, `X`, `NAME`).
    public var placeholder: String {
        switch self {
        case .bool: return ""
        case .integer, .unsigned: return "N"
        case .number: return "X"
        case .text: return "VALUE"
        }
    }
}

/// A hyper-parameter or run setting, declared once: its JSON key (the `--config` and `result.json` key, and the
/// suite `--set` key), its command-line flag (the key with `_` → `-`), type, default, unit and one-line help. The
/// CLI, `--help`, config files, result files, suites and README's flag table are all generated from these.
public struct SettingDeclaration: Sendable {
    /// snake_case JSON key, e.g. `meta_lion_interpolation`.
    public let key: String
    public let kind: SettingKind
    /// True when the setting may be null ("the selected rule's or method's default").
    public let isOptional: Bool
    /// The default (`.null` for optional settings whose default depends on the method).
    public let defaultValue: SettingValue
    /// How `--help` describes the default when it is not a single value (e.g. "SGDm/AdamW 0.9, Lion 0.99").
    public let defaultText: String?
    /// One line: what it is, with units and conventions (α vs log α, faithful vs standard).
    public let help: String
    /// The heading it is listed under (`Data and stream`, `Model`, `Optimizer`, `MetaOptimize`, `Measurement`, …).
    public let section: String
    /// Allowed values, checked when the setting is parsed.
    public let range: SettingRange

    public init(key: String, kind: SettingKind, isOptional: Bool = false, defaultValue: SettingValue,
                defaultText: String? = nil, help: String, section: String, range: SettingRange = .any) {
        self.key = key
        self.kind = kind
        self.isOptional = isOptional
        self.defaultValue = defaultValue
        self.defaultText = defaultText
        self.help = help
        self.section = section
        self.range = range
    }

    /// The command-line flag: `--` + key with `_` → `-`.
    public var flag: String { "--" + key.replacingUnderscores() }

    /// The default as `--help` and the README show it.
    public var defaultDescription: String {
        if let defaultText { return defaultText }
        if kind == .bool, case .bool(false) = defaultValue { return "off" }
        return defaultValue.description
    }

    /// Parses a command-line or `--set` text into a value of this setting (`null` clears an optional one).
    public func parse(_ text: String, source: String) throws -> SettingValue {
        if isOptional && text == "null" { return .null }
        let value: SettingValue
        switch kind {
        case .bool:
            switch text.lowercased() {
            case "true", "on", "yes", "1": value = .bool(true)
            case "false", "off", "no", "0": value = .bool(false)
            default: throw SettingParseError("\(source): expected true or false, got '\(text)'")
            }
        case .integer:
            guard let i = Int(text) else { throw SettingParseError("\(source): expected an integer, got '\(text)'") }
            value = .integer(i)
        case .unsigned:
            guard let u = UInt64(text) else {
                throw SettingParseError("\(source): expected a non-negative integer, got '\(text)'")
            }
            value = .unsigned(u)
        case .number:
            guard let x = Double(text) else { throw SettingParseError("\(source): expected a number, got '\(text)'") }
            value = .number(x)
        case .text:
            value = .text(text)
        }
        try check(value, source: source)
        return value
    }

    /// Checks type and range of a value (from JSON or parsed text).
    public func check(_ value: SettingValue, source: String) throws {
        switch (kind, value) {
        case (_, .null) where isOptional: return
        case (.bool, .bool), (.integer, .integer), (.unsigned, .unsigned), (.number, .number), (.text, .text): break
        default: throw SettingParseError("\(source): expected \(kindDescription), got \(value)")
        }
        if let problem = range.problem(value) { throw SettingParseError("\(source) \(problem)") }
    }

    var kindDescription: String {
        switch kind {
        case .bool: return "true or false"
        case .integer: return "an integer"
        case .unsigned: return "a non-negative integer"
        case .number: return "a number"
        case .text: return "a text value"
        }
    }
}

/// The values a setting accepts.
public enum SettingRange: Sendable {
    case any
    /// x > 0 (numbers and integers).
    case positive
    /// x ≥ 0.
    case nonNegative
    /// 0 ≤ x < 1.
    case halfOpenUnit
    /// 0 ≤ x ≤ 1.
    case unitInterval
    /// One of these texts.
    case choices([String])

    /// Why `value` is outside the range (completes "--flag …"), or nil.
    func problem(_ value: SettingValue) -> String? {
        let x: Double
        switch value {
        case .integer(let i): x = Double(i)
        case .unsigned(let u): x = Double(u)
        case .number(let d): x = d
        case .text(let s):
            if case .choices(let allowed) = self, !allowed.contains(s) {
                return "has an unknown value '\(s)' (expected \(allowed.joined(separator: ", ")))"
            }
            return nil
        default: return nil
        }
        switch self {
        case .any, .choices: return x.isNaN ? "must be a number, got nan" : nil
        case .positive: return x.isFinite && x > 0 ? nil : "must be positive, got \(value)"
        case .nonNegative: return x.isFinite && x >= 0 ? nil : "must be a finite non-negative number, got \(value)"
        case .halfOpenUnit: return x >= 0 && x < 1 ? nil : "must be in [0, 1), got \(value)"
        case .unitInterval: return x >= 0 && x <= 1 ? nil : "must be in [0, 1], got \(value)"
        }
    }
}

/// A setting value that could not be parsed or is out of range; the description is one line naming the flag or key.
public struct SettingParseError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension String {
    func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}

/// A Swift type a setting's values convert to and from.
public protocol SettingConvertible: Sendable {
    static var settingKind: SettingKind { get }
    static var isOptionalSetting: Bool { get }
    var settingValue: SettingValue { get }
    /// Converts a value of the declared kind (`.null` only for optional types).
    init?(settingValue: SettingValue)
}

extension SettingConvertible {
    public static var isOptionalSetting: Bool { false }
}

/// A scalar Swift type held by one ``SettingValue`` case; the conversions both ways come from that case.
public protocol SettingScalar: SettingConvertible {
    /// The case holding this type's values (e.g. `SettingValue.bool`).
    static var settingCase: (Self) -> SettingValue { get }
}

extension SettingScalar {
    public var settingValue: SettingValue { Self.settingCase(self) }
    public init?(settingValue v: SettingValue) {
        // The round trip rules out cross-type casts (an integer read as a Double).
        guard let x = v.payload as? Self, Self.settingCase(x) == v else { return nil }
        self = x
    }
}

extension Bool: SettingScalar { public static var settingKind: SettingKind { .bool }; public static var settingCase: (Bool) -> SettingValue { SettingValue.bool } }
extension Int: SettingScalar { public static var settingKind: SettingKind { .integer }; public static var settingCase: (Int) -> SettingValue { SettingValue.integer } }
extension UInt64: SettingScalar { public static var settingKind: SettingKind { .unsigned }; public static var settingCase: (UInt64) -> SettingValue { SettingValue.unsigned } }
extension Double: SettingScalar { public static var settingKind: SettingKind { .number }; public static var settingCase: (Double) -> SettingValue { SettingValue.number } }
extension String: SettingScalar { public static var settingKind: SettingKind { .text }; public static var settingCase: (String) -> SettingValue { SettingValue.text } }

extension Optional: SettingConvertible where Wrapped: SettingConvertible {
    public static var settingKind: SettingKind { Wrapped.settingKind }
    public static var isOptionalSetting: Bool { true }
    public var settingValue: SettingValue { map(\.settingValue) ?? .null }
    public init?(settingValue v: SettingValue) {
        if case .null = v { self = .none; return }
        guard let w = Wrapped(settingValue: v) else { return nil }
        self = .some(w)
    }
}

extension SettingDeclaration {
    /// A declaration whose kind and optionality come from the Swift type `Value`.
    public static func of<Value: SettingConvertible>(
        _ type: Value.Type, key: String, default defaultValue: Value, defaultText: String? = nil, help: String,
        section: String, range: SettingRange = .any
    ) -> SettingDeclaration {
        SettingDeclaration(key: key, kind: Value.settingKind, isOptional: Value.isOptionalSetting,
                           defaultValue: defaultValue.settingValue, defaultText: defaultText, help: help,
                           section: section, range: range)
    }
}
