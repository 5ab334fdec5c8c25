import Foundation
import Testing
@testable import Networks

/// Little-endian bytes of a UInt64 header length.
private func lengthPrefix(_ n: Int) -> [UInt8] { (0..<8).map { UInt8((n >> (8 * $0)) & 0xFF) } }

/// Little-endian bytes of Float32 values.
private func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value in (0..<4).map { UInt8((value.bitPattern >> (8 * UInt32($0))) & 0xFF) } }
}

private func writeBytes(_ bytes: [UInt8], _ name: String) throws -> String {
    let path = temporaryPath(name)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// A hand-built file: the given header text, padded with spaces to a multiple of 8, then `data`.
private func handBuilt(_ header: String, _ data: [UInt8], pad: Bool = true) -> [UInt8] {
    var h = Array(header.utf8)
    while pad && h.count % 8 != 0 { h.append(UInt8(ascii: " ")) }
    return lengthPrefix(h.count) + h + data
}

private func readError(_ bytes: [UInt8], _ name: String) throws -> SafetensorsError? {
    let path = try writeBytes(bytes, name)
    defer { try? FileManager.default.removeItem(atPath: path) }
    do {
        _ = try Safetensors.read(from: path)
        return nil
    } catch {
        #expect(error.description.hasPrefix(path + ": "), "error names the file: \(error)")
        #expect(!error.description.contains("\n"), "one line: \(error)")
        return error
    }
}

struct SafetensorsFormatTests {
    // The expected files below are built by hand from the format definition; they coincide byte for byte with
    // the serialisation tests of the reference implementation (huggingface/safetensors, safetensors/src/tensor.rs).

    @Test("serialisation equals a hand-built file: 8-byte LE length, compact JSON header (64 bytes, no padding), LE data")
    func headerWithoutPadding() throws {
        let bytes = try Safetensors.serialize([(name: "attn.0", shape: [1, 2, 3], values: [0, 1, 2, 3, 4, 5])], metadata: [:])
        let expected = lengthPrefix(64)
            + Array(#"{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"#.utf8)
            + [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64]
        #expect(bytes == expected)
    }

    @Test("the header is padded with spaces to a multiple of 8 (65 → 72 bytes)")
    func headerPaddedWithSpaces() throws {
        let bytes = try Safetensors.serialize([(name: "attn0", shape: [1, 1, 2, 3], values: [0, 1, 2, 3, 4, 5])], metadata: [:])
        let header = #"{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}"#
        #expect(header.utf8.count == 65)
        let expected = lengthPrefix(72) + Array(header.utf8) + Array(repeating: UInt8(ascii: " "), count: 7)
            + floatBytes([0, 1, 2, 3, 4, 5])
        #expect(bytes == expected)
    }

    @Test("metadata is written first as \"__metadata__\"; no tensors gives {} padded; empty metadata is omitted")
    func metadataAndEmptyFiles() throws {
        let withMetadata = try Safetensors.serialize([], metadata: ["framework": "pt"])
        #expect(withMetadata == lengthPrefix(40) + Array(#"{"__metadata__":{"framework":"pt"}}"#.utf8) + Array(repeating: 32, count: 5))
        let empty = try Safetensors.serialize([], metadata: [:])
        #expect(empty == lengthPrefix(8) + [123, 125, 32, 32, 32, 32, 32, 32])
        let both = try Safetensors.serialize([(name: "w", shape: [1], values: [1])], metadata: ["b": "2", "a": "1"])
        let header = #"{"__metadata__":{"a":"1","b":"2"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        #expect(both == handBuilt(header, floatBytes([1])))
    }

    @Test("tensors are stored sorted by name in byte order (as the Python package), data in the same order")
    func tensorsSortedByName() throws {
        let bytes = try Safetensors.serialize([
            (name: "layers.2.weight", shape: [1], values: [2]),
            (name: "layers.10.weight", shape: [2], values: [10, 11]),
            (name: "Z", shape: [], values: [9]),
        ], metadata: [:])
        let header = #"{"Z":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"layers.10.weight":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"layers.2.weight":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#
        #expect(bytes == handBuilt(header, floatBytes([9, 10, 11, 2])))
    }

    @Test("names are escaped as serde_json does (quote, backslash, \\n, \\u00xx) and read back unchanged")
    func jsonEscaping() throws {
        let name = "a\"b\\c\nd\u{01}é"
        let bytes = try Safetensors.serialize([(name: name, shape: [1], values: [1])], metadata: [:])
        let header = "{\"a\\\"b\\\\c\\nd\\u0001é\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
        #expect(bytes == handBuilt(header, floatBytes([1])))
        let decoded = try Safetensors.deserialize(bytes)
        #expect(decoded.tensors.map(\.name) == [name])
    }
}

struct SafetensorsRoundTripTests {
    @Test("write then read gives identical names, shapes, bit patterns and metadata; re-writing gives identical bytes")
    func roundTrip() throws {
        var rng = TestRNG(seed: 1)
        let tensors: [NamedTensor] = [
            (name: "conv1.weight", shape: [4, 2, 3, 3], values: rng.uniforms(72, -1, 1)),
            (name: "conv1.bias", shape: [4], values: [-0.0, .infinity, -.leastNonzeroMagnitude, .greatestFiniteMagnitude]),
            (name: "fc.weight", shape: [3, 5], values: rng.uniforms(15, -10, 10)),
            (name: "empty", shape: [0, 3], values: []),
        ]
        let metadata = ["format": "pt", "step": "123", "note": "ünïcode \"quoted\""]
        let path = temporaryPath("roundtrip.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Safetensors.write(tensors, metadata: metadata, to: path)
        let read = try Safetensors.read(from: path)
        #expect(read.metadata == metadata)
        #expect(read.tensors.count == tensors.count)
        for tensor in tensors {
            let found = try #require(read.tensors.first { $0.name == tensor.name })
            #expect(found.shape == tensor.shape)
            #expect(found.values.map(\.bitPattern) == tensor.values.map(\.bitPattern), "\(tensor.name)")
        }
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let rewritten = temporaryPath("rewritten.safetensors")
        defer { try? FileManager.default.removeItem(atPath: rewritten) }
        try Safetensors.write(read.tensors, metadata: read.metadata, to: rewritten)
        #expect(try Data(contentsOf: URL(fileURLWithPath: rewritten)) == original)
    }

    @Test("reading returns tensors in data-offset order even when the header lists them in another order")
    func readsInOffsetOrder() throws {
        let header = #"{"second":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"first":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let decoded = try Safetensors.deserialize(handBuilt(header, floatBytes([1, 2])))
        #expect(decoded.tensors.map(\.name) == ["first", "second"])
        #expect(decoded.tensors.map(\.values) == [[1], [2]])
    }

    @Test("writing is atomic: an existing file is replaced and no temporary file is left behind")
    func atomicWrite() throws {
        let directory = temporaryPath("dir")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/w.safetensors"
        try Safetensors.write([(name: "a", shape: [1], values: [1])], metadata: [:], to: path)
        try Safetensors.write([(name: "b", shape: [2], values: [2, 3])], metadata: [:], to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["w.safetensors"])
        #expect(try Safetensors.read(from: path).tensors.map(\.name) == ["b"])
    }
}

struct SafetensorsErrorTests {
    static let goodHeader = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

    @Test("a valid hand-built file reads (control for the malformed variants below)")
    func controlFileReads() throws {
        #expect(try readError(handBuilt(Self.goodHeader, floatBytes([1, 2])), "good") == nil)
    }

    @Test("missing file and directory are cannotRead errors naming the path")
    func unreadable() {
        let missing = temporaryPath("missing.safetensors")
        #expect(throws: SafetensorsError.cannotRead(path: missing, reason: "No such file or directory")) {
            try Safetensors.read(from: missing)
        }
        let directory = FileManager.default.temporaryDirectory.path
        #expect(throws: SafetensorsError.cannotRead(path: directory, reason: "not a regular file")) {
            try Safetensors.read(from: directory)
        }
    }

    @Test("fewer than 8 bytes is a truncated error")
    func truncated() throws {
        guard case .truncated(_, let size) = try readError([1, 0, 0, 0, 0], "short") else {
            Issue.record("expected truncated"); return
        }
        #expect(size == 5)
    }

    @Test("a header length beyond the file or above 100,000,000 is a headerLength error")
    func impossibleHeaderLength() throws {
        let file = handBuilt(Self.goodHeader, floatBytes([1, 2]))
        var tooLong = file
        tooLong[0] = UInt8(file.count - 8 + 1)  // one byte more than the rest of the file
        guard case .headerLength(_, let declared, let size) = try readError(tooLong, "long") else {
            Issue.record("expected headerLength"); return
        }
        #expect(declared == UInt64(file.count - 7) && size == file.count)
        var huge = file
        huge[5] = 1  // 2^40 + …
        guard case .headerLength = try readError(huge, "huge") else { Issue.record("expected headerLength"); return }
    }

    @Test("a header that is not UTF-8 or not JSON is rejected with the byte offset")
    func malformedHeader() throws {
        var invalidUTF8 = handBuilt(Self.goodHeader, floatBytes([1, 2]))
        invalidUTF8[10] = 0xFF
        guard case .headerNotUTF8 = try readError(invalidUTF8, "utf8") else { Issue.record("expected headerNotUTF8"); return }

        let unclosed = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
        guard case .malformedHeader(_, let offset, _) = try readError(handBuilt(unclosed, floatBytes([1, 2])), "json") else {
            Issue.record("expected malformedHeader"); return
        }
        #expect(offset >= unclosed.utf8.count - 1)
        guard case .malformedHeader = try readError(handBuilt("[1,2]", []), "array") else {
            Issue.record("expected malformedHeader for a top-level array"); return
        }
        guard case .malformedHeader = try readError(handBuilt(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}x"#, floatBytes([1, 2])), "trailing") else {
            Issue.record("expected malformedHeader for trailing characters"); return
        }
    }

    @Test("a dtype other than F32 is a clear unsupportedDType error naming tensor and dtype")
    func unsupportedDType() throws {
        let header = #"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#
        let error = try readError(handBuilt(header, [0, 0, 0, 0]), "f16")
        guard case .unsupportedDType(_, let name, let dtype) = error else { Issue.record("expected unsupportedDType"); return }
        #expect(name == "w" && dtype == "F16")
        #expect(error!.description.contains("only F32 is supported"))
    }

    @Test("a tensor name with a line break is escaped in the one-line error")
    func nameWithLineBreak() throws {
        let header = #"{"a\nb":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#
        let error = try readError(handBuilt(header, [0, 0, 0, 0]), "newline")
        #expect(error?.description.hasSuffix(#"tensor 'a\nb' has dtype BF16; only F32 is supported"#) == true)
    }

    @Test("missing or mistyped fields are malformedEntry errors", arguments: [
        #"{"w":{"dtype":"F32","data_offsets":[0,8]}}"#,
        #"{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#,
        #"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#,
        #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#,
        #"{"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}"#,
        #"{"w":[1,2]}"#,
        #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
        #"{"__metadata__":{"a":1},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
    ])
    func malformedEntries(header: String) throws {
        guard case .malformedEntry = try readError(handBuilt(header, floatBytes([1, 2])), "entry") else {
            Issue.record("expected malformedEntry for \(header)"); return
        }
    }

    @Test("offsets with a gap, or spanning a size other than shape × 4, are badOffsets errors")
    func badOffsets() throws {
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        guard case .badOffsets(_, let name, _) = try readError(handBuilt(gap, floatBytes([1, 2, 3])), "gap") else {
            Issue.record("expected badOffsets"); return
        }
        #expect(name == "b")
        let wrongSize = #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
        guard case .badOffsets = try readError(handBuilt(wrongSize, floatBytes([1, 2])), "size") else {
            Issue.record("expected badOffsets"); return
        }
    }

    @Test("data bytes beyond (or short of) the last tensor are a dataLength error")
    func dataLengthMismatch() throws {
        guard case .dataLength(_, let expected, let found) = try readError(handBuilt(Self.goodHeader, floatBytes([1, 2, 3])), "extra") else {
            Issue.record("expected dataLength"); return
        }
        #expect(expected == 8 && found == 12)
        guard case .dataLength = try readError(handBuilt(Self.goodHeader, floatBytes([1]) + [0]), "short") else {
            Issue.record("expected dataLength"); return
        }
    }

    @Test("inconsistent tensors are refused when writing: value count, duplicate name, reserved name")
    func invalidTensorsOnWrite() {
        #expect(throws: SafetensorsError.self) { try Safetensors.serialize([(name: "a", shape: [2, 2], values: [1])], metadata: [:]) }
        #expect(throws: SafetensorsError.self) {
            try Safetensors.serialize([(name: "a", shape: [1], values: [1]), (name: "a", shape: [1], values: [2])], metadata: [:])
        }
        #expect(throws: SafetensorsError.self) { try Safetensors.serialize([(name: "__metadata__", shape: [1], values: [1])], metadata: [:]) }
    }

    @Test("writing into a missing directory is a cannotWrite error naming the path")
    func unwritable() {
        let path = temporaryPath("no-such-dir") + "/w.safetensors"
        do {
            try Safetensors.write([(name: "a", shape: [1], values: [1])], metadata: [:], to: path)
            Issue.record("expected an error")
        } catch {
            guard case .cannotWrite(let errorPath, _) = error else { Issue.record("expected cannotWrite"); return }
            #expect(errorPath == path && error.description.hasPrefix(path))
        }
    }
}
