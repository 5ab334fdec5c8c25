#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A named Float32 tensor: PyTorch name, shape, values in row-major (C) order.
public typealias NamedTensor = (name: String, shape: [Int], values: [Float])

/// Errors reading or writing a safetensors file. Each description is one line naming the file and the problem.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    case cannotRead(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    /// Fewer than the 8 bytes of the header length.
    case truncated(path: String, size: Int)
    /// Declared header length larger than 100,000,000 bytes or than the file.
    case headerLength(path: String, declared: UInt64, fileSize: Int)
    case headerNotUTF8(path: String)
    /// JSON syntax error at a byte offset of the header (0 = first byte after the 8-byte length).
    case malformedHeader(path: String, offset: Int, problem: String)
    /// A header entry (tensor or `__metadata__`) with missing or mistyped fields.
    case malformedEntry(path: String, name: String, problem: String)
    /// A dtype other than F32.
    case unsupportedDType(path: String, name: String, dtype: String)
    /// data_offsets not contiguous from 0, or not matching the shape.
    case badOffsets(path: String, name: String, problem: String)
    /// The tensors do not cover the data section exactly.
    case dataLength(path: String, expected: Int, found: Int)
    /// A tensor passed to `write` is inconsistent (values vs shape, duplicate or reserved name).
    case invalidTensor(path: String, name: String, problem: String)

    public var description: String { oneLine(rawDescription) }

    private var rawDescription: String {
        switch self {
        case .cannotRead(let path, let reason): return "\(path): cannot read: \(reason)"
        case .cannotWrite(let path, let reason): return "\(path): cannot write: \(reason)"
        case .truncated(let path, let size): return "\(path): not a safetensors file: expected at least 8 bytes (header length), found \(size)"
        case .headerLength(let path, let declared, let fileSize):
            return "\(path): header length \(declared) is impossible for a file of \(fileSize) bytes (limit 100000000)"
        case .headerNotUTF8(let path): return "\(path): header is not valid UTF-8"
        case .malformedHeader(let path, let offset, let problem): return "\(path): header JSON invalid at byte \(offset): \(problem)"
        case .malformedEntry(let path, let name, let problem): return "\(path): header entry '\(name)': \(problem)"
        case .unsupportedDType(let path, let name, let dtype): return "\(path): tensor '\(name)' has dtype \(dtype); only F32 is supported"
        case .badOffsets(let path, let name, let problem): return "\(path): tensor '\(name)': \(problem)"
        case .dataLength(let path, let expected, let found): return "\(path): tensors cover \(expected) bytes of data but the file holds \(found)"
        case .invalidTensor(let path, let name, let problem): return "\(path): tensor '\(name)': \(problem)"
        }
    }
}

/// The safetensors format (https://github.com/huggingface/safetensors), Float32 only:
/// 8-byte little-endian header length N, N bytes of JSON header
/// `{"__metadata__":{…},"name":{"dtype":"F32","shape":[…],"data_offsets":[begin,end]},…}` padded with spaces to a
/// multiple of 8, then the little-endian tensor data (offsets relative to the end of the header).
///
/// Writing reproduces the Python/Rust package byte for byte: tensors sorted by name (byte order), data in that
/// order, compact JSON, `__metadata__` first (keys sorted; omitted when empty, as with `metadata=None`).
public enum Safetensors {
    /// Largest accepted header, as the reference implementation.
    public static let maximumHeaderLength: UInt64 = 100_000_000

    /// Writes `tensors` and `metadata` to `path` atomically (temporary file in the same directory, then rename).
    public static func write(_ tensors: [NamedTensor], metadata: [String: String], to path: String) throws(SafetensorsError) {
        let bytes = try serialize(tensors, metadata: metadata, path: path)
        try writeAtomically(bytes, to: path)
    }

    /// Reads every tensor (in file order, i.e. by data offset) and the metadata of a safetensors file.
    public static func read(from path: String) throws(SafetensorsError) -> (tensors: [NamedTensor], metadata: [String: String]) {
        let bytes = try readFile(path)
        return try deserialize(bytes, path: path)
    }

