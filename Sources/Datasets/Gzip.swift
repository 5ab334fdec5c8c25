import CZlib
import Foundation

/// Gzip (RFC 1952) decompression of a whole file held in memory.
///
/// Policy:
/// - Every member's header is parsed (FEXTRA, FNAME, FCOMMENT skipped; the FHCRC header CRC verified), its
///   DEFLATE stream decoded, and its trailer checked: CRC-32 of the member's output and ISIZE (length mod 2^32).
/// - Multi-member files (concatenated gzip streams, as `cat a.gz b.gz` makes) are decoded and concatenated, like
///   `gzip -d` and Python's `gzip` do.
/// - After the last member, zero bytes (block padding) are ignored; any other trailing byte is an error.
/// - Output size: the last member's ISIZE is used as the first size guess, trusted up to 32 × the compressed size;
///   a wrong guess only costs a retry with a doubled buffer. No buffer ever exceeds `maximumSize` nor 1032 × the
///   compressed size + 64 KiB (DEFLATE cannot expand more than 1032:1), so a hostile trailer cannot trigger a giant
///   allocation, and buffers are only committed as they are written.
/// - DEFLATE is decoded by the system zlib (`inflate`, raw streams, window bits -15); the gzip framing, the checks
///   and the error messages are this file's.
/// - Speed: members of 4 MiB or more get a helper thread that checksums the output behind the decoder and maps its
///   pages a little ahead of it (`ConcurrentCRC`); the bytes and the errors are the same as without it. Large
///   buffers are advised to use transparent huge pages (a Linux hint). Measured by
///   `Benchmarks/scripts/dataset-read.sh`.
public enum Gzip {
    /// Default cap on the decompressed size of one file: 4 GiB.
    public static let defaultMaximumSize = 1 << 32

