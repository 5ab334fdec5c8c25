import CZlib
import Testing

@testable import Datasets

/// A gzip member built by hand around a raw DEFLATE body, with optional header fields.
func gzipMember(
    _ content: [UInt8], flags: UInt8 = 0, extra: [UInt8] = [], name: String = "", comment: String = "",
    headerCRC: Bool = false
) throws -> [UInt8] {
    let body = rawDeflate(try gzipBytes(content))
    var header: [UInt8] = [0x1F, 0x8B, 8, flags | (headerCRC ? 0x02 : 0), 0, 0, 0, 0, 0, 3]
    if flags & 0x04 != 0 { header += [UInt8(extra.count & 0xFF), UInt8(extra.count >> 8)] + extra }
    if flags & 0x08 != 0 { header += Array(name.utf8) + [0] }
    if flags & 0x10 != 0 { header += Array(comment.utf8) + [0] }
    if headerCRC {
        let crc = referenceCRC32(header)
        header += [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF)]
    }
    let crc = referenceCRC32(content)
    let size = UInt32(truncatingIfNeeded: content.count)
    return header + body + [0, 8, 16, 24].map { UInt8(crc >> $0 & 0xFF) } + [0, 8, 16, 24].map { UInt8(size >> $0 & 0xFF) }
}

@Suite("gzip")
struct GzipTests {
    let content: [UInt8] = {
        var random = TestRandom(seed: 11)
        return random.bytes(40_000) + [UInt8](repeating: 9, count: 60_000)
    }()

    /// The outcome of decompressing `bytes` (as a one-element array, so that each check reads as a loop).
    func decompressBoth(_ bytes: [UInt8], maximumSize: Int = Gzip.defaultMaximumSize) -> [Result<[UInt8], DatasetError>] {
        [Result { () throws(DatasetError) -> [UInt8] in
            try Gzip.decompress(bytes, file: "/tmp/x.gz", maximumSize: maximumSize)
        }]
    }

