import Foundation
import Settings

/// Every setting of one run: a value for each setting of ``table`` (the ``RunSettingCatalog`` plus the methods'
/// own hyper-parameters). JSON form (`--config FILE.json`, the `config` object of `result.json`): one flat object
/// whose keys are the settings' keys (the command-line flag names with `-` replaced by `_`: `--task-length` ↔
/// `task_length`). Unknown keys are rejected; missing keys take their defaults. Optional values left null mean
/// "the default of the chosen rule or method"; validation fills them, and a result file always carries the
/// resolved form, so it alone says how to reproduce the run.
///
/// Typed access goes through the catalog: `configuration.alpha0`, `configuration.taskLength = 100`.
@dynamicMemberLookup
public struct RunConfiguration: Sendable, Equatable, Codable {
    /// The declarations (one per setting; `mobench run --help` and README's table are generated from them).
    public static let catalog = RunSettingCatalog()
    public static let table = SettingTable(catalog.all.map(\.declaration) + OptimizerKind.registered.flatMap(\.settings))

    /// Every setting's value, by key.
    public private(set) var values: [String: SettingValue]

    /// Every setting at its default.
    public init() { values = Self.table.defaults }

    public subscript<V>(dynamicMember path: KeyPath<RunSettingCatalog, RunSetting<V>>) -> V {
        get { V(settingValue: values[Self.catalog[keyPath: path].declaration.key]!)! }
        set { values[Self.catalog[keyPath: path].declaration.key] = newValue.settingValue }
    }

    /// The value of the setting `key` (a method's own hyper-parameter, read by its ``OptimizerKind``).
    public subscript(key: String) -> SettingValue {
        get { values[key] ?? .null }
        set {
            precondition(Self.table[key] != nil, "unknown setting '\(key)'")
            values[key] = newValue
        }
    }

    /// All keys a configuration accepts.
    public static var allKeys: [String] { table.keys }

    // MARK: - JSON

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes an object in which every key is optional (missing keys take the defaults); unknown keys, wrong
    /// types and out-of-range values are errors.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        self.init()
        for key in c.allKeys {
            guard let declaration = Self.table[key.stringValue] else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "unknown setting")
            }
            let value = try Self.decodeValue(declaration, key, c)
            do { try declaration.check(value, source: key.stringValue) } catch {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(error)")
            }
            values[key.stringValue] = value
        }
    }

    private static func decodeValue(_ d: SettingDeclaration, _ key: Key, _ c: KeyedDecodingContainer<Key>) throws
        -> SettingValue {
        if try c.decodeNil(forKey: key) {
            guard d.isOptional else {
                throw DecodingError.typeMismatch(Double.self, .init(codingPath: [key], debugDescription: "null"))
            }
            return .null
        }
        switch d.kind {
        case .bool: return .bool(try c.decode(Bool.self, forKey: key))
        case .integer: return .integer(try c.decode(Int.self, forKey: key))
        case .unsigned: return .unsigned(try c.decode(UInt64.self, forKey: key))
        case .number:
            if let text = try? c.decode(String.self, forKey: key) {
                // Non-finite numbers are written as strings (result files).
                guard let x = Double(text) else {
                    throw DecodingError.typeMismatch(Double.self, .init(codingPath: [key], debugDescription: text))
                }
                return .number(x)
            }
            return .number(try c.decode(Double.self, forKey: key))
        case .text: return .text(try c.decode(String.self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for declaration in Self.table.declarations {
            let key = Key(declaration.key)
            switch values[declaration.key] ?? .null {
            case .bool(let b): try c.encode(b, forKey: key)
            case .integer(let i): try c.encode(i, forKey: key)
            case .unsigned(let u): try c.encode(u, forKey: key)
            case .number(let x): try c.encode(x, forKey: key)
            case .text(let s): try c.encode(s, forKey: key)
            case .null: try c.encodeNil(forKey: key)
            }
        }
    }

    /// Decodes a configuration from JSON: a bare configuration object, or a `result.json` (its `config` object),
    /// so that a result file can be fed back to reproduce its run. Unknown keys are an error.
    public static func decode(json: Data, source: String) throws -> RunConfiguration {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: json) } catch {
            throw SettingError.invalid("\(source): not valid JSON")
        }
        guard var dictionary = object as? [String: Any] else {
            throw SettingError.invalid("\(source): expected a JSON object of settings")
        }
        if let inner = dictionary["config"] as? [String: Any], dictionary["schema"] != nil { dictionary = inner }
        let known = Set(allKeys)
        if let unknown = dictionary.keys.sorted().first(where: { !known.contains($0) }) {
            throw SettingError.invalid("\(source): unknown setting '\(unknown)' (known: \(allKeys.joined(separator: ", ")))")
        }
        do {
            let data = try JSONSerialization.data(withJSONObject: dictionary)
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return try decoder.decode(RunConfiguration.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw SettingError.invalid("\(source): setting '\(key)' has the wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw SettingError.invalid("\(source): setting '\(key)' has an invalid value (\(context.debugDescription))")
        }
    }

    /// Applies `--flag VALUE` arguments (see ``SettingTable/parseArguments(_:)``) on top of this configuration.
    public mutating func apply(arguments: [String]) throws {
        do {
            for (key, value) in try Self.table.parseArguments(arguments) { values[key] = value }
        } catch let error as SettingParseError {
            throw SettingError.invalid(error.description)
        }
    }

    /// Canonical JSON (sorted keys, pretty-printed).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}

/// An invalid setting (flag, config key, value); the CLI prints the description and exits with status 2.
public enum SettingError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let message): return message }
    }
}
