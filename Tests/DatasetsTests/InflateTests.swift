import Testing

@testable import Datasets

/// Writes a DEFLATE bit stream by hand (LSB-first fields; Huffman codes most-significant bit first).
struct BitWriter {
    var bytes: [UInt8] = []
    var accumulator: UInt64 = 0
    var count = 0

    mutating func put(_ value: Int, _ bits: Int) {
        accumulator |= UInt64(value) << UInt64(count)
        count += bits
        while count >= 8 {
            bytes.append(UInt8(accumulator & 0xFF))
            accumulator >>= 8
            count -= 8
        }
    }

    mutating func putCode(_ code: Int, _ length: Int) {
        for bit in stride(from: length - 1, through: 0, by: -1) { put((code >> bit) & 1, 1) }
    }

    mutating func alignToByte() {
        if count > 0 { put(0, 8 - count) }
    }

    /// Fixed-Huffman literal/length symbol.
    mutating func fixedSymbol(_ symbol: Int) {
        switch symbol {
        case 0..<144: putCode(0x30 + symbol, 8)
        case 144..<256: putCode(0x190 + symbol - 144, 9)
        case 256..<280: putCode(symbol - 256, 7)
        default: putCode(0xC0 + symbol - 280, 8)
        }
    }

    mutating func finish() -> [UInt8] {
        alignToByte()
        return bytes
    }
}

/// The outcome of decoding with one engine, comparable across engines.
enum DecodeOutcome: Equatable {
    case success(output: [UInt8], consumed: Int)
    case failure
}

func decodeRaw(_ input: [UInt8], engine: Gzip.Engine, capacity: Int = 1 << 22) -> DecodeOutcome {
    var output = [UInt8](repeating: 0, count: capacity)
    let inputCount = input.count
    let input = input.isEmpty ? [0] : input  // a valid pointer even for no input; inputCount stays 0
    do {
        let result = try input.withUnsafeBufferPointer { inBuffer in
            try output.withUnsafeMutableBufferPointer { outBuffer in
                switch engine {
                case .builtin:
                    try Inflate.decode(
                        input: inBuffer.baseAddress!, inputCount: inputCount, output: outBuffer.baseAddress!,
                        outputCapacity: capacity)
                case .zlib:
                    try zlibInflateRaw(
                        input: inBuffer.baseAddress!, inputCount: inputCount, output: outBuffer.baseAddress!,
                        outputCapacity: capacity)
                }
            }
        }
        return .success(output: Array(output[0..<result.produced]), consumed: result.consumed)
    } catch {
        return .failure
    }
}

/// The raw DEFLATE body of a gzip file written by gzopen (10-byte header without a name, 8-byte trailer).
func rawDeflate(_ gzip: [UInt8]) -> [UInt8] {
    Array(gzip[10..<(gzip.count - 8)])
}

/// Inputs with different statistics: random (stored or literal-heavy), zeros (distance-1 runs), short periods
/// (distances 2…7), text-like, and image-like rows (long matches at distance = row length).
func sampleInputs() -> [(String, [UInt8])] {
    var random = TestRandom(seed: 2024)
    var inputs: [(String, [UInt8])] = [("empty", []), ("one byte", [42])]
    inputs.append(("random 100k", random.bytes(100_000)))
    inputs.append(("zeros 300k", [UInt8](repeating: 0, count: 300_000)))
    for period in 2...7 {
        let pattern = random.bytes(period)
        inputs.append(("period \(period)", (0..<20_000).map { pattern[$0 % period] }))
    }
    let words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "\n", "MetaOptimize", "step"]
    var text: [UInt8] = []
    while text.count < 150_000 { text += Array((words[random.below(words.count)] + " ").utf8) }
    inputs.append(("text", text))
    var image: [UInt8] = []
    for _ in 0..<2000 {
        for x in 0..<28 { image.append(x < 5 || x > 22 ? 0 : UInt8(random.below(4) * 60)) }
    }
    inputs.append(("image rows", image))
    var mixed: [UInt8] = []
    for i in 0..<64 { mixed += i % 2 == 0 ? random.bytes(3000) : [UInt8](repeating: UInt8(i), count: 5000) }
    inputs.append(("mixed", mixed))
    return inputs
}

@Suite("DEFLATE decoder")
struct InflateTests {
    static let modes = ["wb0", "wb1", "wb6", "wb9", "wb6h", "wb6R", "wb6F"]

    @Test("decodes zlib's output for every level and strategy back to the original bytes, like zlib does")
    func roundTripAgainstZlib() throws {
        for (name, input) in sampleInputs() {
            for mode in Self.modes {
                let raw = rawDeflate(try gzipBytes(input, mode: mode))
                let builtin = decodeRaw(raw, engine: .builtin)
                let zlib = decodeRaw(raw, engine: .zlib)
                #expect(builtin == .success(output: input, consumed: raw.count), "\(name) \(mode)")
                #expect(builtin == zlib, "\(name) \(mode)")
            }
        }
    }

    @Test("reports the bytes consumed so data after the stream is left alone")
    func consumedExcludesTrailingBytes() throws {
        let input = Array("hello hello hello hello".utf8)
        let raw = rawDeflate(try gzipBytes(input))
        let outcome = decodeRaw(raw + [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], engine: .builtin)
        #expect(outcome == .success(output: input, consumed: raw.count))
    }