    @Test("a gzip file written by zlib decompresses to its content")
    func roundTrip() throws {
        let gz = try gzipBytes(content, mode: "wb9")
        for result in decompressBoth(gz) { #expect(result.success == content) }
    }

    @Test("large outputs (CRC computed on a helper thread) decompress correctly")
    func largeOutput() throws {
        var random = TestRandom(seed: 12)
        var big: [UInt8] = []
        while big.count < 9_000_000 { big += random.bytes(1000) + [UInt8](repeating: 0, count: 3000) }
        let gz = try gzipBytes(big, mode: "wb1")
        let decoded = try Gzip.decompress(gz, file: "big.gz")
        #expect(decoded.count == big.count && decoded == big)
        // A wrong CRC in the trailer must be caught by the helper thread's checksum.
        var corrupted = gz
        corrupted[gz.count - 6] ^= 0x10
        var error: DatasetError?
        do { _ = try Gzip.decompress(corrupted, file: "big.gz") } catch let caught { error = caught }
        #expect(error?.kind == .corruptGzip)
        #expect(error?.description.contains("CRC-32 mismatch") == true)
    }

    @Test("header fields FEXTRA, FNAME, FCOMMENT and FHCRC are skipped or checked")
    func headerFields() throws {
        let member = try gzipMember(
            content, flags: 0x04 | 0x08 | 0x10, extra: [1, 2, 3], name: "file.bin", comment: "hi", headerCRC: true)
        for result in decompressBoth(member) { #expect(result.success == content) }
        var badHeaderCRC = member
        badHeaderCRC[10 + 2 + 3 + 9 + 3] ^= 1  // first byte of the header CRC
        for result in decompressBoth(badHeaderCRC) {
            #expect(result.error?.kind == .corruptGzip)
        }
    }

    @Test("multi-member files are concatenated; trailing zero padding is ignored")
    func multiMember() throws {
        let a = try gzipMember(Array("first member ".utf8))
        let b = try gzipMember(content)
        for result in decompressBoth(a + b + [0, 0, 0, 0]) {
            #expect(result.success == Array("first member ".utf8) + content)
        }
    }

    @Test("trailing bytes that are not a gzip member are an error")
    func trailingGarbage() throws {
        let gz = try gzipBytes(content)
        for result in decompressBoth(gz + [0x41, 0x42]) {
            #expect(result.error?.kind == .corruptGzip)
            #expect(result.error?.description.contains("trailing") == true)
        }
    }

    @Test("every truncation is an error naming the file, never a shorter output")
    func truncation() throws {
        let gz = try gzipBytes(content)
        for cut in [2, 5, 10, 11, 100, gz.count / 2, gz.count - 8, gz.count - 5, gz.count - 1] {
            for result in decompressBoth(Array(gz.prefix(cut))) {
                #expect(result.error?.kind == .truncatedGzip, "cut \(cut): \(String(describing: result.error))")
                #expect(result.error?.description.contains("/tmp/x.gz") == true)
            }
        }
    }

    @Test("a CRC-32 mismatch in the trailer is reported as corrupt, with both CRCs")
    func crcMismatch() throws {
        var gz = try gzipBytes(content)
        gz[gz.count - 8] ^= 0xFF
        for result in decompressBoth(gz) {
            #expect(result.error?.kind == .corruptGzip)
            #expect(result.error?.description.contains("CRC-32 mismatch") == true)
        }
    }

    @Test("an ISIZE that disagrees with the data is an error, even a hostile 4 GiB one (no giant allocation)")
    func sizeMismatch() throws {
        var gz = try gzipBytes(content)
        for i in 0..<4 { gz[gz.count - 4 + i] = 0xFF }
        for result in decompressBoth(gz) {
            #expect(result.error?.kind == .corruptGzip)
            #expect(result.error?.description.contains("length mismatch") == true)
        }
    }

    @Test("an ISIZE smaller than the data only costs a retry with a bigger buffer")
    func smallSizeHint() throws {
        let member = try gzipMember(content)
        let tiny = try gzipMember([1, 2, 3])
        // The last member's ISIZE (3) is the first guess for the 100,003-byte output.
        for result in decompressBoth(member + tiny) { #expect(result.success == content + [1, 2, 3]) }
    }

    @Test("buffer sizes: a hostile ISIZE is trusted only up to 32× the input + 1 MiB, never beyond 1032× or the limit")
    func sizeBounds() {
        #expect(Gzip.initialCapacity(compressedCount: 1_000_000, sizeHint: 0xFFFF_FFFF, maximumSize: 1 << 32)
            == 32_000_000 + (1 << 20))
        #expect(Gzip.initialCapacity(compressedCount: 100, sizeHint: 0xFFFF_FFFF, maximumSize: 1 << 32)
            == 103_200 + (1 << 16))  // the 1032:1 bound is smaller here
        #expect(Gzip.initialCapacity(compressedCount: 26_000_000, sizeHint: 47_040_016, maximumSize: 1 << 32) == 47_040_016)
        #expect(Gzip.initialCapacity(compressedCount: 100, sizeHint: 5000, maximumSize: 1000) == 1000)
        #expect(Gzip.sizeBound(compressedCount: 100, maximumSize: 1 << 32) == 103_200 + (1 << 16))
        #expect(Gzip.sizeBound(compressedCount: Int.max / 2, maximumSize: 1 << 32) == 1 << 32)
    }

    @Test("output above the size limit is refused")
    func limit() throws {
        let gz = try gzipBytes(content)
        for result in decompressBoth(gz, maximumSize: 50_000) {
            #expect(result.error == .decompressedTooLarge(path: "/tmp/x.gz", limit: 50_000))
        }
    }

    @Test("bad magic, method or reserved flags are errors")
    func badHeaders() throws {
        let gz = try gzipBytes(content)
        var method = gz
        method[2] = 7
        var flags = gz
        flags[3] = 0x20
        var magic = gz
        magic[1] = 0x8C
        for result in decompressBoth(method) { #expect(result.error?.kind == .corruptGzip) }
        for result in decompressBoth(flags) { #expect(result.error?.kind == .corruptGzip) }
        for result in decompressBoth(magic) { #expect(result.error?.kind == .wrongMagic) }
        for result in decompressBoth([]) { #expect(result.error?.kind == .emptyFile) }
    }

    @Test("an empty member decompresses to no bytes")
    func emptyContent() throws {
        for result in decompressBoth(try gzipBytes([])) { #expect(result.success == []) }
    }

    @Test("the concurrent CRC equals the plain CRC, and cancelling stops the helper")
    func concurrentCRC() {
        var random = TestRandom(seed: 3)
        var bytes = random.bytes(6 << 20)
        let expected = crc32(bytes)
        bytes.withUnsafeMutableBufferPointer { buffer in
            let helper = ConcurrentCRC(buffer.baseAddress!)
            for published in stride(from: 0, through: buffer.count, by: 300_000) { helper.publish(published) }
            #expect(helper.finish(count: buffer.count) == expected)
            let cancelled = ConcurrentCRC(buffer.baseAddress!)
            cancelled.publish(3 << 20)
            cancelled.cancel()
        }
    }
}

extension Result {
    var success: Success? {
        if case .success(let value) = self { return value }
        return nil
    }

    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// The raw DEFLATE body of a single-member gzip file with a plain 10-byte header.
func rawDeflate(_ gzip: [UInt8]) -> [UInt8] {
    Array(gzip[10..<(gzip.count - 8)])
}