    /// The bytes `write` would put in a file. `path` only names the destination in errors.
    public static func serialize(_ tensors: [NamedTensor], metadata: [String: String], path: String = "<memory>") throws(SafetensorsError) -> [UInt8] {
        var seen = Set<String>()
        for tensor in tensors {
            if tensor.name == "__metadata__" {
                throw .invalidTensor(path: path, name: tensor.name, problem: "the name __metadata__ is reserved")
            }
            if !seen.insert(tensor.name).inserted {
                throw .invalidTensor(path: path, name: tensor.name, problem: "duplicate tensor name")
            }
            if let bad = tensor.shape.first(where: { $0 < 0 }) {
                throw .invalidTensor(path: path, name: tensor.name, problem: "negative dimension \(bad) in shape \(tensor.shape)")
            }
            guard let count = checkedProduct(tensor.shape), count == tensor.values.count else {
                throw .invalidTensor(
                    path: path, name: tensor.name,
                    problem: "shape \(tensor.shape) needs \(checkedProduct(tensor.shape).map(String.init) ?? "too many") values, found \(tensor.values.count)")
            }
        }
        let ordered = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var header: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        if !metadata.isEmpty {
            header += Array("\"__metadata__\":{".utf8)
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { header.append(UInt8(ascii: ",")) }
                appendJSONString(key, to: &header)
                header.append(UInt8(ascii: ":"))
                appendJSONString(metadata[key]!, to: &header)
            }
            header.append(UInt8(ascii: "}"))
            first = false
        }
        var offset = 0
        for tensor in ordered {
            if !first { header.append(UInt8(ascii: ",")) }
            first = false
            appendJSONString(tensor.name, to: &header)
            let end = offset + 4 * tensor.values.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            header += Array(":{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}".utf8)
            offset = end
        }
        header.append(UInt8(ascii: "}"))
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }

        let total = 8 + header.count + offset
        var bytes = [UInt8]()
        bytes.reserveCapacity(total)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        for tensor in ordered {
            tensor.values.withUnsafeBufferPointer { values in
                for value in values {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
                }
            }
        }
        return bytes
    }

    /// Parses and validates the bytes of a safetensors file. `path` only names the source in errors.
    public static func deserialize(_ bytes: [UInt8], path: String = "<memory>") throws(SafetensorsError) -> (tensors: [NamedTensor], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw .truncated(path: path, size: bytes.count) }
        var declared: UInt64 = 0
        for j in 0..<8 { declared |= UInt64(bytes[j]) << (8 * UInt64(j)) }
        guard declared <= maximumHeaderLength, declared <= UInt64(bytes.count - 8) else {
            throw .headerLength(path: path, declared: declared, fileSize: bytes.count)
        }
        let headerLength = Int(declared)
        let headerBytes = Array(bytes[8..<(8 + headerLength)])
        guard String(validating: headerBytes, as: UTF8.self) != nil else { throw .headerNotUTF8(path: path) }
        var parser = JSONParser(bytes: headerBytes)
        let document: JSONValue
        do {
            document = try parser.parseDocument()
        } catch {
            throw .malformedHeader(path: path, offset: error.offset, problem: error.problem)
        }
        guard case .object(let members) = document else {
            throw .malformedHeader(path: path, offset: 0, problem: "expected a JSON object at the top level")
        }

        struct Entry {
            let name: String
            let shape: [Int]
            let begin: Int
            let end: Int
        }
        var metadata: [String: String] = [:]
        var sawMetadata = false
        var entries: [Entry] = []
        var names = Set<String>()
        for (key, value) in members {
            if key == "__metadata__" {
                if sawMetadata { throw .malformedEntry(path: path, name: key, problem: "appears twice") }
                sawMetadata = true
                guard case .object(let pairs) = value else {
                    throw .malformedEntry(path: path, name: key, problem: "expected an object of string values")
                }
                for (metaKey, metaValue) in pairs {
                    guard case .string(let text) = metaValue else {
                        throw .malformedEntry(path: path, name: key, problem: "value of '\(metaKey)' is not a string")
                    }
                    if metadata.updateValue(text, forKey: metaKey) != nil {
                        throw .malformedEntry(path: path, name: key, problem: "key '\(metaKey)' appears twice")
                    }
                }
                continue
            }
            if !names.insert(key).inserted {
                throw .malformedEntry(path: path, name: key, problem: "duplicate tensor name")
            }
            guard case .object(let fields) = value else {
                throw .malformedEntry(path: path, name: key, problem: "expected an object with dtype, shape and data_offsets")
            }
            func field(_ fieldName: String) throws(SafetensorsError) -> JSONValue {
                guard let found = fields.first(where: { $0.key == fieldName }) else {
                    throw .malformedEntry(path: path, name: key, problem: "missing '\(fieldName)'")
                }
                return found.value
            }
            guard case .string(let dtype) = try field("dtype") else {
                throw .malformedEntry(path: path, name: key, problem: "'dtype' is not a string")
            }
            guard dtype == "F32" else { throw .unsupportedDType(path: path, name: key, dtype: dtype) }
            guard let shape = try field("shape").nonNegativeIntegers else {
                throw .malformedEntry(path: path, name: key, problem: "'shape' is not an array of non-negative integers")
            }
            guard let offsets = try field("data_offsets").nonNegativeIntegers, offsets.count == 2 else {
                throw .malformedEntry(path: path, name: key, problem: "'data_offsets' is not an array of two non-negative integers")
            }
            entries.append(Entry(name: key, shape: shape, begin: offsets[0], end: offsets[1]))
        }
        // As the reference implementation: order by (begin, end), then require contiguity from 0.
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expected = 0
        for entry in entries {
            guard entry.begin == expected, entry.end >= entry.begin else {
                throw .badOffsets(
                    path: path, name: entry.name,
                    problem: "data_offsets [\(entry.begin), \(entry.end)] not contiguous: expected begin \(expected)")
            }
            guard let count = checkedProduct(entry.shape), count <= Int.max / 4 else {
                throw .malformedEntry(path: path, name: entry.name, problem: "shape \(entry.shape) overflows")
            }
            guard entry.end - entry.begin == 4 * count else {
                throw .badOffsets(
                    path: path, name: entry.name,
                    problem: "data_offsets [\(entry.begin), \(entry.end)] span \(entry.end - entry.begin) bytes but shape \(entry.shape) of F32 needs \(4 * count)")
            }
            expected = entry.end
        }
        let dataStart = 8 + headerLength
        guard expected == bytes.count - dataStart else {
            throw .dataLength(path: path, expected: expected, found: bytes.count - dataStart)
        }
        var tensors: [NamedTensor] = []
        tensors.reserveCapacity(entries.count)
        bytes.withUnsafeBytes { raw in
            for entry in entries {
                let count = (entry.end - entry.begin) / 4
                let base = dataStart + entry.begin
                let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    for j in 0..<count {
                        let bits = raw.loadUnaligned(fromByteOffset: base + 4 * j, as: UInt32.self)
                        buffer[j] = Float(bitPattern: UInt32(littleEndian: bits))
                    }
                    initialized = count
                }
                tensors.append((name: entry.name, shape: entry.shape, values: values))
            }
        }
        return (tensors, metadata)
    }

    // MARK: - Helpers

    static func checkedProduct(_ shape: [Int]) -> Int? {
        var product = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (result, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            product = result
        }
        return product
    }

    /// JSON string as serde_json writes it: `"` and `\` escaped, \b \f \n \r \t by name, other control
    /// characters as \u00xx (lower-case hex), everything else (including non-ASCII UTF-8) verbatim.
    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                out += Array("\\u00".utf8)
                out += [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }

    static func readFile(_ path: String) throws(SafetensorsError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .cannotRead(path: path, reason: errnoText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotRead(path: path, reason: errnoText()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .cannotRead(path: path, reason: "not a regular file") }
        let size = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        var failure: String?
        bytes.withUnsafeMutableBytes { buffer in
            while done < size {
                let n = posixRead(fd, buffer.baseAddress! + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errnoText()
                    return
                }
                if n == 0 { break }
                done += n
            }
        }
        if let failure { throw .cannotRead(path: path, reason: failure) }
        if done != size { throw .cannotRead(path: path, reason: "file shrank while reading (\(done) of \(size) bytes)") }
        return bytes
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(SafetensorsError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw .cannotWrite(path: path, reason: "\(temporary): \(errnoText())") }
        var failure: String?
        bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = posixWrite(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errnoText()
                    return
                }
                done += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = errnoText() }
        if close(fd) != 0, failure == nil { failure = errnoText() }
        if failure == nil, rename(temporary, path) != 0 { failure = errnoText() }
        if let failure {
            unlink(temporary)
            throw .cannotWrite(path: path, reason: failure)
        }
    }
}

