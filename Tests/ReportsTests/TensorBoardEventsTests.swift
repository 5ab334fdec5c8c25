import Foundation
import Testing
@testable import Reports

/// The hand-written TensorBoard encoder: CRC-32C, TFRecord framing, protobuf wire format.
struct TensorBoardEventsTests {
    @Test("CRC-32C check values (RFC 3720 / iSCSI): '123456789' → e3069283, 32 zero bytes → 8a9136aa")
    func crc32cCheckValues() {
        #expect(TensorBoardEvents.crc32c(Array("123456789".utf8)) == 0xE306_9283)
        #expect(TensorBoardEvents.crc32c([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(TensorBoardEvents.crc32c([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    @Test("A TFRecord is length (u64 LE), masked CRC of the length, data, masked CRC of the data")
    func recordFraming() {
        let data: [UInt8] = Array("hello".utf8)
        let record = TensorBoardEvents.record(data)
        #expect(record.count == 8 + 4 + 5 + 4)
        #expect(Array(record[0..<8]) == [5, 0, 0, 0, 0, 0, 0, 0])
        func u32(_ i: Int) -> UInt32 { UInt32(record[i]) | UInt32(record[i + 1]) << 8 | UInt32(record[i + 2]) << 16 | UInt32(record[i + 3]) << 24 }
        let c = TensorBoardEvents.crc32c(Array(record[0..<8]))
        #expect(u32(8) == ((c >> 15) | (c << 17)) &+ 0xA282_EAD8)
        #expect(Array(record[12..<17]) == data)
        #expect(u32(17) == TensorBoardEvents.maskedCRC32C(data))
    }

    @Test("Protobuf wire format: varints, fixed64 doubles, length-delimited fields, negative int64 as 10 bytes")
    func wireFormat() {
        var p = Protobuf()
        p.varint(2, 300)
        #expect(p.bytes == [0x10, 0xAC, 0x02])
        p = Protobuf()
        p.double(1, 1.0)
        #expect(p.bytes == [0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        p = Protobuf()
        p.string(1, "ab")
        #expect(p.bytes == [0x0A, 2, 0x61, 0x62])
        p = Protobuf()
        p.varint(2, UInt64(bitPattern: -1))
        #expect(p.bytes.count == 11 && p.bytes.last == 0x01)
    }

    @Test("A scalar event holds tag, step, wall time and the exact float64 value in a DT_DOUBLE tensor of the scalars plugin")
    func scalarEventLayout() {
        let value = 2.321401870250702
        let event = TensorBoardEvents.scalarEvent((tag: "online_loss", step: 20, value: value, wallTime: 0.5))
        var bits = value.bitPattern
        var valueBytes: [UInt8] = []
        for _ in 0..<8 { valueBytes.append(UInt8(bits & 0xFF)); bits >>= 8 }
        func contains(_ needle: [UInt8]) -> Bool {
            (0...(event.count - needle.count)).contains { Array(event[$0..<($0 + needle.count)]) == needle }
        }
        #expect(contains([0x32, 8] + valueBytes), "packed double_val = 6")
        #expect(contains([0x10, 20]), "step = 2")
        #expect(contains([0x0A, 11] + Array("online_loss".utf8)), "tag = 1")
        #expect(contains([0x0A, 7] + Array("scalars".utf8)), "plugin_name = 1")
        #expect(contains([0x08, 0x02]), "dtype = DT_DOUBLE")
        let file = TensorBoardEvents.file([], startTime: 0)
        #expect(String(decoding: file, as: UTF8.self).contains("brain.Event:2"))
    }
}
