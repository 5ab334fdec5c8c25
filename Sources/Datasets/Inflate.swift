/// A table-driven raw DEFLATE (RFC 1951) decoder that decodes a whole stream into one caller-owned buffer.
///
/// Why not zlib's `inflate`? zlib 1.2.13 needs ~0.2 s for the 47 MB Fashion-MNIST training images on this class of
/// machine, which alone is more than half of what Python's `gzip` + `numpy.frombuffer` takes; the issue asks for at
/// most half. Decoding into a single buffer lets this decoder use the techniques of libdeflate (Eric Biggers, MIT):
/// a 64-bit bit buffer refilled with one unaligned load, Huffman tables whose entries carry the literal or the
/// length/distance base together with the number of extra bits, several literals per refill, and matches copied
/// eight bytes at a time. zlib stays the reference: the tests decode thousands of valid and corrupted streams with
/// both and require the same output and the same accept/reject decision (the acceptance rules below follow zlib:
/// over-subscribed codes are rejected, incomplete codes only when they are not a single one-bit code, HLIT ≤ 286,
/// HDIST ≤ 30, no distance beyond the start of the output).
///
/// Safety on hostile input: every read of input and every write of output is bounds-checked (the fast loop runs only
/// while the remaining input and output leave a margin that covers the most one iteration can touch), table indices
/// are masked or come from tables this file built, and decoding stops with an error as soon as it would consume
/// bits past the end of the input.
enum InflateError: Error, Equatable, Sendable {
    /// The input ended before the final block did.
    case truncated
    /// The output buffer is full; the caller may retry with a larger one.
    case outputFull
    /// The data is not valid DEFLATE; the message says what was wrong.
    case invalid(String)
}

// MARK: - Decode-table entries
//
// One UInt32 per entry:
//   bits 0-7   number of bits the entry consumes (codeword length, plus the extra bits for lengths/distances;
//              for a subtable pointer: the main table's index bits)
//   bits 8-11  codeword length (shift that brings the extra bits down); for a subtable pointer: the subtable's bits
//   bit 13     end of block
//   bit 14     subtable pointer
//   bit 15     exceptional (subtable pointer, end of block or invalid code)
//   bits 16-30 literal value, length base, distance base, precode symbol, or subtable start index
//   bit 31     literal

private let entryLiteral: UInt32 = 1 << 31
private let entryExceptional: UInt32 = 1 << 15
private let entrySubtable: UInt32 = 1 << 14
private let entryEndOfBlock: UInt32 = 1 << 13

private let litlenTableBits = 11
private let offsetTableBits = 8
private let precodeTableBits = 7
// Main tables plus room for subtables; zlib's `enough` gives 2342 for (288 symbols, 11 bits, 15) and 402 for
// (32, 8, 15). The builder also checks capacity itself, so these are never exceeded whatever the input.
private let litlenTableCapacity = 2560
private let offsetTableCapacity = 512
private let precodeTableCapacity = 1 << precodeTableBits

private let lengthBase: [UInt32] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
]
private let lengthExtraBits: [UInt32] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
]
private let distanceBase: [UInt32] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
    6145, 8193, 12289, 16385, 24577,
]
private let distanceExtraBits: [UInt32] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
]
/// Order in which the precode (code-length code) lengths are stored.
private let precodeOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

private enum CodeKind { case precode, litlen, offset }

/// Per-symbol entry templates (flags, value and extra-bit count; the codeword length is added by the table
/// builder): 288 litlen symbols, then 32 distance symbols, then 19 precode symbols.
private func makeEntryTemplates() -> [UInt32] {
    var templates: [UInt32] = []
    for symbol in 0..<288 {
        if symbol < 256 {
            templates.append(entryLiteral | UInt32(symbol) << 16)
        } else if symbol == 256 {
            templates.append(entryExceptional | entryEndOfBlock)
        } else if symbol <= 285 {
            templates.append(lengthBase[symbol - 257] << 16 | lengthExtraBits[symbol - 257])
        } else {
            templates.append(entryExceptional)  // 286, 287: never valid
        }
    }
    for symbol in 0..<32 {
        templates.append(symbol < 30 ? distanceBase[symbol] << 16 | distanceExtraBits[symbol] : entryExceptional)
    }
    for symbol in 0..<19 { templates.append(UInt32(symbol) << 16) }
    return templates
}

