import Foundation

/// An ordered table of declared settings: the one source of the command-line flags, `--help`, the JSON keys and
/// README's flag table. Keys are unique.
public struct SettingTable: Sendable {
    public let declarations: [SettingDeclaration]
    private let index: [String: Int]

    /// - Precondition: keys are unique (a second declaration of a key is a programming error).
    public init(_ declarations: [SettingDeclaration]) {
        var index: [String: Int] = [:]
        for (k, d) in declarations.enumerated() {
            precondition(index[d.key] == nil, "setting '\(d.key)' is declared twice")
            index[d.key] = k
        }
        self.declarations = declarations
        self.index = index
    }

    public subscript(key: String) -> SettingDeclaration? { index[key].map { declarations[$0] } }

    public var keys: [String] { declarations.map(\.key) }

    /// Every setting at its default.
    public var defaults: [String: SettingValue] {
        Dictionary(uniqueKeysWithValues: declarations.map { ($0.key, $0.defaultValue) })
    }

    /// Parses `--flag VALUE`, `--flag=VALUE` and, for booleans, a bare `--flag` (true). A value may start with `-`
    /// (negative numbers are values, and then refused by the range check with the flag's message).
    /// - Returns: the values given, by key, in the order given (a later flag wins).
    public func parseArguments(_ arguments: [String]) throws -> [(key: String, value: SettingValue)] {
        var result: [(key: String, value: SettingValue)] = []
        var k = 0
        while k < arguments.count {
            let argument = arguments[k]
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw SettingParseError("unexpected argument '\(argument)' (settings are given as --flag VALUE)")
            }
            var name = String(argument.dropFirst(2))
            var inline: String? = nil
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            let key = String(name.map { $0 == "-" ? "_" : $0 })
            guard let declaration = self[key], name == key.replacingUnderscores() else {
                throw SettingParseError("unknown option '--\(name)' (see --help)")
            }
            let text: String
            if let inline {
                text = inline
            } else if declaration.kind == .bool {
                text = "true"
            } else {
                guard k + 1 < arguments.count else {
                    throw SettingParseError("\(declaration.flag): missing value")
                }
                k += 1
                text = arguments[k]
            }
            result.append((key, try declaration.parse(text, source: declaration.flag)))
            k += 1
        }
        return result
    }

    /// `--help` text: one line per setting, grouped by section, in declaration order.
    public func helpText(sections: [String]? = nil) -> String {
        var lines: [String] = []
        for section in orderedSections where sections?.contains(section) ?? true {
            lines.append("\(section.uppercased()):")
            for d in declarations where d.section == section {
                let flag = d.kind == .bool ? d.flag : "\(d.flag) <\(d.kind.placeholder)>"
                lines.append("  \(flag)   (default: \(d.defaultDescription))")
                lines.append("        \(d.help)")
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    /// README's flag table (Markdown): flag, JSON key, default, meaning — grouped by section.
    public func markdownTable() -> String {
        var lines: [String] = []
        for section in orderedSections {
            lines.append("**\(section)**")
            lines.append("")
            lines.append("| flag | JSON key | default | meaning |")
            lines.append("|---|---|---|---|")
            for d in declarations where d.section == section {
                let flag = d.kind == .bool ? d.flag : "\(d.flag) \(d.kind.placeholder)"
                let help = d.help.replacingOccurrences(of: "|", with: "\\|")
                lines.append("| `\(flag)` | `\(d.key)` | \(d.defaultDescription) | \(help) |")
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    private var orderedSections: [String] {
        var seen: [String] = []
        for d in declarations where !seen.contains(d.section) { seen.append(d.section) }
        return seen
    }
}
