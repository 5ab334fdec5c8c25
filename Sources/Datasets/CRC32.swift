import CZlib

/// CRC-32 (ISO-HDLC / zlib / gzip polynomial 0xEDB88320, the value `zlib.crc32` and `cksum -a crc32b` report) of
/// `bytes`, computed by the system zlib.
public func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    crc32(continuing: 0, bytes)
}

/// CRC-32 of `bytes`; see `crc32(_: UnsafeRawBufferPointer)`.
public func crc32(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBytes { crc32($0) }
}

/// Continues a CRC-32 over more bytes: `crc32(continuing: crc32(a), b) == crc32(a + b)`.
public func crc32(continuing crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    guard var pointer = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return crc }
    var remaining = bytes.count
    var value = UInt(crc)
    // zlib takes a 32-bit length: feed at most 1 GiB per call.
    while remaining > 0 {
        let chunk = min(remaining, 1 << 30)
        value = CZlib.crc32(value, pointer, UInt32(chunk))
        pointer += chunk
        remaining -= chunk
    }
    return UInt32(truncatingIfNeeded: value)
}

/// CRC-32 as the 8 lowercase hexadecimal digits used in inspection output (`cbf43926`).
func crc32Hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
}
