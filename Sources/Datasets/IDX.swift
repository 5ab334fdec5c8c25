/// Reader for IDX files with unsigned-byte data (the MNIST format), raw or gzipped (detected from the content).
///
/// Layout: magic `00 00 08 NDIM` (0x08 = unsigned byte), then NDIM big-endian UInt32 dimensions, then the data.
/// Images have NDIM = 3 (`count, rows, cols`, magic 0x00000803); labels have NDIM = 1 (`count`, magic 0x00000801).
/// File names: `[PREFIX]train-images-idx3-ubyte[.gz]`, `[PREFIX]train-labels-idx1-ubyte[.gz]`, and `t10k-` (or
/// `test-`) for the test split; `PREFIX` is empty for MNIST/Fashion-MNIST/KMNIST and e.g. `emnist-letters-` for EMNIST.
/// `.idx3-ubyte` (with a dot) is accepted as well.
public enum IDX {
    /// The largest data section accepted (count × rows × cols bytes): 4 GiB. Larger headers are "absurd".
    public static let maximumDataBytes = 1 << 32

    /// A decoded images file.
    public struct Images: Sendable {
        public let count: Int
        public let rows: Int
        public let columns: Int
        /// `count * rows * columns` bytes, row-major per image, images in file order.
        public let pixels: [UInt8]
    }

    /// Reads and validates an images file (magic 0x00000803).
    public static func readImages(_ path: String) throws(DatasetError) -> Images {
        var bytes = try decodedContents(path)
        let dimensions = try parseHeader(&bytes, path: path, dimensionCount: 3)
        return Images(count: dimensions[0], rows: dimensions[1], columns: dimensions[2], pixels: bytes)
    }

    /// Reads and validates a labels file (magic 0x00000801).
    public static func readLabels(_ path: String) throws(DatasetError) -> [UInt8] {
        var bytes = try decodedContents(path)
        _ = try parseHeader(&bytes, path: path, dimensionCount: 1)
        return bytes
    }

    /// The file's bytes, gunzipped when they start with the gzip magic.
    static func decodedContents(_ path: String) throws(DatasetError) -> [UInt8] {
        let raw = try FileIO.read(path)
        guard Gzip.isGzip(raw) else { return raw }
        let decoded = try Gzip.decompress(raw, file: path)
        if decoded.isEmpty { throw .emptyFile(path: path) }
        return decoded
    }