    /// True when `bytes` starts with the gzip magic number 1f 8b.
    public static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isGzip($0) }
    }

    /// Decompresses a whole gzip file. `file` is only used in error messages.
    public static func decompress(
        _ bytes: [UInt8], file: String, maximumSize: Int = defaultMaximumSize
    ) throws(DatasetError) -> [UInt8] {
        var result: Result<[UInt8], DatasetError> = .success([])
        bytes.withUnsafeBytes { raw in
            do throws(DatasetError) {
                result = .success(try decompress(raw, file: file, maximumSize: maximumSize))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    /// Decompresses a whole gzip file. `file` is only used in error messages.
    public static func decompress(
        _ bytes: UnsafeRawBufferPointer, file: String, maximumSize: Int = defaultMaximumSize
    ) throws(DatasetError) -> [UInt8] {
        guard bytes.count > 0, let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw .emptyFile(path: file)
        }
        guard isGzip(bytes) else {
            let found = bytes.prefix(2).map { crc32HexByte($0) }.joined(separator: " ")
            throw .wrongMagic(path: file, expected: "gzip 1f 8b", found: found)
        }
        var hint = 1 << 16
        if bytes.count >= 18 {
            let tail = bytes.count - 4
            hint = Int(bytes[tail]) | Int(bytes[tail + 1]) << 8 | Int(bytes[tail + 2]) << 16
                | Int(bytes[tail + 3]) << 24
        }
        let bound = sizeBound(compressedCount: bytes.count, maximumSize: maximumSize)
        var capacity = initialCapacity(compressedCount: bytes.count, sizeHint: hint, maximumSize: maximumSize)
        while true {
            var failure: DatasetError?
            var full = false
            let output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
                initialized = 0
                adviseHugePages(buffer.baseAddress, buffer.count)
                do throws(DatasetError) {
                    if let produced = try decodeMembers(
                        base, bytes.count, into: buffer.baseAddress, capacity: capacity, file: file)
                    {
                        initialized = produced
                    } else {
                        full = true
                    }
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
            if !full { return output }
            guard capacity < bound else {
                if bound == maximumSize { throw .decompressedTooLarge(path: file, limit: maximumSize) }
                throw .corruptGzip(path: file, reason: "expands beyond the DEFLATE limit of 1032:1")
            }
            capacity = capacity > bound / 2 ? bound : max(capacity * 2, 1 << 16)
        }
    }

    /// The largest output buffer ever allocated: `maximumSize`, or 1032 × the compressed size + 64 KiB (DEFLATE's
    /// maximum expansion), whichever is smaller.
    static func sizeBound(compressedCount: Int, maximumSize: Int) -> Int {
        let (expansion, overflow) = compressedCount.multipliedReportingOverflow(by: 1032)
        return min(maximumSize, overflow ? Int.max : expansion + (1 << 16))
    }

    /// The first output buffer size: the trailer's ISIZE, trusted only up to 32 × the compressed size + 1 MiB (and
    /// the bound above), so that a hostile trailer costs little; a larger real output just causes a retry.
    static func initialCapacity(compressedCount: Int, sizeHint: Int, maximumSize: Int) -> Int {
        let (scaled, overflow) = compressedCount.multipliedReportingOverflow(by: 32)
        let trusted = overflow ? Int.max : scaled + (1 << 20)
        return max(0, min(sizeHint, trusted, sizeBound(compressedCount: compressedCount, maximumSize: maximumSize)))
    }

    /// Decodes all members into `output`; nil when `capacity` is too small.
    private static func decodeMembers(
        _ input: UnsafePointer<UInt8>, _ count: Int, into output: UnsafeMutablePointer<UInt8>?, capacity: Int,
        file: String
    ) throws(DatasetError) -> Int? {
        // A zero-capacity buffer may have no address; decode into a 1-byte scratch so pointers stay valid.
        var scratch: UInt8 = 0
        return try withUnsafeMutablePointer(to: &scratch) { scratchPointer throws(DatasetError) -> Int? in
            let out = output ?? scratchPointer
            var position = 0
            var produced = 0
            var member = 0
            repeat {
                let bodyStart = try parseHeader(input, count, at: position, member: member, file: file)
                let memberOutput = out + produced
                let memberCapacity = output == nil ? 0 : capacity - produced
                // Large members: a helper thread computes the CRC-32 of the output behind the decoder.
                let helper = memberCapacity >= ConcurrentCRC.minimumSize
                    ? ConcurrentCRC(memberOutput, prefaultCount: memberCapacity) : nil
                let decoded: (consumed: Int, produced: Int)
                do throws(InflateError) {
                    decoded = try zlibInflateRaw(
                        input: input + bodyStart, inputCount: count - bodyStart,
                        output: memberOutput, outputCapacity: memberCapacity,
                        progress: helper.map { helper in { helper.publish($0) } })
                } catch {
                    helper?.cancel()
                    switch error {
                    case .outputFull: return nil
                    case .truncated:
                        throw .truncatedGzip(path: file, reason: "compressed data of member \(member + 1) ends early")
                    case .invalid(let reason):
                        throw .corruptGzip(path: file, reason: "\(reason) in member \(member + 1)")
                    }
                }
                let actualCRC = helper?.finish(count: decoded.produced)
                    ?? crc32(UnsafeRawBufferPointer(start: memberOutput, count: decoded.produced))
                position = bodyStart + decoded.consumed
                guard count - position >= 8 else {
                    throw .truncatedGzip(
                        path: file, reason: "member \(member + 1) ends without its 8-byte CRC-32/ISIZE trailer")
                }
                let storedCRC = readLE32(input + position)
                let storedSize = readLE32(input + position + 4)
                position += 8
                guard actualCRC == storedCRC else {
                    throw .corruptGzip(
                        path: file,
                        reason: "CRC-32 mismatch in member \(member + 1): trailer says \(crc32Hex(storedCRC)), "
                            + "data gives \(crc32Hex(actualCRC))")
                }
                guard UInt32(truncatingIfNeeded: decoded.produced) == storedSize else {
                    throw .corruptGzip(
                        path: file,
                        reason: "length mismatch in member \(member + 1): trailer says \(storedSize) bytes "
                            + "(mod 2^32), data has \(decoded.produced)")
                }
                produced += decoded.produced
                member += 1
                // Trailing zero padding ends the file; a new magic starts another member; anything else is garbage.
                var next = position
                while next < count && input[next] == 0 { next += 1 }
                if next == count { break }
                guard next == position, count - position >= 2, input[position] == 0x1F, input[position + 1] == 0x8B
                else {
                    throw .corruptGzip(
                        path: file,
                        reason: "\(count - position) bytes of trailing data after the last gzip member "
                            + "(at offset \(position))")
                }
            } while true
            return produced
        }
    }

    /// Parses a member header starting at `start`; returns the offset of its DEFLATE data.
    private static func parseHeader(
        _ input: UnsafePointer<UInt8>, _ count: Int, at start: Int, member: Int, file: String
    ) throws(DatasetError) -> Int {
        func truncated(_ what: String) -> DatasetError {
            .truncatedGzip(path: file, reason: "member \(member + 1) header ends inside \(what)")
        }
        guard count - start >= 10 else { throw truncated("the fixed 10-byte header") }
        guard input[start + 2] == 8 else {
            throw .corruptGzip(
                path: file, reason: "unknown compression method \(input[start + 2]) (expected 8, deflate)")
        }
        let flags = input[start + 3]
        guard flags & 0xE0 == 0 else {
            throw .corruptGzip(path: file, reason: "reserved header flag bits set (flags 0x\(crc32HexByte(flags)))")
        }
        var position = start + 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard count - position >= 2 else { throw truncated("the extra-field length") }
            let length = Int(input[position]) | Int(input[position + 1]) << 8
            position += 2
            guard count - position >= length else { throw truncated("the extra field") }
            position += length
        }
        for (flag, what) in [(UInt8(0x08), "the file name"), (UInt8(0x10), "the comment")] where flags & flag != 0 {
            while position < count && input[position] != 0 { position += 1 }
            guard position < count else { throw truncated(what) }
            position += 1
        }
        if flags & 0x02 != 0 {  // FHCRC: low 16 bits of the CRC-32 of the header so far
            guard count - position >= 2 else { throw truncated("the header CRC") }
            let stored = UInt32(input[position]) | UInt32(input[position + 1]) << 8
            let actual = crc32(UnsafeRawBufferPointer(start: input + start, count: position - start)) & 0xFFFF
            guard stored == actual else {
                throw .corruptGzip(path: file, reason: "header CRC mismatch in member \(member + 1)")
            }
            position += 2
        }
        return position
    }

    @inline(__always)
    private static func readLE32(_ p: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24
    }
}

/// Two lowercase hex digits.
func crc32HexByte(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16)
    return digits.count == 1 ? "0" + digits : digits
}

