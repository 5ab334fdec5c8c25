/// A minimal reader for ustar (POSIX.1-1988) and GNU tar archives held in memory, enough for the official CIFAR
/// archives: regular files by name, sizes in octal, 512-byte blocks.
///
/// - Header checksums are verified (unsigned sum, or the signed sum some old tars wrote).
/// - Names: `prefix/name` for ustar headers; GNU long names (type `L`) are honoured; a leading `./` is dropped.
/// - Types `0`, NUL and `7` are regular files; directories, links and pax headers are skipped.
/// - The archive must end with a zero block; running out of bytes inside a header, inside a member's data, or
///   before the zero block is a truncated archive. Sizes in base-256 (for members over 8 GiB) are rejected.
public struct TarArchive: Sendable {
    /// One regular file: its name and where its bytes are in `bytes`.
    public struct Member: Sendable, Equatable {
        public let name: String
        public let offset: Int
        public let size: Int
    }

    /// The path of the archive (for error messages).
    public let path: String
    /// The whole (decompressed) archive.
    public let bytes: [UInt8]
    /// Regular files in archive order (a name that occurs twice keeps both; `member(named:)` returns the last, as
    /// extracting would).
    public let members: [Member]

    /// Parses the archive. `path` is only used in error messages.
    public init(bytes: [UInt8], path: String) throws(DatasetError) {
        self.path = path
        self.bytes = bytes
        var members: [Member] = []
        var position = 0
        var longName: String?
        let count = bytes.count
        while true {
            guard count - position >= 512 else {
                let reason = position == count
                    ? "no end-of-archive block after \(members.count) files"
                    : "ends inside a header block at offset \(position)"
                throw .truncatedArchive(path: path, reason: reason)
            }
            let header = bytes[position..<position + 512]
            if header.allSatisfy({ $0 == 0 }) { break }
            let stored = try Self.octal(header, 148, 8, field: "checksum", at: position, path: path)
            var unsignedSum = 0
            var signedSum = 0
            for (i, byte) in header.enumerated() {
                let value = (148..<156).contains(i) ? 0x20 : byte
                unsignedSum += Int(value)
                signedSum += Int(Int8(bitPattern: value))
            }
            guard stored == unsignedSum || stored == signedSum else {
                throw .corruptArchive(
                    path: path,
                    reason: "header checksum mismatch at offset \(position) (stored \(stored), computed \(unsignedSum))")
            }
            let size = try Self.octal(header, 124, 12, field: "size", at: position, path: path)
            let type = header[header.startIndex + 156]
            var name = longName ?? Self.string(header, 0, 100)
            longName = nil
            let magic = Self.string(header, 257, 6)
            if magic.hasPrefix("ustar") && name == Self.string(header, 0, 100) {
                let prefix = Self.string(header, 345, 155)
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            while name.hasPrefix("./") { name.removeFirst(2) }
            let dataStart = position + 512
            let padded = (size + 511) / 512 * 512
            guard count - dataStart >= size else {
                throw .truncatedArchive(
                    path: path,
                    reason: "member \(name) declares \(size) bytes but only \(count - dataStart) remain")
            }
            guard count - dataStart >= padded else {
                throw .truncatedArchive(path: path, reason: "member \(name) ends without its block padding")
            }
            switch type {
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
                members.append(Member(name: name, offset: dataStart, size: size))
            case UInt8(ascii: "L"):
                longName = Self.string(bytes[dataStart..<dataStart + size], 0, size)
            default:
                break  // directories, links, pax headers, ...
            }
            position = dataStart + padded
        }
        self.members = members
    }

    /// The last regular file called `name` (after dropping a leading `./`), if any.
    public func member(named name: String) -> Member? {
        var wanted = name
        while wanted.hasPrefix("./") { wanted.removeFirst(2) }
        return members.last { $0.name == wanted }
    }

    /// A member's bytes (a slice of `bytes`, no copy).
    public func contents(of member: Member) -> ArraySlice<UInt8> {
        bytes[member.offset..<member.offset + member.size]
    }

    /// A NUL-terminated field as text.
    private static func string(_ block: ArraySlice<UInt8>, _ offset: Int, _ length: Int) -> String {
        let start = block.startIndex + offset
        let field = block[start..<start + length]
        return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal field: optional leading spaces, octal digits, then NUL or spaces.
    private static func octal(
        _ block: ArraySlice<UInt8>, _ offset: Int, _ length: Int, field: String, at position: Int, path: String
    ) throws(DatasetError) -> Int {
        let start = block.startIndex + offset
        let bytes = block[start..<start + length]
        if let first = bytes.first, first & 0x80 != 0 {
            throw .corruptArchive(path: path, reason: "base-256 \(field) field at offset \(position) is not supported")
        }
        var value = 0
        var seenDigit = false
        var ended = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7") where !ended:
                value = value * 8 + Int(byte - UInt8(ascii: "0"))
                seenDigit = true
            case UInt8(ascii: " ") where !seenDigit:
                continue
            case 0, UInt8(ascii: " "):
                ended = true
            default:
                let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                throw .corruptArchive(
                    path: path, reason: "\(field) field at offset \(position) is not octal (found \"\(text)\")")
            }
        }
        guard seenDigit else {
            throw .corruptArchive(path: path, reason: "empty \(field) field at offset \(position)")
        }
        return value
    }
}
