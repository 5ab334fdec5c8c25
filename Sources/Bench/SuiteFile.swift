import Foundation
import Streams
import Reports

/// A suite: named groups of run configurations, grids and seeds. File format: JSON with `//` line comments
/// (see Benchmarks/suites/*.json for commented examples):
///
/// ```
/// {
///   "name": "default",                      // identifies the suite in summaries and comparisons
///   "description": "…",
///   "seeds": [0, 1, 2],
///   "settings": { "data": "fashion-mnist", "tasks": 10 },      // run settings shared by every run
///   "groups": [
///     { "name": "input-permuted", "settings": { "stream": "input-permuted" },
///       "methods": [
///         { "label": "AdamW fixed", "settings": { "base": "adamw", "meta": "fixed" },
///           "grid": { "alpha0": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1] } },
///         { "label": "AdamW + MetaOptimize", "settings": { "meta": "adam", "alpha0": 1e-5 } } ] } ]
/// }
/// ```
/// Settings are `RunConfiguration` keys; method settings override group settings, which override suite settings.
/// A grid maps setting keys to lists of values; every combination becomes one configuration.
public struct SuiteFile: Sendable, Equatable {
    public struct Method: Sendable, Equatable {
        public var label: String
        /// How summaries treat it (`fixed`, `meta_optimize`, …); when absent, what the optimizer kind says.
        public var method: MethodKind?
        public var settings: [String: JSONValue]
        public var grid: [(key: String, values: [JSONValue])]

        public static func == (a: Method, b: Method) -> Bool {
            a.label == b.label && a.method == b.method && a.settings == b.settings
                && a.grid.map(\.key) == b.grid.map(\.key) && a.grid.map(\.values) == b.grid.map(\.values)
        }
    }

    public struct Group: Sendable, Equatable {
        public var name: String
        public var settings: [String: JSONValue]
        public var methods: [Method]
    }

    public var name: String
    public var description: String
    public var seeds: [UInt64]
    public var settings: [String: JSONValue]
    public var groups: [Group]
    /// Digest (FNV-1a 64) of the comment-stripped file text plus any `--set` overrides, recorded in summaries.
    public var digest: String {
        overrides.isEmpty ? fileDigest : fnv1a64Hex(fileDigest + "|" + overrides.joined(separator: "|"))
    }
    public var fileDigest: String
    /// `KEY=VALUE` overrides applied on the command line (`mobench suite --set`).
    public var overrides: [String] = []