private let entryTemplates = makeEntryTemplates()
private let litlenTemplateOffset = 0
private let offsetTemplateOffset = 288
private let precodeTemplateOffset = 320

@inline(__always)
private func invalidEntry(_ kind: CodeKind) -> UInt32 {
    kind == .precode ? 0 : entryExceptional
}

/// Scratch space for `buildDecodeTable`, in Ints: count[16], offsets[17], remaining[16], sorted[288].
private let tableScratchCount = 16 + 17 + 16 + 288

/// Builds the decode table for a canonical Huffman code given by `lengths[0..<symbolCount]` (each ≤ 15, count ≤ 288).
/// Returns false when zlib would reject the lengths: over-subscribed, or incomplete and not a single one-bit code
/// (for the precode, any incomplete set; an all-zero set is accepted for lengths and distances, whose every code
/// then decodes as invalid). `scratch` holds `tableScratchCount` Ints.
private func buildDecodeTable(
    lengths: UnsafePointer<UInt8>, symbolCount: Int, tableBits: Int, kind: CodeKind,
    table: UnsafeMutablePointer<UInt32>, capacity: Int, scratch: UnsafeMutablePointer<Int>,
    templates: UnsafePointer<UInt32>
) -> Bool {
    let count = scratch
    let offsets = scratch + 16
    let remaining = offsets + 17
    let sorted = remaining + 16
    count.update(repeating: 0, count: 16)
    for s in 0..<symbolCount { count[Int(lengths[s])] += 1 }
    count[0] = 0
    var maxLength = 15
    while maxLength > 0 && count[maxLength] == 0 { maxLength -= 1 }
    let mainSize = 1 << tableBits
    if maxLength == 0 {
        table.update(repeating: invalidEntry(kind), count: mainSize)
        return kind != .precode
    }
    var left = 1
    for length in 1...15 {
        left <<= 1
        left -= count[length]
        if left < 0 { return false }
    }
    if left > 0 && (kind == .precode || maxLength != 1) { return false }
    if left > 0 { table.update(repeating: invalidEntry(kind), count: mainSize) }

    // Symbols sorted by (length, symbol): the canonical order.
    offsets[0] = 0
    offsets[1] = 0
    for length in 1...15 { offsets[length + 1] = offsets[length] + count[length] }
    let used = offsets[16]
    for s in 0..<symbolCount where lengths[s] != 0 {
        let length = Int(lengths[s])
        sorted[offsets[length]] = s
        offsets[length] += 1
    }
    remaining.update(from: count, count: 16)

    // `reversed` walks the canonical codes in bit-reversed form (DEFLATE sends codewords most-significant bit
    // first into an LSB-first stream, so tables are indexed by the reversal); zlib's increment-in-reverse step.
    var reversed = 0
    var currentPrefix = -1
    var subtableStart = 0
    var subtableBits = 0
    var next = mainSize
    for i in 0..<used {
        let s = sorted[i]
        let length = Int(lengths[s])
        if length <= tableBits {
            let entry = templates[s] &+ UInt32(length) << 8 &+ UInt32(length)
            var index = reversed
            while index < mainSize {
                table[index] = entry
                index += 1 << length
            }
        } else {
            let prefix = reversed & (mainSize - 1)
            if prefix != currentPrefix {
                // zlib's rule: the smallest subtable that holds all remaining codes under this prefix.
                var bits = length - tableBits
                var room = 1 << bits
                while bits + tableBits < maxLength {
                    room -= remaining[bits + tableBits]
                    if room <= 0 { break }
                    bits += 1
                    room <<= 1
                }
                let size = 1 << bits
                guard next + size <= capacity else { return false }
                table[prefix] = entryExceptional | entrySubtable | UInt32(next) << 16 | UInt32(bits) << 8
                    | UInt32(tableBits)
                (table + next).update(repeating: invalidEntry(kind), count: size)
                subtableStart = next
                subtableBits = bits
                next += size
                currentPrefix = prefix
            }
            let subLength = length - tableBits
            let entry = templates[s] &+ UInt32(subLength) << 8 &+ UInt32(subLength)
            var index = reversed >> tableBits
            while index < 1 << subtableBits {
                table[subtableStart + index] = entry
                index += 1 << subLength
            }
        }
        remaining[length] -= 1
        // Next code in reversed order: add 1 at bit (length - 1) with the carry propagating downwards.
        var increment = 1 << (length - 1)
        while reversed & increment != 0 { increment >>= 1 }
        if increment != 0 {
            reversed &= increment - 1
            reversed += increment
        } else {
            reversed = 0
        }
    }
    return true
}

