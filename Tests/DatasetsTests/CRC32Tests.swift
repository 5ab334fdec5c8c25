import Testing

@testable import Datasets

/// Bit-at-a-time CRC-32 (reflected polynomial 0xEDB88320), written from the definition: an independent reference.
func referenceCRC32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

@Suite("CRC-32")
struct CRC32Tests {
    @Test("the standard check value: crc32(\"123456789\") = cbf43926")
    func checkValue() {
        #expect(crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test("the CRC of no bytes is 0")
    func empty() {
        #expect(crc32([]) == 0)
    }

    @Test("matches a bit-at-a-time reference on random data of many lengths")
    func matchesReference() {
        var random = TestRandom(seed: 42)
        for length in [1, 2, 3, 7, 8, 15, 16, 63, 64, 255, 1000, 4099] {
            let bytes = random.bytes(length)
            #expect(crc32(bytes) == referenceCRC32(bytes), "length \(length)")
        }
    }

    @Test("continuing a CRC over a split buffer equals the CRC of the whole")
    func continuing() {
        var random = TestRandom(seed: 7)
        let bytes = random.bytes(5000)
        let first = bytes.withUnsafeBytes { crc32(UnsafeRawBufferPointer(rebasing: $0[0..<1234])) }
        let whole = bytes.withUnsafeBytes { crc32(continuing: first, UnsafeRawBufferPointer(rebasing: $0[1234...])) }
        #expect(whole == crc32(bytes))
    }

    @Test("hex formatting is 8 lowercase digits with leading zeros")
    func hex() {
        #expect(crc32Hex(0xCBF4_3926) == "cbf43926")
        #expect(crc32Hex(0x1234) == "00001234")
        #expect(crc32Hex(0) == "00000000")
    }
}
