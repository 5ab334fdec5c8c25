import Datasets
import Foundation

/// Checksums that make a checkpoint refuse to lie: every tensor's bytes and the metadata are covered by CRC-32s
/// stored in the safetensors metadata, and a resume verifies all of them before using anything.
///
/// - `mobench_tensor_crc32`: JSON object, tensor name → CRC-32 (8 hex digits) of its float32 values as stored
///   (little-endian IEEE bytes, the safetensors payload).
/// - `mobench_metadata_crc32`: CRC-32 of the canonical text of everything else: each other metadata key and value
///   (sorted by key, `key=value` lines), then one `tensor name shape` line per tensor (sorted by name), then the
///   tensor checksum JSON.
///
/// Independent of which tensors a checkpoint holds (model weights, optimizer state): whatever is written is covered.
enum CheckpointIntegrity {
    typealias Tensor = (name: String, shape: [Int], values: [Float])

    static let tensorKey = "mobench_tensor_crc32"
    static let metadataKey = "mobench_metadata_crc32"

    /// `metadata` with the two checksum entries added.
    static func sealed(_ metadata: [String: String], tensors: [Tensor]) -> [String: String] {
        var out = metadata
        out.removeValue(forKey: tensorKey)
        out.removeValue(forKey: metadataKey)
        out[tensorKey] = tensorChecksums(tensors)
        out[metadataKey] = hex(crc32(Array(canonicalText(out, tensors: tensors).utf8)))
        return out
    }

    /// Throws `OutputError.checkpoint` (one line naming `path` and what does not match) unless every checksum holds.
    static func verify(_ metadata: [String: String], tensors: [Tensor], path: String) throws {
        func corrupt(_ what: String) -> OutputError {
            .checkpoint("\(path): corrupt checkpoint (\(what)); delete it to restart the run from step 0")
        }
        guard let storedTable = metadata[tensorKey], let storedMetadata = metadata[metadataKey] else {
            throw corrupt("no checksums")
        }
        let actualMetadata = hex(crc32(Array(canonicalText(metadata, tensors: tensors).utf8)))
        guard actualMetadata == storedMetadata else {
            throw corrupt("metadata CRC-32 \(actualMetadata), recorded \(storedMetadata)")
        }
        guard let stored = try? JSONDecoder().decode([String: String].self, from: Data(storedTable.utf8)) else {
            throw corrupt("unreadable tensor checksums")
        }
        guard Set(stored.keys) == Set(tensors.map(\.name)) else { throw corrupt("tensor list differs from its checksums") }
        for tensor in tensors {
            let actual = hex(checksum(tensor.values))
            guard actual == stored[tensor.name] else {
                throw corrupt("tensor \(tensor.name): CRC-32 \(actual), recorded \(stored[tensor.name] ?? "-")")
            }
        }
    }

    static func checksum(_ values: [Float]) -> UInt32 {
        var littleEndian = values.map { $0.bitPattern.littleEndian }
        return littleEndian.withUnsafeMutableBytes { crc32(UnsafeRawBufferPointer($0)) }
    }

    static func tensorChecksums(_ tensors: [Tensor]) -> String {
        let pairs = tensors.sorted { $0.name < $1.name }.map { "\"\(escape($0.name))\":\"\(hex(checksum($0.values)))\"" }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    static func canonicalText(_ metadata: [String: String], tensors: [Tensor]) -> String {
        var lines = metadata.filter { $0.key != metadataKey && $0.key != tensorKey }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }
        lines += tensors.sorted { $0.name < $1.name }.map { "tensor \($0.name) \($0.shape.map(String.init).joined(separator: "x"))" }
        lines.append(metadata[tensorKey] ?? "")
        return lines.joined(separator: "\n")
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