// MARK: - Bit buffer

/// Refills the bit buffer to 56...63 bits with one unaligned 8-byte load. Requires `bitsLeft` in 0...63 and at
/// least 8 readable bytes at `input`. Bits above `bitsLeft` may hold the next input bits (never anything else).
@inline(__always)
private func refillFast(_ input: inout UnsafePointer<UInt8>, _ bitBuffer: inout UInt64, _ bitsLeft: inout Int) {
    let word = UInt64(littleEndian: UnsafeRawPointer(input).loadUnaligned(as: UInt64.self))
    bitBuffer |= word &<< UInt64(truncatingIfNeeded: bitsLeft)
    input += 7 &- (bitsLeft &>> 3)
    bitsLeft |= 56
}

/// Refills byte by byte near the end of the input; past the end it appends zero bytes and counts them in
/// `overread`. More than 8 such bytes means bits beyond the input were consumed: the stream is truncated.
@inline(__always)
private func refillSlow(
    _ input: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
    _ bitBuffer: inout UInt64, _ bitsLeft: inout Int, _ overread: inout Int
) throws(InflateError) {
    while bitsLeft < 56 {
        if input < end {
            bitBuffer |= UInt64(input.pointee) &<< UInt64(truncatingIfNeeded: bitsLeft)
            input += 1
        } else {
            overread += 1
            if overread > 8 { throw .truncated }
        }
        bitsLeft += 8
    }
}

/// Refills with `refillFast` when 8 input bytes remain, else with `refillSlow`. Leaves ≥ 56 valid bits.
@inline(__always)
private func refillAny(
    _ input: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
    _ bitBuffer: inout UInt64, _ bitsLeft: inout Int, _ overread: inout Int
) throws(InflateError) {
    if end - input >= 8 {
        refillFast(&input, &bitBuffer, &bitsLeft)
    } else {
        try refillSlow(&input, end, &bitBuffer, &bitsLeft, &overread)
    }
}

/// Removes and returns the next `count` bits (count ≤ 32, and ≤ the bits available).
@inline(__always)
private func take(_ bitBuffer: inout UInt64, _ bitsLeft: inout Int, _ count: Int) -> UInt32 {
    let value = UInt32(truncatingIfNeeded: bitBuffer & ((1 &<< UInt64(count)) &- 1))
    bitBuffer &>>= UInt64(count)
    bitsLeft -= count
    return value
}

@inline(__always)
private func lowBits(_ value: UInt64, _ count: UInt32) -> UInt64 {
    value & ((1 &<< UInt64(count)) &- 1)
}

// MARK: - Decoder