    /// Parses a suite file; errors name the file and the problem in one line.
    public static func load(path: String) throws -> SuiteFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SettingError.invalid("\(path): cannot read the suite file")
        }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }

    public static func parse(_ text: String, source: String) throws -> SuiteFile {
        let stripped = stripComments(text)
        let tree: JSONValue
        do { tree = try JSONDecoder().decode(JSONValue.self, from: Data(stripped.utf8)) } catch {
            throw SettingError.invalid("\(source): not valid JSON (after removing // comments)")
        }
        guard case .object(let root) = tree else { throw SettingError.invalid("\(source): expected a JSON object") }
        try checkKeys(root, ["name", "description", "seeds", "settings", "groups"], source)
        guard case .string(let name)? = root["name"], !name.isEmpty else {
            throw SettingError.invalid("\(source): missing \"name\"")
        }
        let seedValues = try nonEmptyList(root["seeds"], "\(source): \"seeds\" must be a non-empty list of integers")
        var seeds: [UInt64] = []
        for value in seedValues {
            guard case .number(let n) = value, let seed = UInt64(exactly: n) else {
                throw SettingError.invalid("\(source): \"seeds\" must be non-negative integers")
            }
            seeds.append(seed)
        }
        guard Set(seeds).count == seeds.count else { throw SettingError.invalid("\(source): duplicate seeds") }
        var description = ""
        if let d = root["description"] {
            guard case .string(let text) = d else { throw SettingError.invalid("\(source): \"description\" must be a string") }
            description = text
        }
        let settings = try settingsObject(root["settings"], "\(source): settings")
        let groupValues = try nonEmptyList(root["groups"], "\(source): \"groups\" must be a non-empty list")
        var groups: [Group] = []
        for (gi, value) in groupValues.enumerated() {
            guard case .object(let g) = value, case .string(let gname)? = g["name"], !gname.isEmpty else {
                throw SettingError.invalid("\(source): group \(gi) needs a \"name\"")
            }
            try checkKeys(g, ["name", "settings", "methods"], "\(source): group '\(gname)'")
            let methodValues = try nonEmptyList(g["methods"], "\(source): group '\(gname)' needs a non-empty \"methods\" list")
            var methods: [Method] = []
            for (mi, mv) in methodValues.enumerated() {
                guard case .object(let m) = mv, case .string(let label)? = m["label"], !label.isEmpty else {
                    throw SettingError.invalid("\(source): group '\(gname)' method \(mi) needs a \"label\"")
                }
                let context = "\(source): method '\(label)'"
                try checkKeys(m, ["label", "method", "settings", "grid"], context)
                var grid: [(key: String, values: [JSONValue])] = []
                if let gridValue = m["grid"] {
                    guard case .object(let gridObject) = gridValue else {
                        throw SettingError.invalid("\(context): \"grid\" must map settings to lists")
                    }
                    for key in gridObject.keys.sorted() {
                        let list = try nonEmptyList(gridObject[key], "\(context): grid '\(key)' must be a non-empty list")
                        guard RunConfiguration.allKeys.contains(key) else {
                            throw SettingError.invalid("\(context): unknown setting '\(key)' in grid")
                        }
                        grid.append((key, list))
                    }
                }
                var kind: MethodKind? = nil
                if let k = m["method"] {
                    guard case .string(let text) = k, let parsed = MethodKind(rawValue: text) else {
                        throw SettingError.invalid("\(context): \"method\" must be one of \(MethodKind.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    kind = parsed
                }
                methods.append(Method(label: label, method: kind, settings: try settingsObject(m["settings"], context),
                                      grid: grid))
            }
            if Set(methods.map(\.label)).count != methods.count {
                throw SettingError.invalid("\(source): group '\(gname)' has duplicate method labels")
            }
            groups.append(Group(name: gname, settings: try settingsObject(g["settings"], "\(source): group '\(gname)'"),
                                methods: methods))
        }
        if Set(groups.map(\.name)).count != groups.count {
            throw SettingError.invalid("\(source): duplicate group names")
        }
        return SuiteFile(name: name, description: description, seeds: seeds, settings: settings, groups: groups,
                         fileDigest: fnv1a64Hex(stripped))
    }

    /// The elements of a non-empty JSON list, or `SettingError.invalid(problem)`.
    private static func nonEmptyList(_ value: JSONValue?, _ problem: String) throws -> [JSONValue] {
        guard case .array(let list)? = value, !list.isEmpty else { throw SettingError.invalid(problem) }
        return list
    }

    private static func checkKeys(_ object: [String: JSONValue], _ allowed: Set<String>, _ context: String) throws {
        if let bad = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw SettingError.invalid("\(context): unknown key '\(bad)' (known: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    private static func settingsObject(_ value: JSONValue?, _ context: String) throws -> [String: JSONValue] {
        guard let value else { return [:] }
        guard case .object(let object) = value else { throw SettingError.invalid("\(context): settings must be an object") }
        for key in object.keys.sorted() where !RunConfiguration.allKeys.contains(key) {
            throw SettingError.invalid("\(context): unknown setting '\(key)'")
        }
        return object
    }

    /// Removes `//` comments outside strings.
    static func stripComments(_ text: String) -> String {
        var out = ""
        var inString = false, escaped = false
        var iterator = Array(text).makeIterator()
        var pending: Character? = nil
        while let ch = pending ?? iterator.next() {
            pending = nil
            if inString {
                out.append(ch)
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false }
                continue
            }
            if ch == "\"" { inString = true; out.append(ch); continue }
            if ch == "/" {
                if let next = iterator.next() {
                    if next == "/" {
                        while let c = iterator.next() { if c == "\n" { out.append("\n"); break } }
                        continue
                    }
                    out.append(ch); pending = next; continue
                }
            }
            out.append(ch)
        }
        return out
    }
}

/// A JSON value (strictly typed: booleans are never numbers).
public indirect enum JSONValue: Sendable, Equatable, Decodable, CustomStringConvertible {
    case number(Double), string(String), bool(Bool), null, array([JSONValue]), object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// The JSON text of this value (for decoding settings into a `RunConfiguration`).
    var jsonText: String {
        switch self {
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : "\(n)"
        case .string(let s):
            let data = try! JSONEncoder().encode(s)
            return String(decoding: data, as: UTF8.self)
        case .bool(let b): return String(b)
        case .null: return "null"
        case .array(let a): return "[" + a.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let o): return "{" + o.keys.sorted().map { "\(JSONValue.string($0).jsonText):\(o[$0]!.jsonText)" }.joined(separator: ",") + "}"
        }
    }

    /// Short text for configuration ids.
    public var description: String {
        switch self {
        case .string(let s): return s
        default: return jsonText
        }
    }
}