    @Test("rejects corrupted streams exactly when zlib does, and otherwise decodes the same bytes")
    func fuzzAgainstZlib() throws {
        var random = TestRandom(seed: 99)
        var rejected = 0
        var accepted = 0
        for (name, input) in sampleInputs() where input.count > 1 {
            for mode in ["wb1", "wb9", "wb6F", "wb6h"] {
                let raw = rawDeflate(try gzipBytes(Array(input.prefix(3000)), mode: mode))
                for _ in 0..<60 {
                    var mutated = raw
                    switch random.below(3) {
                    case 0: mutated[random.below(mutated.count)] ^= UInt8(1 << random.below(8))
                    case 1: mutated[random.below(mutated.count)] = UInt8(random.below(256))
                    default: mutated = Array(mutated.prefix(random.below(mutated.count)))
                    }
                    let builtin = decodeRaw(mutated, engine: .builtin, capacity: 1 << 22)
                    let zlib = decodeRaw(mutated, engine: .zlib, capacity: 1 << 22)
                    #expect(builtin == zlib, "\(name) \(mode)")
                    if builtin == .failure { rejected += 1 } else { accepted += 1 }
                }
            }
        }
        // The mutations must exercise both outcomes, or the comparison above proves little.
        #expect(rejected > 100)
        #expect(accepted > 100)
    }

    @Test("a truncated stream is an error (never a silently shorter output)")
    func truncated() throws {
        var random = TestRandom(seed: 5)
        let input = random.bytes(50_000) + [UInt8](repeating: 7, count: 50_000)
        let raw = rawDeflate(try gzipBytes(input, mode: "wb6"))
        for cut in [0, 1, 2, 10, raw.count / 3, raw.count / 2, raw.count - 2, raw.count - 1] {
            #expect(decodeRaw(Array(raw.prefix(cut)), engine: .builtin) == .failure, "cut at \(cut)")
        }
    }

    @Test("hand-made invalid streams are rejected by both decoders")
    func handMadeInvalid() {
        var streams: [(String, [UInt8])] = []
        var w = BitWriter()
        w.put(1, 1); w.put(3, 2)
        streams.append(("block type 3", w.finish()))

        w = BitWriter()
        w.put(1, 1); w.put(0, 2); w.alignToByte(); w.put(5, 16); w.put(0, 16)
        streams.append(("stored NLEN not the complement of LEN", w.finish() + [1, 2, 3, 4, 5]))

        w = BitWriter()
        w.put(1, 1); w.put(1, 2)
        w.fixedSymbol(97); w.fixedSymbol(257); w.putCode(1, 5); w.fixedSymbol(256)
        streams.append(("distance 2 after 1 byte of output", w.finish()))

        w = BitWriter()
        w.put(1, 1); w.put(1, 2)
        w.fixedSymbol(286); w.fixedSymbol(256)
        streams.append(("literal/length symbol 286", w.finish()))

        w = BitWriter()
        w.put(1, 1); w.put(1, 2)
        w.fixedSymbol(97); w.fixedSymbol(257); w.putCode(30, 5); w.fixedSymbol(256)
        streams.append(("distance symbol 30", w.finish()))

        w = BitWriter()
        w.put(1, 1); w.put(2, 2); w.put(30, 5); w.put(0, 5); w.put(15, 4)
        streams.append(("HLIT of 287 codes", w.finish() + [UInt8](repeating: 0, count: 16)))

        w = BitWriter()
        w.put(1, 1); w.put(2, 2); w.put(0, 5); w.put(0, 5); w.put(15, 4)
        for _ in 0..<19 { w.put(1, 3) }  // 19 one-bit codes: over-subscribed precode
        streams.append(("over-subscribed code lengths", w.finish() + [UInt8](repeating: 0, count: 16)))

        w = BitWriter()
        w.put(0, 1); w.put(1, 2); w.fixedSymbol(97); w.fixedSymbol(256)
        streams.append(("no final block", w.finish()))

        for (name, stream) in streams {
            #expect(decodeRaw(stream, engine: .builtin) == .failure, "builtin accepted: \(name)")
            #expect(decodeRaw(stream, engine: .zlib) == .failure, "zlib accepted: \(name)")
        }
    }

    @Test("hand-made valid streams decode to the bytes they encode: overlapping copies, stored blocks")
    func handMadeValid() {
        // "ab" then a 258-byte match at distance 2, then a stored block "xyz", then "!" in a final fixed block.
        var w = BitWriter()
        w.put(0, 1); w.put(1, 2)
        w.fixedSymbol(97); w.fixedSymbol(98); w.fixedSymbol(285); w.putCode(1, 5); w.fixedSymbol(256)
        w.put(0, 1); w.put(0, 2); w.alignToByte(); w.put(3, 16); w.put(0xFFFC, 16)
        var bytes = w.finish() + Array("xyz".utf8)
        w = BitWriter()
        w.put(1, 1); w.put(1, 2); w.fixedSymbol(33); w.fixedSymbol(256)
        bytes += w.finish()
        let expected = (0..<260).map { $0 % 2 == 0 ? UInt8(97) : UInt8(98) } + Array("xyz!".utf8)
        #expect(decodeRaw(bytes, engine: .builtin) == .success(output: expected, consumed: bytes.count))
        #expect(decodeRaw(bytes, engine: .zlib) == .success(output: expected, consumed: bytes.count))
    }

    @Test("an output buffer that is too small is reported as such, for retry")
    func outputFull() throws {
        let input = [UInt8](repeating: 3, count: 10_000)
        let raw = rawDeflate(try gzipBytes(input))
        var output = [UInt8](repeating: 0, count: 9_999)
        #expect(throws: InflateError.outputFull) {
            try raw.withUnsafeBufferPointer { inBuffer in
                try output.withUnsafeMutableBufferPointer { outBuffer in
                    _ = try Inflate.decode(
                        input: inBuffer.baseAddress!, inputCount: inBuffer.count, output: outBuffer.baseAddress!,
                        outputCapacity: outBuffer.count)
                }
            }
        }
    }
}