/// Why a raw DEFLATE stream could not be decoded.
enum InflateError: Error, Equatable, Sendable {
    /// The input ended before the final block did.
    case truncated
    /// The output buffer is full; the caller may retry with a larger one.
    case outputFull
    /// The data is not valid DEFLATE; the message (zlib's) says what was wrong.
    case invalid(String)
}

/// Decodes one raw DEFLATE stream with the system zlib (`inflateInit2(-15)`) into `output`. Returns the bytes
/// consumed (through the end of the final block) and produced. With `progress`, output is produced in 1 MiB
/// steps and `progress(n)` is called with the number of leading output bytes that are final after each step.
func zlibInflateRaw(
    input: UnsafePointer<UInt8>, inputCount: Int, output: UnsafeMutablePointer<UInt8>, outputCapacity: Int,
    progress: ((Int) -> Void)? = nil
) throws(InflateError) -> (consumed: Int, produced: Int) {
    // Output window per inflate call: zlib counts in 32-bit integers (at most 1 GiB at a time); with a progress
    // callback, 1 MiB so that the CRC helper can follow closely.
    let outputStep = progress == nil ? 1 << 30 : 1 << 20
    var stream = z_stream()
    guard czlib_inflateInit2(&stream, -15) == Z_OK else { throw .invalid("zlib inflateInit2 failed") }
    defer { inflateEnd(&stream) }
    // zlib rejects NULL buffers even when their length is 0.
    stream.next_in = UnsafeMutablePointer(mutating: input)
    stream.next_out = output
    var inputOffset = 0
    var outputOffset = 0
    while true {
        // zlib counts in 32-bit integers: feed at most 1 GiB at a time.
        if stream.avail_in == 0 && inputOffset < inputCount {
            let chunk = min(inputCount - inputOffset, 1 << 30)
            stream.next_in = UnsafeMutablePointer(mutating: input + inputOffset)
            stream.avail_in = UInt32(chunk)
            inputOffset += chunk
        }
        if stream.avail_out == 0 && outputOffset < outputCapacity {
            if let progress { progress(outputOffset) }
            let chunk = min(outputCapacity - outputOffset, outputStep)
            stream.next_out = output + outputOffset
            stream.avail_out = UInt32(chunk)
            outputOffset += chunk
        }
        let status = inflate(&stream, Z_NO_FLUSH)
        switch status {
        case Z_STREAM_END:
            let consumed = inputOffset - Int(stream.avail_in)
            let produced = outputOffset - Int(stream.avail_out)
            return (consumed, produced)
        case Z_OK:
            continue
        case Z_BUF_ERROR:
            // No progress possible: either the input is exhausted or the output is full.
            if stream.avail_in == 0 && inputOffset == inputCount { throw .truncated }
            if stream.avail_out == 0 && outputOffset == outputCapacity { throw .outputFull }
            continue
        case Z_DATA_ERROR:
            let message = stream.msg.map { String(cString: $0) } ?? "invalid deflate data"
            throw .invalid(message)
        default:
            throw .invalid("zlib inflate error \(status)")
        }
    }
}