    /// Validates the header against the data and removes it in place, leaving only the data bytes.
    /// Returns the dimensions. Checks, in order: magic (0, 0, type 0x08, NDIM), complete header, non-zero and
    /// non-overflowing dimensions under `maximumDataBytes`, and an exact match between header and data length.
    static func parseHeader(_ bytes: inout [UInt8], path: String, dimensionCount: Int) throws(DatasetError) -> [Int] {
        let expectedMagic = "0x0000080\(dimensionCount)"
        let kind = dimensionCount == 3 ? "unsigned-byte images" : "unsigned-byte labels"
        guard bytes.count >= 4 else {
            let found = bytes.isEmpty ? "0 bytes" : "only \(bytes.count) bytes"
            throw .wrongMagic(path: path, expected: "\(expectedMagic) (\(kind))", found: found)
        }
        guard bytes[0] == 0, bytes[1] == 0, bytes[2] == 0x08, Int(bytes[3]) == dimensionCount else {
            let found = "0x" + bytes[0..<4].map(crc32HexByte).joined()
            var note = ""
            if bytes[0] == 0 && bytes[1] == 0 && bytes[2] != 0x08 {
                note = ", data type 0x\(crc32HexByte(bytes[2])) is not unsigned byte 0x08"
            } else if bytes[0] == 0 && bytes[1] == 0 && Int(bytes[3]) != dimensionCount {
                note = ", \(bytes[3]) dimensions instead of \(dimensionCount)"
            }
            throw .wrongMagic(path: path, expected: "\(expectedMagic) (\(kind))", found: found + note)
        }
        let headerSize = 4 + 4 * dimensionCount
        guard bytes.count >= headerSize else {
            throw .lengthMismatch(path: path, expectedBytes: headerSize, foundBytes: bytes.count)
        }
        var dimensions: [Int] = []
        for d in 0..<dimensionCount {
            let o = 4 + 4 * d
            dimensions.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        let shape = dimensions.map(String.init).joined(separator: "×")
        if dimensions[0] == 0 { throw .emptyDataset(path: path) }
        if dimensions.dropFirst().contains(0) {
            throw .absurdDimensions(path: path, reason: "zero-sized samples, header shape \(shape)")
        }
        var dataBytes = 1
        for dimension in dimensions {
            let (product, overflow) = dataBytes.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= maximumDataBytes else {
                throw .absurdDimensions(
                    path: path, reason: "header shape \(shape) needs more than the cap of \(maximumDataBytes) bytes")
            }
            dataBytes = product
        }
        guard bytes.count == headerSize + dataBytes else {
            throw .lengthMismatch(path: path, expectedBytes: headerSize + dataBytes, foundBytes: bytes.count)
        }
        dropPrefix(&bytes, headerSize)
        return dimensions
    }

    // MARK: - File pairs

    private static let imageSuffixes = ["-images-idx3-ubyte", "-images.idx3-ubyte"]
    private static let labelSuffixes = ["-labels-idx1-ubyte", "-labels.idx1-ubyte"]

    private static func stems(_ split: Split) -> [String] {
        split == .train ? ["train"] : ["t10k", "test"]
    }

    /// The path of a split's images or labels file in `folder`, if present (raw preferred over `.gz`).
    static func file(in folder: String, prefix: String, split: Split, images: Bool) -> String? {
        for stem in stems(split) {
            for suffix in images ? imageSuffixes : labelSuffixes {
                for ext in ["", ".gz"] {
                    let path = folder + "/" + prefix + stem + suffix + ext
                    if FileIO.kind(of: path) == .file { return path }
                }
            }
        }
        return nil
    }

    /// If `fileName` is an IDX images or labels file name, its prefix (e.g. `""`, `"emnist-letters-"`).
    static func prefix(ofFileName fileName: String) -> String? {
        var name = fileName
        if name.hasSuffix(".gz") { name.removeLast(3) }
        for suffix in imageSuffixes + labelSuffixes where name.hasSuffix(suffix) {
            let stem = name.dropLast(suffix.count)
            for split in ["train", "t10k", "test"] where stem.hasSuffix(split) {
                return String(stem.dropLast(split.count))
            }
        }
        return nil
    }

    /// The distinct prefixes of IDX files in a folder, sorted.
    static func prefixes(in folder: String) -> [String] {
        Array(Set(FileIO.contents(of: folder).compactMap(prefix(ofFileName:)))).sorted()
    }

    /// Loads one split of an IDX dataset from `folder`. The number of classes is 1 + the largest label of the
    /// TRAINING labels file (read for the test split too); a test label at or above it is an error.
    public static func load(folder: String, prefix: String = "", split: Split, name: String) throws(DatasetError)
        -> Dataset
    {
        func expected(_ split: Split, images: Bool) -> String {
            folder + "/" + prefix + (split == .train ? "train" : "t10k")
                + (images ? imageSuffixes[0] : labelSuffixes[0]) + "[.gz]"
        }
        guard let imagesPath = file(in: folder, prefix: prefix, split: split, images: true) else {
            throw .missingFile(path: expected(split, images: true), role: "\(split.rawValue) images file")
        }
        guard let labelsPath = file(in: folder, prefix: prefix, split: split, images: false) else {
            throw .missingFile(path: expected(split, images: false), role: "\(split.rawValue) labels file")
        }
        var trainLabelsPath = labelsPath
        if split == .test {
            guard let path = file(in: folder, prefix: prefix, split: .train, images: false) else {
                throw .missingFile(
                    path: expected(.train, images: false), role: "train labels file (it defines the classes)")
            }
            trainLabelsPath = path
        }
        let images = try readImages(imagesPath)
        let labels = try readLabels(labelsPath)
        guard images.count == labels.count else {
            throw .countMismatch(images: imagesPath, imageCount: images.count, labels: labelsPath, labelCount: labels.count)
        }
        let trainLabels = split == .train ? labels : try readLabels(trainLabelsPath)
        let classes = Int(trainLabels.max() ?? 0) + 1
        if split == .test {
            if let index = labels.firstIndex(where: { Int($0) >= classes }) {
                throw .labelOutOfRange(path: labelsPath, index: index, label: Int(labels[index]), classes: classes)
            }
        }
        return Dataset(
            format: .idx, split: split, name: name, source: folder, channels: 1, height: images.rows,
            width: images.columns, classes: classes, pixels: images.pixels, labels: labels)
    }
}