private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}

private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

// MARK: - Minimal JSON reader for safetensors headers (order-preserving objects, exact integers).

indirect enum JSONValue {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// The number's source text (validated against the JSON grammar).
    case number(String)
    case bool(Bool)
    case null

    /// The array's elements if every one is a non-negative integer written without fraction or exponent.
    var nonNegativeIntegers: [Int]? {
        guard case .array(let elements) = self else { return nil }
        var result: [Int] = []
        for element in elements {
            guard case .number(let text) = element, let value = Int(text), value >= 0 else { return nil }
            result.append(value)
        }
        return result
    }
}

struct JSONSyntaxError: Error {
    let offset: Int
    let problem: String
}

struct JSONParser {
    let bytes: [UInt8]
    var position = 0
    var depth = 0
    static let maximumDepth = 64

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if position != bytes.count { throw fail("unexpected \(describe(bytes[position])) after the top-level value") }
        return value
    }

    private func fail(_ problem: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: position, problem: problem)
    }

    private func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        guard position < bytes.count else { throw fail("unexpected end of header") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail("unexpected \(describe(bytes[position]))")
        }
    }

    private mutating func expectLiteral(_ literal: String) throws(JSONSyntaxError) {
        for byte in literal.utf8 {
            guard position < bytes.count, bytes[position] == byte else { throw fail("invalid literal, expected \(literal)") }
            position += 1
        }
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > JSONParser.maximumDepth { throw fail("nesting deeper than \(JSONParser.maximumDepth)") }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        try parseSequence(closing: "}", name: "object") { (parser: inout JSONParser) throws(JSONSyntaxError) in
            guard parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: "\"") else {
                throw parser.fail("expected a string key")
            }
            let key = try parser.parseString()
            parser.skipWhitespace()
            guard parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: ":") else {
                throw parser.fail("expected ':' after key")
            }
            parser.position += 1
            parser.skipWhitespace()
            members.append((key, try parser.parseValue()))
        }
        return .object(members)
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        var elements: [JSONValue] = []
        try parseSequence(closing: "]", name: "array") { (parser: inout JSONParser) throws(JSONSyntaxError) in
            elements.append(try parser.parseValue())
        }
        return .array(elements)
    }

    /// Parses `open element (, element)* close` (or an empty sequence) from the opening bracket on, one nesting level
    /// deeper; `element` parses one element starting at a non-blank byte.
    private mutating func parseSequence(
        closing: Unicode.Scalar, name: String, element: (inout JSONParser) throws(JSONSyntaxError) -> Void
    ) throws(JSONSyntaxError) {
        try enter()
        defer { depth -= 1 }
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: closing) {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            guard position < bytes.count else { throw fail("unterminated \(name)") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if bytes[position] == UInt8(ascii: closing) {
                position += 1
                return
            }
            throw fail("expected ',' or '\(closing)' in \(name)")
        }
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        position += 1
        var buffer: [UInt8] = []
        while true {
            guard position < bytes.count else { throw fail("unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: buffer, as: UTF8.self)
            }
            if byte < 0x20 { throw fail("control character in string") }
            if byte != UInt8(ascii: "\\") {
                buffer.append(byte)
                position += 1
                continue
            }
            position += 1
            guard position < bytes.count else { throw fail("unterminated escape") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): buffer.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if (0xD800..<0xDC00).contains(code) {
                    guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                          bytes[position + 1] == UInt8(ascii: "u") else { throw fail("unpaired surrogate in \\u escape") }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in \\u escape") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(code) {
                    throw fail("unpaired surrogate in \\u escape")
                }
                buffer.append(contentsOf: Array(String(Character(Unicode.Scalar(code)!)).utf8))
            default: throw fail("invalid escape '\\\(Character(Unicode.Scalar(escape)))'")
            }
        }
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> String {
        let start = position
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw fail("invalid number") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw fail("invalid number") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw fail("invalid number") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }
}
