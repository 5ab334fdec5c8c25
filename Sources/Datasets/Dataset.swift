/// The on-disk format a dataset was read from.
public enum DatasetFormat: String, Codable, Sendable {
    /// MNIST-style IDX files with unsigned-byte data (MNIST, Fashion-MNIST, KMNIST, EMNIST, ...).
    case idx
    /// CIFAR-10 binary version (`cifar-10-batches-bin/` or `cifar-10-binary.tar.gz`).
    case cifar10
    /// CIFAR-100 binary version (`cifar-100-binary/` or `cifar-100-binary.tar.gz`).
    case cifar100
}

/// Which half of a dataset to read.
public enum Split: String, Codable, Sendable, CaseIterable {
    case train, test
}

/// Which of CIFAR-100's two labels becomes `Dataset.labels`.
public enum CIFAR100LabelKind: String, Codable, Sendable {
    /// The 100 fine classes (default).
    case fine
    /// The 20 coarse superclasses.
    case coarse
}

/// One split of a dataset, fully decoded into memory. An immutable value.
///
/// Pixels are raw bytes (0...255), one sample after another in file order; within a sample the layout is CHW
/// (channel planes, each `height` rows of `width` bytes). IDX images have one channel; CIFAR records store the R, G
/// and B planes in that order, which is already CHW, so their 3072 bytes are kept exactly as stored.
public struct Dataset: Sendable {
    public let format: DatasetFormat
    public let split: Split
    /// Short name: the folder or archive stem (`fashion-mnist`, `cifar-10-batches-bin`), or the file prefix of
    /// prefixed IDX files (`emnist-letters`).
    public let name: String
    /// The path that was read (a folder or an archive), absolute.
    public let source: String
    /// Number of samples.
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    /// Bytes per sample: `channels * height * width`.
    public var sampleSize: Int { channels * height * width }
    /// Number of classes: labels are in `0..<classes`. IDX: 1 + the largest TRAIN label; CIFAR-10: 10;
    /// CIFAR-100: 100 (fine) or 20 (coarse).
    public let classes: Int
    /// `count * sampleSize` bytes, per sample CHW, in file order.
    public let pixels: [UInt8]
    /// One label per sample, in file order (CIFAR-100: the selected fine or coarse label).
    public let labels: [UInt8]
    /// Class names indexed by label, when the dataset ships them (`batches.meta.txt`, `fine_label_names.txt`,
    /// `coarse_label_names.txt`).
    public let labelNames: [String]?
    /// For CIFAR-100, which label was selected; `nil` for the other formats.
    public let labelKind: CIFAR100LabelKind?

    /// Builds a dataset from already-decoded parts (used by the readers, and by tests of other modules that need a
    /// small synthetic dataset). The parts must be consistent: `pixels.count == labels.count * C*H*W`, every label
    /// `< classes`, and `labelNames`, when given, has `classes` entries; violating this is a programming error.
    public init(
        format: DatasetFormat, split: Split, name: String, source: String,
        channels: Int, height: Int, width: Int, classes: Int,
        pixels: [UInt8], labels: [UInt8], labelNames: [String]? = nil, labelKind: CIFAR100LabelKind? = nil
    ) {
        precondition(channels > 0 && height > 0 && width > 0, "Dataset: empty sample shape")
        precondition(pixels.count == labels.count * channels * height * width, "Dataset: pixels/labels size mismatch")
        precondition(classes > 0 && classes <= 256, "Dataset: classes must be in 1...256")
        precondition(labelNames == nil || labelNames!.count == classes, "Dataset: labelNames.count != classes")
        self.format = format
        self.split = split
        self.name = name
        self.source = source
        self.count = labels.count
        self.channels = channels
        self.height = height
        self.width = width
        self.classes = classes
        self.pixels = pixels
        self.labels = labels
        self.labelNames = labelNames
        self.labelKind = labelKind
        precondition(labels.allSatisfy { Int($0) < classes }, "Dataset: label outside 0..<classes")
    }

    /// Number of samples of each class, indexed by label (`classes` entries).
    public func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: 256)
        labels.withUnsafeBufferPointer { buffer in
            for label in buffer { counts[Int(label)] += 1 }
        }
        return Array(counts[0..<classes])
    }
}
