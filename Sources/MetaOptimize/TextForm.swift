/// A setting whose Codable form is its text form (`init(parsing:)` / `description`): granularities, schedules,
/// rule names. Decoding errors carry the parser's one-line message.
public protocol TextCodable: Codable, CustomStringConvertible {
    init(parsing text: String) throws
}

extension TextCodable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(parsing: text) } catch let error as OptimizerError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A closed set of named choices (`mode`, `subnormals`) parsed case-insensitively, naming the field on error.
public protocol NamedChoice: RawRepresentable, CaseIterable, CustomStringConvertible where RawValue == String {
    /// The configuration field, for error messages.
    static var field: String { get }
}

extension NamedChoice {
    public init(parsing text: String) throws {
        guard let value = Self(rawValue: text.lowercased()) else {
            throw OptimizerError.unknownName(field: Self.field, found: text, expected: Self.allCases.map(\.rawValue))
        }
        self = value
    }

    public var description: String { rawValue }
}
