import CZlib
import Foundation
import Testing

@testable import Datasets

// Helpers that build dataset files for the tests. They are written independently of the code under test:
// gzip files come from zlib's own writer (gzopen/gzwrite), tar archives from a hand-written ustar writer,
// IDX and CIFAR files from their published layouts.

/// A fresh temporary folder, removed when the test's `body` returns.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = FileManager.default.temporaryDirectory.path + "/datasets-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let directory = (path as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

func readFile(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Gzip-compresses `bytes` with zlib's gzip writer. `mode` is gzopen's mode string: "wb9", "wb1", "wb0" (stored
/// blocks), "wb6h" (Huffman only), "wb6R" (run-length), "wb6F" (fixed codes).
func gzipBytes(_ bytes: [UInt8], mode: String = "wb6") throws -> [UInt8] {
    try withTemporaryDirectory { directory in
        let path = directory + "/data.gz"
        guard let file = gzopen(path, mode) else { throw TestFailure("gzopen failed") }
        var offset = 0
        // Several writes so that the stream has several blocks for larger inputs.
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, 1 << 16)
            let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress! + offset, UInt32(chunk)) }
            guard written == Int32(chunk) else { throw TestFailure("gzwrite failed") }
            offset += chunk
        }
        guard gzclose(file) == Z_OK else { throw TestFailure("gzclose failed") }
        return try readFile(path)
    }
}

/// Writes `bytes` gzip-compressed to `path`.
func writeGzip(_ path: String, _ bytes: [UInt8], mode: String = "wb6") throws {
    try writeFile(path, try gzipBytes(bytes, mode: mode))
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// An IDX file: magic 00 00 08 NDIM, big-endian dimensions, data.
func idxFile(dimensions: [UInt32], data: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
    for dimension in dimensions {
        bytes += [UInt8(dimension >> 24), UInt8(dimension >> 16 & 0xFF), UInt8(dimension >> 8 & 0xFF),
                  UInt8(dimension & 0xFF)]
    }
    return bytes + data
}

/// A small deterministic generator for test data (SplitMix64).
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

/// A synthetic IDX dataset: `count` images of rows×cols with labels `i % classes`.
struct SyntheticIDX {
    let count: Int
    let rows: Int
    let cols: Int
    let classes: Int
    let pixels: [UInt8]
    let labels: [UInt8]

    init(count: Int, rows: Int = 4, cols: Int = 3, classes: Int = 5, seed: UInt64 = 1) {
        var random = TestRandom(seed: seed)
        self.count = count
        self.rows = rows
        self.cols = cols
        self.classes = classes
        pixels = random.bytes(count * rows * cols)
        labels = (0..<count).map { UInt8($0 % classes) }
    }

    var imagesFile: [UInt8] { idxFile(dimensions: [UInt32(count), UInt32(rows), UInt32(cols)], data: pixels) }
    var labelsFile: [UInt8] { idxFile(dimensions: [UInt32(count)], data: labels) }
}

/// Writes train (`trainCount`) and test (`testCount`) IDX files into `folder`, raw or gzipped, with `prefix`.
@discardableResult
func writeIDXDataset(
    _ folder: String, prefix: String = "", gzip: Bool, trainCount: Int = 12, testCount: Int = 7
) throws -> (train: SyntheticIDX, test: SyntheticIDX) {
    let train = SyntheticIDX(count: trainCount, seed: 1)
    let test = SyntheticIDX(count: testCount, seed: 2)
    let ext = gzip ? ".gz" : ""
    let files: [(String, [UInt8])] = [
        ("train-images-idx3-ubyte", train.imagesFile), ("train-labels-idx1-ubyte", train.labelsFile),
        ("t10k-images-idx3-ubyte", test.imagesFile), ("t10k-labels-idx1-ubyte", test.labelsFile),
    ]
    for (name, bytes) in files {
        let path = folder + "/" + prefix + name + ext
        if gzip { try writeGzip(path, bytes) } else { try writeFile(path, bytes) }
    }
    return (train, test)
}

/// A ustar archive of regular files (and their parent folders), ending with two zero blocks.
func tarArchive(_ files: [(name: String, bytes: [UInt8])]) -> [UInt8] {
    func header(name: String, size: Int, type: UInt8) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (i, byte) in text.utf8.enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: width - 1 - digits.count) + digits
        }
        put(name, at: 0)
        put(octal(type == UInt8(ascii: "5") ? 0o755 : 0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(1_300_000_000, width: 12), at: 136)
        block[156] = type
        put("ustar", at: 257)
        put("00", at: 263)
        for i in 148..<156 { block[i] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7), at: 148)
        block[155] = 0x20
        return block
    }
    var archive: [UInt8] = []
    var folders = Set<String>()
    for file in files {
        if let slash = file.name.lastIndex(of: "/") {
            let folder = String(file.name[...slash])
            if folders.insert(folder).inserted { archive += header(name: folder, size: 0, type: UInt8(ascii: "5")) }
        }
        archive += header(name: file.name, size: file.bytes.count, type: UInt8(ascii: "0"))
        archive += file.bytes
        archive += [UInt8](repeating: 0, count: (512 - file.bytes.count % 512) % 512)
    }
    return archive + [UInt8](repeating: 0, count: 1024)
}

