import Foundation

/// Errors of the Reports module. Each description is one line naming the file or field, what was expected and
/// what was found.
public enum ReportsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file could not be read or written.
    case io(file: String, operation: String, reason: String)
    /// A JSON document did not decode as the expected type.
    case invalidJSON(file: String, expected: String, reason: String)
    /// A summary file carries another schema version.
    case schemaMismatch(file: String, expected: String, found: String)
    /// A CSV file's header is not the expected one.
    case csvHeader(file: String, expected: String, found: String)
    /// A CSV row could not be parsed.
    case csvRow(file: String, line: Int, field: String, expected: String, found: String)

    public var description: String {
        switch self {
        case let .io(file, operation, reason): return "\(file): cannot \(operation): \(reason)"
        case let .invalidJSON(file, expected, reason): return "\(file): expected \(expected), found invalid JSON (\(reason))"
        case let .schemaMismatch(file, expected, found): return "\(file): field \"schema\": expected \"\(expected)\", found \"\(found)\""
        case let .csvHeader(file, expected, found): return "\(file): line 1 (header): expected \"\(expected)\", found \"\(found)\""
        case let .csvRow(file, line, field, expected, found):
            return "\(file): line \(line), field \"\(field)\": expected \(expected), found \"\(found)\""
        }
    }
}

/// The JSON conventions of every Reports file: snake_case keys (declared by each type's coding keys, so no key
/// conversion strategy is used), sorted keys, pretty-printed, and non-finite numbers written as the strings
/// "inf", "-inf" and "nan" (plain JSON has no representation for them) and read back the same way.
public enum ReportsJSON {
    /// An encoder with sorted keys, pretty printing, unescaped slashes and non-finite numbers as strings.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// The matching decoder.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// Encodes `value` as UTF-8 JSON text ending with a newline.
    public static func encode<T: Encodable>(_ value: T) throws(ReportsError) -> Data {
        do {
            var data = try encoder().encode(value)
            data.append(0x0A)
            return data
        } catch {
            throw .invalidJSON(file: "<memory>", expected: "\(T.self)", reason: "\(error)")
        }
    }

    /// Decodes a `T` from `data`; `file` names the source in error messages.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws(ReportsError) -> T {
        do {
            return try decoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw .invalidJSON(file: file, expected: "\(T.self)", reason: describe(error))
        } catch {
            throw .invalidJSON(file: file, expected: "\(T.self)", reason: "\(error)")
        }
    }

    /// Reads and decodes a JSON file.
    public static func read<T: Decodable>(_ type: T.Type, from url: URL) throws(ReportsError) -> T {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .io(file: url.path, operation: "read", reason: error.localizedDescription)
        }
        return try decode(type, from: data, file: url.path)
    }

    /// Encodes `value` and writes it atomically (temporary file, then rename) to `url`.
    public static func write<T: Encodable>(_ value: T, to url: URL) throws(ReportsError) {
        let data = try encode(value)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw .io(file: url.path, operation: "write", reason: error.localizedDescription)
        }
    }

    /// One line naming the coding path of a decoding error.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "<root>" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case let .keyNotFound(key, context): return "missing key \"\(key.stringValue)\" at \(path(context.codingPath))"
        case let .typeMismatch(type, context): return "type mismatch at \(path(context.codingPath)): expected \(type)"
        case let .valueNotFound(type, context): return "null at \(path(context.codingPath)): expected \(type)"
        case let .dataCorrupted(context): return "corrupted data at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