enum Inflate {
    /// Decodes one raw DEFLATE stream from `input` into `output`.
    ///
    /// Back-references may reach only into this call's output (the start of `output` is the start of the stream).
    /// - Returns: the number of input bytes the stream occupies (up to and including the byte holding its last
    ///   bit) and the number of bytes written.
    /// `progress` is called at the start of every block with the number of bytes written so far (those bytes are
    /// final: later blocks only read them), so another thread may checksum them while decoding goes on.
    /// - Throws: `.truncated`, `.outputFull` (when `outputCapacity` is too small) or `.invalid(reason)`.
    static func decode(
        input inputStart: UnsafePointer<UInt8>, inputCount: Int,
        output outputStart: UnsafeMutablePointer<UInt8>, outputCapacity: Int,
        progress: (Int) -> Void = { _ in }
    ) throws(InflateError) -> (consumed: Int, produced: Int) {
        let tables = UnsafeMutablePointer<UInt32>.allocate(
            capacity: litlenTableCapacity + offsetTableCapacity + precodeTableCapacity)
        defer { tables.deallocate() }
        let litlenTable = tables
        let offsetTable = tables + litlenTableCapacity
        let precodeTable = offsetTable + offsetTableCapacity
        let lengths = UnsafeMutablePointer<UInt8>.allocate(capacity: 320 + 19)
        defer { lengths.deallocate() }
        let scratch = UnsafeMutablePointer<Int>.allocate(capacity: tableScratchCount)
        defer { scratch.deallocate() }
        let templates = UnsafeMutablePointer<UInt32>.allocate(capacity: entryTemplates.count)
        defer { templates.deallocate() }
        entryTemplates.withUnsafeBufferPointer { templates.update(from: $0.baseAddress!, count: $0.count) }

        let inputEnd = inputStart + inputCount
        var input = inputStart
        var output = outputStart
        let outputEnd = outputStart + outputCapacity
        var bitBuffer: UInt64 = 0
        var bitsLeft = 0
        var overread = 0
        let litlenMask = UInt64(1 << litlenTableBits - 1)
        let offsetMask = UInt64(1 << offsetTableBits - 1)

        // One fast-loop iteration refills once (an 8-byte load) and writes at most 3 literals or a 258-byte match
        // plus up to 31 bytes of word-copy overrun.
        let fastInputMargin = 16
        let fastOutputMargin = 258 + 32
        // The fast loop runs while input < fastInputEnd and output < fastOutputEnd (limits never before the start).
        let fastInputEnd = inputCount >= fastInputMargin ? inputEnd - (fastInputMargin - 1) : inputStart
        let fastOutputEnd = outputCapacity >= fastOutputMargin ? outputEnd - (fastOutputMargin - 1) : outputStart

        var isFinalBlock = false
        repeat {
            progress(output - outputStart)
            try refillAny(&input, inputEnd, &bitBuffer, &bitsLeft, &overread)
            isFinalBlock = take(&bitBuffer, &bitsLeft, 1) != 0
            let blockType = take(&bitBuffer, &bitsLeft, 2)
            switch blockType {
            case 0:
                // Stored block: drop to a byte boundary, give whole unread bytes back to the input, copy.
                let padding = bitsLeft & 7
                _ = take(&bitBuffer, &bitsLeft, padding)
                let bufferedBytes = bitsLeft >> 3
                if overread > bufferedBytes { throw .truncated }
                input -= bufferedBytes - overread
                overread = 0
                bitBuffer = 0
                bitsLeft = 0
                guard inputEnd - input >= 4 else { throw .truncated }
                let length = Int(input[0]) | Int(input[1]) << 8
                let complement = Int(input[2]) | Int(input[3]) << 8
                guard length == complement ^ 0xFFFF else { throw .invalid("invalid stored block lengths") }
                input += 4
                guard inputEnd - input >= length else { throw .truncated }
                guard outputEnd - output >= length else { throw .outputFull }
                output.update(from: input, count: length)
                input += length
                output += length
                continue
            case 1:
                for s in 0..<144 { lengths[s] = 8 }
                for s in 144..<256 { lengths[s] = 9 }
                for s in 256..<280 { lengths[s] = 7 }
                for s in 280..<288 { lengths[s] = 8 }
                for s in 288..<320 { lengths[s] = 5 }
                _ = buildDecodeTable(
                    lengths: lengths, symbolCount: 288, tableBits: litlenTableBits, kind: .litlen,
                    table: litlenTable, capacity: litlenTableCapacity, scratch: scratch,
                        templates: templates + litlenTemplateOffset)
                _ = buildDecodeTable(
                    lengths: lengths + 288, symbolCount: 32, tableBits: offsetTableBits, kind: .offset,
                    table: offsetTable, capacity: offsetTableCapacity, scratch: scratch,
                        templates: templates + offsetTemplateOffset)
            case 2:
                let litlenCount = Int(take(&bitBuffer, &bitsLeft, 5)) + 257
                let offsetCount = Int(take(&bitBuffer, &bitsLeft, 5)) + 1
                let precodeCount = Int(take(&bitBuffer, &bitsLeft, 4)) + 4
                guard litlenCount <= 286, offsetCount <= 30 else {
                    throw .invalid("too many length or distance symbols")
                }
                let precodeLengths = lengths + 320
                precodeLengths.update(repeating: 0, count: 19)
                for i in 0..<precodeCount {
                    try refillAny(&input, inputEnd, &bitBuffer, &bitsLeft, &overread)
                    precodeLengths[precodeOrder[i]] = UInt8(take(&bitBuffer, &bitsLeft, 3))
                }
                let precodeOK = buildDecodeTable(
                    lengths: precodeLengths, symbolCount: 19, tableBits: precodeTableBits, kind: .precode,
                    table: precodeTable, capacity: precodeTableCapacity, scratch: scratch,
                    templates: templates + precodeTemplateOffset)
                guard precodeOK else { throw .invalid("invalid code lengths set") }
                let total = litlenCount + offsetCount
                var i = 0
                while i < total {
                    try refillAny(&input, inputEnd, &bitBuffer, &bitsLeft, &overread)
                    let entry = precodeTable[Int(truncatingIfNeeded: bitBuffer & UInt64(precodeTableCapacity - 1))]
                    let codeLength = Int(entry & 0xFF)
                    guard codeLength != 0 else { throw .invalid("invalid code lengths set") }
                    _ = take(&bitBuffer, &bitsLeft, codeLength)
                    let symbol = Int(entry >> 16)
                    if symbol < 16 {
                        lengths[i] = UInt8(symbol)
                        i += 1
                        continue
                    }
                    let value: UInt8
                    let repeatCount: Int
                    switch symbol {
                    case 16:
                        guard i > 0 else { throw .invalid("invalid bit length repeat") }
                        value = lengths[i - 1]
                        repeatCount = 3 + Int(take(&bitBuffer, &bitsLeft, 2))
                    case 17:
                        value = 0
                        repeatCount = 3 + Int(take(&bitBuffer, &bitsLeft, 3))
                    default:
                        value = 0
                        repeatCount = 11 + Int(take(&bitBuffer, &bitsLeft, 7))
                    }
                    guard i + repeatCount <= total else { throw .invalid("invalid bit length repeat") }
                    (lengths + i).update(repeating: value, count: repeatCount)
                    i += repeatCount
                }
                guard lengths[256] != 0 else { throw .invalid("invalid code -- missing end-of-block") }
                guard
                    buildDecodeTable(
                        lengths: lengths, symbolCount: litlenCount, tableBits: litlenTableBits, kind: .litlen,
                        table: litlenTable, capacity: litlenTableCapacity, scratch: scratch,
                        templates: templates + litlenTemplateOffset)
                else { throw .invalid("invalid literal/lengths set") }
                guard
                    buildDecodeTable(
                        lengths: lengths + litlenCount, symbolCount: offsetCount, tableBits: offsetTableBits,
                        kind: .offset, table: offsetTable, capacity: offsetTableCapacity, scratch: scratch,
                        templates: templates + offsetTemplateOffset)
                else { throw .invalid("invalid distances set") }
            default:
                throw .invalid("invalid block type")
            }

            // Huffman-coded block body.
            blockBody: while true {
                if input < fastInputEnd && output < fastOutputEnd {
                    // Fast loop (after libdeflate): no bounds checks inside an iteration. Invariant at the top of
                    // each iteration: ≥ 56 valid bits, and `entry` already holds the litlen entry for the low bits,
                    // so the next lookup overlaps with the stores of the current iteration.
                    refillFast(&input, &bitBuffer, &bitsLeft)
                    var entry = litlenTable[Int(truncatingIfNeeded: bitBuffer & litlenMask)]
                    repeat {
                        var saved = bitBuffer
                        bitBuffer &>>= UInt64(entry & 0xFF)
                        bitsLeft &-= Int(entry & 0xFF)
                        if entry & entryLiteral != 0 {
                            // Up to three literals per refill: 56 - 3·15 = 11 bits remain for the next lookup.
                            output.pointee = UInt8(truncatingIfNeeded: entry >> 16)
                            entry = litlenTable[Int(truncatingIfNeeded: bitBuffer & litlenMask)]
                            if entry & entryLiteral != 0 {
                                bitBuffer &>>= UInt64(entry & 0xFF)
                                bitsLeft &-= Int(entry & 0xFF)
                                output[1] = UInt8(truncatingIfNeeded: entry >> 16)
                                entry = litlenTable[Int(truncatingIfNeeded: bitBuffer & litlenMask)]
                                if entry & entryLiteral != 0 {
                                    bitBuffer &>>= UInt64(entry & 0xFF)
                                    bitsLeft &-= Int(entry & 0xFF)
                                    output[2] = UInt8(truncatingIfNeeded: entry >> 16)
                                    entry = litlenTable[Int(truncatingIfNeeded: bitBuffer & litlenMask)]
                                    output += 1
                                }
                                output += 1
                            }
                            output += 1
                            refillFast(&input, &bitBuffer, &bitsLeft)
                            continue
                        }
                        if entry & entryExceptional != 0 {
                            if entry & entryEndOfBlock != 0 { break blockBody }
                            guard entry & entrySubtable != 0 else { throw .invalid("invalid literal/length code") }
                            entry = litlenTable[
                                Int(entry >> 16) &+ Int(truncatingIfNeeded: lowBits(bitBuffer, (entry >> 8) & 0xF))]
                            saved = bitBuffer
                            bitBuffer &>>= UInt64(entry & 0xFF)
                            bitsLeft &-= Int(entry & 0xFF)
                            if entry & entryLiteral != 0 {
                                output.pointee = UInt8(truncatingIfNeeded: entry >> 16)
                                output += 1
                                entry = litlenTable[Int(truncatingIfNeeded: bitBuffer & litlenMask)]
                                refillFast(&input, &bitBuffer, &bitsLeft)
                                continue
                            }
                            if entry & entryExceptional != 0 {
                                if entry & entryEndOfBlock != 0 { break blockBody }
                                throw .invalid("invalid literal/length code")
                            }
                        }
                        // Length (≤ 20 bits consumed so far), then distance (≤ 28 bits): 56 bits suffice.
                        let length = Int(entry >> 16)
                            &+ Int(truncatingIfNeeded: lowBits(saved, entry & 0xFF) &>> UInt64((entry >> 8) & 0xF))
                        entry = offsetTable[Int(truncatingIfNeeded: bitBuffer & offsetMask)]
                        if entry & entryExceptional != 0 {
                            guard entry & entrySubtable != 0 else { throw .invalid("invalid distance code") }
                            bitBuffer &>>= UInt64(entry & 0xFF)
                            bitsLeft &-= Int(entry & 0xFF)
                            entry = offsetTable[
                                Int(entry >> 16) &+ Int(truncatingIfNeeded: lowBits(bitBuffer, (entry >> 8) & 0xF))]
                            guard entry & entryExceptional == 0 else { throw .invalid("invalid distance code") }
                        }
                        saved = bitBuffer
                        bitBuffer &>>= UInt64(entry & 0xFF)
                        bitsLeft &-= Int(entry & 0xFF)
                        let distance = Int(entry >> 16)
                            &+ Int(truncatingIfNeeded: lowBits(saved, entry & 0xFF) &>> UInt64((entry >> 8) & 0xF))
                        guard distance <= output - outputStart else { throw .invalid("invalid distance too far back") }
                        // Refill and preload the next entry before copying, so the copy hides the lookup latency.
                        refillFast(&input, &bitBuffer, &bitsLeft)
                        entry = litlenTable[Int(truncatingIfNeeded: bitBuffer & litlenMask)]
                        copyMatch(to: output, distance: distance, length: length)
                        output += length
                    } while input < fastInputEnd && output < fastOutputEnd
                    // `entry` was only looked up, not consumed: the slow path below looks it up again.
                }

                // Slow path: near the end of the input or the output; one symbol per iteration, all checked.
                try refillAny(&input, inputEnd, &bitBuffer, &bitsLeft, &overread)
                var entry = litlenTable[Int(truncatingIfNeeded: bitBuffer & litlenMask)]
                var saved = bitBuffer
                bitBuffer &>>= UInt64(entry & 0xFF)
                bitsLeft -= Int(entry & 0xFF)
                if entry & entrySubtable != 0 {
                    entry = litlenTable[Int(entry >> 16) + Int(truncatingIfNeeded: lowBits(bitBuffer, (entry >> 8) & 0xF))]
                    saved = bitBuffer
                    bitBuffer &>>= UInt64(entry & 0xFF)
                    bitsLeft -= Int(entry & 0xFF)
                }
                if entry & entryLiteral != 0 {
                    guard output < outputEnd else { throw .outputFull }
                    output.pointee = UInt8(truncatingIfNeeded: entry >> 16)
                    output += 1
                    continue
                }
                if entry & entryExceptional != 0 {
                    if entry & entryEndOfBlock != 0 { break blockBody }
                    throw .invalid("invalid literal/length code")
                }
                let length = Int(entry >> 16)
                    + Int(truncatingIfNeeded: lowBits(saved, entry & 0xFF) >> UInt64((entry >> 8) & 0xF))
                entry = offsetTable[Int(truncatingIfNeeded: bitBuffer & offsetMask)]
                if entry & entryExceptional != 0 {
                    guard entry & entrySubtable != 0 else { throw .invalid("invalid distance code") }
                    bitBuffer &>>= UInt64(entry & 0xFF)
                    bitsLeft -= Int(entry & 0xFF)
                    entry = offsetTable[Int(entry >> 16) + Int(truncatingIfNeeded: lowBits(bitBuffer, (entry >> 8) & 0xF))]
                    guard entry & entryExceptional == 0 else { throw .invalid("invalid distance code") }
                }
                saved = bitBuffer
                bitBuffer &>>= UInt64(entry & 0xFF)
                bitsLeft -= Int(entry & 0xFF)
                let distance = Int(entry >> 16)
                    + Int(truncatingIfNeeded: lowBits(saved, entry & 0xFF) >> UInt64((entry >> 8) & 0xF))
                guard distance <= output - outputStart else { throw .invalid("invalid distance too far back") }
                guard outputEnd - output >= length else { throw .outputFull }
                var source = UnsafePointer(output - distance)
                for _ in 0..<length {
                    output.pointee = source.pointee
                    output += 1
                    source += 1
                }
            }
        } while !isFinalBlock

        // Whole bytes still in the bit buffer were not part of the stream; zero bytes appended past the end of the
        // input must all be among them, or the stream needed bits the input does not have.
        let bufferedBytes = bitsLeft >> 3
        guard overread <= bufferedBytes else { throw .truncated }
        let consumed = (input - inputStart) - (bufferedBytes - overread)
        return (consumed, output - outputStart)
    }