/// Synthetic CIFAR records: `count` records, labels `(i * 7) % classes`, random pixels.
struct SyntheticCIFAR {
    let format: DatasetFormat
    let labels: [UInt8]  // CIFAR-10 label, or CIFAR-100 fine label
    let coarse: [UInt8]  // CIFAR-100 coarse label (empty for CIFAR-10)
    let pixels: [UInt8]

    init(format: DatasetFormat, count: Int, seed: UInt64) {
        var random = TestRandom(seed: seed)
        self.format = format
        let classes = format == .cifar10 ? 10 : 100
        labels = (0..<count).map { UInt8(($0 * 7 + Int(seed)) % classes) }
        coarse = format == .cifar10 ? [] : labels.map { $0 / 5 }
        pixels = random.bytes(count * 3072)
    }

    var fileBytes: [UInt8] {
        var bytes: [UInt8] = []
        for i in 0..<labels.count {
            if format == .cifar100 { bytes.append(coarse[i]) }
            bytes.append(labels[i])
            bytes += pixels[i * 3072..<(i + 1) * 3072]
        }
        return bytes
    }
}

/// The files of a small CIFAR dataset: name → contents (CIFAR-10: 5 train batches of `perBatch` records + test).
func cifarFiles(_ format: DatasetFormat, perBatch: Int = 3, withNames: Bool = true) -> [(String, SyntheticCIFAR?, [UInt8])] {
    var files: [(String, SyntheticCIFAR?, [UInt8])] = []
    if format == .cifar10 {
        for b in 1...5 {
            let batch = SyntheticCIFAR(format: .cifar10, count: perBatch, seed: UInt64(b))
            files.append(("data_batch_\(b).bin", batch, batch.fileBytes))
        }
        let test = SyntheticCIFAR(format: .cifar10, count: perBatch + 1, seed: 9)
        files.append(("test_batch.bin", test, test.fileBytes))
        if withNames {
            let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
            files.append(("batches.meta.txt", nil, Array((names.joined(separator: "\n") + "\n\n").utf8)))
        }
    } else {
        let train = SyntheticCIFAR(format: .cifar100, count: perBatch * 4, seed: 3)
        let test = SyntheticCIFAR(format: .cifar100, count: perBatch, seed: 4)
        files.append(("train.bin", train, train.fileBytes))
        files.append(("test.bin", test, test.fileBytes))
        if withNames {
            let fine = (0..<100).map { "fine\($0)" }.joined(separator: "\n") + "\n"
            let coarse = (0..<20).map { "coarse\($0)" }.joined(separator: "\r\n") + "\r\n"
            files.append(("fine_label_names.txt", nil, Array(fine.utf8)))
            files.append(("coarse_label_names.txt", nil, Array(coarse.utf8)))
        }
    }
    return files
}

/// Writes a CIFAR dataset folder; returns the files written.
@discardableResult
func writeCIFARFolder(_ folder: String, _ format: DatasetFormat, perBatch: Int = 3) throws
    -> [(String, SyntheticCIFAR?, [UInt8])]
{
    let files = cifarFiles(format, perBatch: perBatch)
    for (name, _, bytes) in files { try writeFile(folder + "/" + name, bytes) }
    return files
}

/// Writes the official-style archive (`<dir>/<file>` members, gzipped tar); returns the files.
@discardableResult
func writeCIFARArchive(_ path: String, _ format: DatasetFormat, directory: String) throws
    -> [(String, SyntheticCIFAR?, [UInt8])]
{
    let files = cifarFiles(format)
    try writeGzip(path, tarArchive(files.map { (directory + "/" + $0.0, $0.2) }))
    return files
}

/// Runs `body`, requires it to throw a `DatasetError`, and returns the error.
func expectDatasetError(
    _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) -> DatasetError? {
    do {
        try body()
        Issue.record("expected a DatasetError, but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as DatasetError {
        return error
    } catch {
        Issue.record("expected a DatasetError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Checks an error's kind, that its description names `file`, and that it is one line.
func expectError(
    _ error: DatasetError?, _ kind: DatasetError.Kind, naming file: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error else { return }
    #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
    #expect(error.description.contains(file), "'\(error)' does not name \(file)", sourceLocation: sourceLocation)
    #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
}

/// The repository root, found from this file's path (Tests/DatasetsTests/TestSupport.swift).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// `[channels, height, width]` of a dataset.
func shape(_ dataset: Dataset) -> [Int] {
    [dataset.channels, dataset.height, dataset.width]
}
