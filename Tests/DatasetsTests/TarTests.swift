import Testing

@testable import Datasets

@Suite("tar")
struct TarTests {
    let files: [(name: String, bytes: [UInt8])] = [
        ("dir/a.bin", [UInt8](repeating: 1, count: 1000)),
        ("dir/empty.txt", []),
        ("dir/b.txt", Array("hello\n".utf8)),
        ("top.bin", [UInt8](repeating: 2, count: 512)),
    ]

    @Test("lists regular files (not folders) with their exact bytes")
    func members() throws {
        let archive = try TarArchive(bytes: tarArchive(files), path: "t.tar")
        #expect(archive.members.map(\.name) == files.map(\.name))
        for file in files {
            let member = try #require(archive.member(named: file.name))
            #expect(Array(archive.contents(of: member)) == file.bytes)
        }
        #expect(archive.member(named: "./dir/b.txt") != nil)
        #expect(archive.member(named: "dir") == nil)
    }

    @Test("a file cut inside a member, inside a header, or before the end block is a truncated archive")
    func truncated() throws {
        let bytes = tarArchive(files)
        // Cuts: inside a.bin's data, inside the second header, at the end of the last member (no zero block).
        for cut in [1024 + 300, 512 * 4 + 100, bytes.count - 1024] {
            let error = expectDatasetError { _ = try TarArchive(bytes: Array(bytes.prefix(cut)), path: "cut.tar") }
            expectError(error, .truncatedArchive, naming: "cut.tar")
        }
    }

    @Test("a damaged header fails its checksum")
    func checksum() throws {
        var bytes = tarArchive(files)
        bytes[512 + 5] ^= 0x01  // name of the first file (after the folder header)
        let error = expectDatasetError { _ = try TarArchive(bytes: bytes, path: "bad.tar") }
        expectError(error, .corruptArchive, naming: "bad.tar")
    }

    @Test("a size field that is not octal is refused")
    func nonOctalSize() throws {
        var bytes = tarArchive([("x", [1, 2, 3])])
        bytes[124] = UInt8(ascii: "9")
        // Fix the checksum so that only the size is wrong.
        for i in 148..<156 { bytes[i] = 0x20 }
        let sum = bytes[0..<512].reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        for (i, byte) in (String(repeating: "0", count: 6 - digits.count) + digits).utf8.enumerated() { bytes[148 + i] = byte }
        bytes[154] = 0
        let error = expectDatasetError { _ = try TarArchive(bytes: bytes, path: "size.tar") }
        expectError(error, .corruptArchive, naming: "size.tar")
    }

    @Test("GNU long names (type L) give the full path of the next member")
    func longNames() throws {
        let longName = String(repeating: "d", count: 120) + "/file.bin"
        var gnu = tarArchive([("@LongLink", Array(longName.utf8) + [0])])
        gnu.removeLast(1024)
        // Turn the first header into a GNU 'L' header (and fix its checksum).
        gnu[156] = UInt8(ascii: "L")
        for i in 148..<156 { gnu[i] = 0x20 }
        let sum = gnu[0..<512].reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        for (i, byte) in (String(repeating: "0", count: 6 - digits.count) + digits).utf8.enumerated() { gnu[148 + i] = byte }
        gnu[154] = 0
        gnu += tarArchive([("short", [5, 6])])
        let archive = try TarArchive(bytes: gnu, path: "gnu.tar")
        #expect(archive.members.map(\.name) == [longName])
        #expect(Array(archive.contents(of: archive.members[0])) == [5, 6])
    }
}