    /// Copies a match of `length` bytes from `distance` bytes back (overlap allowed: a short distance repeats the
    /// pattern). May write up to 31 bytes past `length` (the fast loop's output margin covers that).
    @inline(__always)
    private static func copyMatch(to destination: UnsafeMutablePointer<UInt8>, distance: Int, length: Int) {
        let end = UnsafeMutableRawPointer(destination + length)
        var out = UnsafeMutableRawPointer(destination)
        var source = UnsafeRawPointer(destination - distance)
        if distance >= 8 {
            // Each load reads bytes written before it (distance ≥ 8), so word copies reproduce the byte semantics.
            // Most matches are short: copy 32 bytes unconditionally, then loop.
            out.storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
            (out + 8).storeBytes(of: (source + 8).loadUnaligned(as: UInt64.self), as: UInt64.self)
            (out + 16).storeBytes(of: (source + 16).loadUnaligned(as: UInt64.self), as: UInt64.self)
            (out + 24).storeBytes(of: (source + 24).loadUnaligned(as: UInt64.self), as: UInt64.self)
            out += 32
            source += 32
            while out < end {
                out.storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
                out += 8
                source += 8
            }
        } else if distance == 1 {
            let word = UInt64(source.load(as: UInt8.self)) &* 0x0101_0101_0101_0101
            out.storeBytes(of: word, as: UInt64.self)
            (out + 8).storeBytes(of: word, as: UInt64.self)
            (out + 16).storeBytes(of: word, as: UInt64.self)
            (out + 24).storeBytes(of: word, as: UInt64.self)
            out += 32
            while out < end {
                out.storeBytes(of: word, as: UInt64.self)
                out += 8
            }
        } else {
            var o = destination
            var s = destination - distance
            repeat {
                o.pointee = s.pointee
                o += 1
                s += 1
            } while o < destination + length
        }
    }
}
