import Foundation

/// What was read from a dataset, in a form anyone can check with an independent tool: what
/// `mobench data inspect --json` prints.
///
/// `pixelsCRC32` is the zlib CRC-32 of all decoded pixel bytes in file order (CIFAR: each record's 3072 pixel bytes
/// as stored, training batches 1…5 in order; IDX: the data after the header). `labelsCRC32` is the CRC-32 of one
/// label byte per sample in file order (CIFAR-100: the selected fine or coarse label). Both are 8 lowercase hex
/// digits, e.g. `zlib.crc32(data) & 0xffffffff` formatted with `'%08x'` in Python.
public struct DatasetInspection: Codable, Sendable, Equatable {
    public let format: DatasetFormat
    public let split: Split
    public let count: Int
    /// `[channels, height, width]`.
    public let shape: [Int]
    public let classes: Int
    /// Samples per class, indexed by label.
    public let classCounts: [Int]
    public let pixelsCRC32: String
    public let labelsCRC32: String
    public let labelNames: [String]?
    /// For CIFAR-100 only: which label the counts and `labelsCRC32` are about.
    public let labelKind: CIFAR100LabelKind?
    /// The folder or archive that was read.
    public let source: String

    enum CodingKeys: String, CodingKey {
        case format, split, count, shape, classes, source
        case classCounts = "class_counts"
        case pixelsCRC32 = "pixels_crc32"
        case labelsCRC32 = "labels_crc32"
        case labelNames = "label_names"
        case labelKind = "label_kind"
    }

    public init(_ dataset: Dataset) {
        format = dataset.format
        split = dataset.split
        count = dataset.count
        shape = [dataset.channels, dataset.height, dataset.width]
        classes = dataset.classes
        classCounts = dataset.classCounts()
        pixelsCRC32 = crc32Hex(crc32(dataset.pixels))
        labelsCRC32 = crc32Hex(crc32(dataset.labels))
        labelNames = dataset.labelNames
        labelKind = dataset.labelKind
        source = dataset.source
    }

    /// One JSON object on one line: snake_case keys in sorted order, absent optionals omitted, no trailing newline.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, integers and arrays cannot fail.
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Human-readable multi-line text (no trailing newline).
    public func summary() -> String {
        var lines = [
            "source:       \(source)",
            "format:       \(format.rawValue)" + (labelKind.map { " (\($0.rawValue) labels)" } ?? ""),
            "split:        \(split.rawValue)",
            "samples:      \(count)",
            "shape:        \(shape.map(String.init).joined(separator: " x ")) (channels x height x width)",
            "classes:      \(classes)",
            "pixels CRC32: \(pixelsCRC32)",
            "labels CRC32: \(labelsCRC32)",
            "per class:",
        ]
        for (label, samples) in classCounts.enumerated() {
            let name = labelNames.map { " \($0[label])" } ?? ""
            lines.append("  \(label)\(name): \(samples)")
        }
        return lines.joined(separator: "\n")
    }
}
