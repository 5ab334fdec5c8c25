import Foundation

/// TensorBoard event files, written without TensorFlow: TFRecord framing with masked CRC-32C, and the few protobuf
/// messages a scalar needs, encoded by hand.
///
/// Each record: `uint64 length` (little-endian), `uint32 masked_crc32c(length bytes)`, the `Event` bytes,
/// `uint32 masked_crc32c(event bytes)`; mask(c) = ((c >> 15) | (c << 17)) + 0xa282ead8. The first event carries
/// `file_version = "brain.Event:2"`. Scalars are `Summary.Value`s holding a rank-0 `TensorProto` of `DT_DOUBLE`
/// (so values keep all 64 bits; `simple_value` would round them to float32) with `SummaryMetadata.plugin_data
/// .plugin_name = "scalars"` and `data_class = DATA_CLASS_SCALAR`, the form TensorBoard's scalar dashboard reads.
public enum TensorBoardEvents {
    /// One scalar point; `wallTime` in seconds since the epoch (TensorBoard's "wall" and "relative" x axes).
    public typealias Scalar = (tag: String, step: Int, value: Double, wallTime: Double)

    /// The bytes of an event file holding `scalars` (in the given order) after the file-version event.
    public static func file(_ scalars: [Scalar], startTime: Double) -> [UInt8] {
        var out = record(versionEvent(wallTime: startTime))
        for scalar in scalars { out += record(scalarEvent(scalar)) }
        return out
    }

    /// One TFRecord.
    public static func record(_ data: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        var n = UInt64(data.count)
        for _ in 0..<8 { length.append(UInt8(n & 0xFF)); n >>= 8 }
        return length + littleEndian32(maskedCRC32C(length)) + data + littleEndian32(maskedCRC32C(data))
    }

    /// Event { double wall_time = 1; string file_version = 3; }
    static func versionEvent(wallTime: Double) -> [UInt8] {
        var p = Protobuf()
        p.double(1, wallTime)
        p.string(3, "brain.Event:2")
        return p.bytes
    }

    /// Event { double wall_time = 1; int64 step = 2; Summary summary = 5; }
    static func scalarEvent(_ s: Scalar) -> [UInt8] {
        // TensorProto { DataType dtype = 1 (DT_DOUBLE = 2); TensorShapeProto tensor_shape = 2 (empty: rank 0);
        //               repeated double double_val = 6 (packed); }
        var tensor = Protobuf()
        tensor.varint(1, 2)
        tensor.message(2, [])
        tensor.packedDoubles(6, [s.value])
        // SummaryMetadata { PluginData plugin_data = 1 { string plugin_name = 1; }; DataClass data_class = 4 (SCALAR = 1); }
        var plugin = Protobuf()
        plugin.string(1, "scalars")
        var metadata = Protobuf()
        metadata.message(1, plugin.bytes)
        metadata.varint(4, 1)
        // Summary.Value { string tag = 1; TensorProto tensor = 8; SummaryMetadata metadata = 9; }
        var value = Protobuf()
        value.string(1, s.tag)
        value.message(8, tensor.bytes)
        value.message(9, metadata.bytes)
        // Summary { repeated Value value = 1; }
        var summary = Protobuf()
        summary.message(1, value.bytes)
        var event = Protobuf()
        event.double(1, s.wallTime)
        event.varint(2, UInt64(bitPattern: Int64(s.step)))
        event.message(5, summary.bytes)
        return event.bytes
    }

    /// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord uses. Check value: "123456789" →
    /// 0xE3069283. (No Debian package ships a CRC-32C library; zlib has only CRC-32.)
    public static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = (crc >> 8) ^ crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] }
        return crc ^ 0xFFFF_FFFF
    }

    /// TFRecord's masked CRC-32C.
    public static func maskedCRC32C(_ bytes: [UInt8]) -> UInt32 {
        let c = crc32c(bytes)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }

    static let crcTable: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    static func littleEndian32(_ v: UInt32) -> [UInt8] {
        [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
    }
}

/// A minimal protobuf writer: the wire types TensorBoard's messages need (varint, 64-bit, length-delimited).
struct Protobuf {
    var bytes: [UInt8] = []

    mutating func rawVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wireType: UInt64) { rawVarint(UInt64(field) << 3 | wireType) }

    mutating func varint(_ field: Int, _ value: UInt64) {
        key(field, 0)
        rawVarint(value)
    }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, 1)
        var bits = value.bitPattern
        for _ in 0..<8 { bytes.append(UInt8(bits & 0xFF)); bits >>= 8 }
    }

    mutating func message(_ field: Int, _ body: [UInt8]) {
        key(field, 2)
        rawVarint(UInt64(body.count))
        bytes += body
    }

    mutating func string(_ field: Int, _ text: String) { message(field, Array(text.utf8)) }

    mutating func packedDoubles(_ field: Int, _ values: [Double]) {
        var body = Protobuf()
        for v in values {
            var bits = v.bitPattern
            for _ in 0..<8 { body.bytes.append(UInt8(bits & 0xFF)); bits >>= 8 }
        }
        message(field, body.bytes)
    }
}