/// Computes the CRC-32 of a buffer that another thread is still filling from the front: the filler publishes how
/// many leading bytes are final, and a helper thread checksums them as they come. On a machine with a free core
/// this hides the checksum (about 10% of a gzip read) behind the decoding. The result is the same as `crc32` over
/// the finished bytes; only the timing differs.
final class ConcurrentCRC: @unchecked Sendable {
    /// Below this many bytes a thread is not worth starting.
    static let minimumSize = 4 << 20
    /// The helper is woken only when at least this many new bytes are final.
    private static let publishStep = 1 << 20

    // All mutable state is guarded by `condition`.
    private let condition = NSCondition()
    private let base: UnsafeRawPointer
    private var available = 0
    private var lastPublished = 0
    private var closed = false
    private var cancelled = false
    private var result: UInt32?

    /// Starts the helper for the buffer at `base`. When `prefaultCount` > 0 the helper also asks the kernel to map
    /// (and zero) the buffer's pages a few MiB ahead of the filler, so that page faults leave the filler's critical
    /// path. Prefaulting never changes the buffer's contents (`MADV_POPULATE_WRITE`, Linux 5.14+; elsewhere it is
    /// skipped) and never runs more than `prefaultWindow` bytes ahead of the published data.
    init(_ base: UnsafeMutablePointer<UInt8>, prefaultCount: Int = 0) {
        self.base = UnsafeRawPointer(base)
        self.prefaultCount = prefaultCount
        let thread = Thread { [self] in run() }
        thread.start()
    }

    private static let prefaultWindow = 16 << 20
    private let prefaultCount: Int

    private static let page = 1 << 21

    /// The next whole 2 MiB page at or after `offset`, as offsets from `base` (partial pages at the ends are left
    /// to the filler).
    private func nextPage(after offset: Int) -> (start: Int, end: Int) {
        let address = Int(bitPattern: base)
        let start = ((address + offset + Self.page - 1) & ~(Self.page - 1)) - address
        return (start, start + Self.page)
    }

    /// Whether the next page may be prefaulted now: inside the buffer and within the window ahead of `available`.
    private func mayPrefault(_ prefaulted: Int, available: Int) -> Bool {
        let end = nextPage(after: prefaulted).end
        return end <= prefaultCount && end <= available + Self.prefaultWindow
    }

    /// Prefaults the next page; returns false if the kernel refuses (then prefaulting stops).
    private func prefaultNextPage(_ prefaulted: inout Int) -> Bool {
        #if os(Linux)
        let (start, end) = nextPage(after: prefaulted)
        guard madvise(UnsafeMutableRawPointer(mutating: base + start), Self.page, 23 /* MADV_POPULATE_WRITE */) == 0
        else { return false }
        prefaulted = end
        return true
        #else
        return false
        #endif
    }

    /// Called by the filler: the first `count` bytes are final.
    func publish(_ count: Int) {
        guard count - lastPublished >= Self.publishStep else { return }
        lastPublished = count
        condition.lock()
        available = count
        condition.signal()
        condition.unlock()
    }

    /// The CRC-32 of the first `count` bytes; waits for the helper.
    func finish(count: Int) -> UInt32 {
        closeAndWait { available = count }
    }

    /// Stops the helper and waits until it no longer reads the buffer (which the caller may then free).
    func cancel() {
        _ = closeAndWait { cancelled = true }
    }

    /// Under the lock: applies `change`, marks the input closed, wakes the helper and waits for its result.
    private func closeAndWait(_ change: () -> Void) -> UInt32 {
        condition.lock()
        defer { condition.unlock() }
        change()
        closed = true
        condition.broadcast()
        while result == nil { condition.wait() }
        return result!
    }

    private func run() {
        var crc: UInt32 = 0
        var done = 0
        var prefaulted = 0
        var prefaulting = prefaultCount > 0
        while true {
            condition.lock()
            while !closed && available == done && !(prefaulting && mayPrefault(prefaulted, available: available)) {
                condition.wait()
            }
            let target = available
            let last = closed
            let stop = cancelled
            condition.unlock()
            if !last && prefaulting && mayPrefault(prefaulted, available: target) {
                prefaulting = prefaultNextPage(&prefaulted)
                continue
            }
            if !stop && target > done {
                crc = crc32(continuing: crc, UnsafeRawBufferPointer(start: base + done, count: target - done))
                done = target
            }
            if last && (stop || done == target) {
                condition.lock()
                result = crc
                condition.broadcast()
                condition.unlock()
                return
            }
        }
    }
}
