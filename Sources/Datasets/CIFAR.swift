import Foundation

/// Where a dataset's files come from: a folder on disk, or a folder inside a tar archive held in memory.
enum DatasetFiles: Sendable {
    case folder(String)
    case archive(TarArchive, directory: String)

    /// How errors name a file: `folder/name`, or `archive.tar.gz:directory/name`.
    func displayPath(_ name: String) -> String {
        switch self {
        case .folder(let folder): folder + "/" + name
        case .archive(let archive, let directory): archive.path + ":" + memberName(name, directory)
        }
    }

    private func memberName(_ name: String, _ directory: String) -> String {
        directory.isEmpty ? name : directory + "/" + name
    }

    /// The size of a file, or nil when it is missing.
    func size(_ name: String) -> Int? {
        switch self {
        case .folder(let folder): FileIO.size(of: folder + "/" + name)
        case .archive(let archive, let directory): archive.member(named: memberName(name, directory))?.size
        }
    }

    /// A file's bytes; a missing file is reported as `missingFile(role)`.
    func read(_ name: String, role: String) throws(DatasetError) -> ArraySlice<UInt8> {
        switch self {
        case .folder(let folder): return ArraySlice(try FileIO.read(folder + "/" + name, missing: { .missingFile(path: $0, role: role) }))
        case .archive(let archive, let directory):
            guard let member = archive.member(named: memberName(name, directory)) else {
                throw .missingFile(path: displayPath(name), role: role)
            }
            if member.size == 0 { throw .emptyFile(path: displayPath(name)) }
            return archive.contents(of: member)
        }
    }
}

/// Reader for the binary versions of CIFAR-10 and CIFAR-100.
///
/// CIFAR-10 (`cifar-10-batches-bin/`): `data_batch_1.bin` … `data_batch_5.bin` (train, read in that order) and
/// `test_batch.bin`; each record is 1 label byte (< 10) and 3072 pixel bytes. CIFAR-100 (`cifar-100-binary/`):
/// `train.bin` and `test.bin`; each record is a coarse label byte (< 20), a fine label byte (< 100) and 3072 pixel
/// bytes. Pixels are the 1024 red, then 1024 green, then 1024 blue values of a 32×32 image, each plane row-major:
/// already CHW, so they are kept exactly as stored. Label names come from `batches.meta.txt` (CIFAR-10) or
/// `fine_label_names.txt` / `coarse_label_names.txt` (CIFAR-100) when present: one name per line, empty lines ignored.
public enum CIFAR {
    /// Bytes of pixels per record (3 × 32 × 32).
    public static let pixelBytes = 3072

    /// The data files of a split, in reading order.
    public static func files(_ format: DatasetFormat, split: Split) -> [String] {
        switch (format, split) {
        case (.cifar10, .train): (1...5).map { "data_batch_\($0).bin" }
        case (.cifar10, .test): ["test_batch.bin"]
        case (.cifar100, .train): ["train.bin"]
        case (.cifar100, .test): ["test.bin"]
        case (.idx, _): []
        }
    }

    /// Bytes per record: 3073 (CIFAR-10) or 3074 (CIFAR-100).
    public static func recordSize(_ format: DatasetFormat) -> Int {
        format == .cifar100 ? pixelBytes + 2 : pixelBytes + 1
    }

    /// The label-names file and the number of classes for a format and label kind.
    static func labelInfo(_ format: DatasetFormat, _ kind: CIFAR100LabelKind) -> (file: String, classes: Int) {
        if format == .cifar10 { return ("batches.meta.txt", 10) }
        return kind == .fine ? ("fine_label_names.txt", 100) : ("coarse_label_names.txt", 20)
    }

    /// Loads one split. Every file is checked before any pixel is copied: present, non-empty and a whole number
    /// of records; every label (both labels for CIFAR-100) is checked against its number of classes.
    static func load(
        _ files: DatasetFiles, format: DatasetFormat, split: Split, labelKind: CIFAR100LabelKind, name: String,
        source: String
    ) throws(DatasetError) -> Dataset {
        precondition(format != .idx)
        let recordSize = recordSize(format)
        let names = Self.files(format, split: split)
        let role = format == .cifar10 ? "batch file" : "\(split.rawValue) data file"
        var sizes: [Int] = []
        for file in names {
            guard let size = files.size(file) else { throw .missingFile(path: files.displayPath(file), role: role) }
            if size == 0 { throw .emptyFile(path: files.displayPath(file)) }
            if size % recordSize != 0 {
                throw .partialRecord(path: files.displayPath(file), size: size, recordSize: recordSize)
            }
            sizes.append(size)
        }
        let count = sizes.reduce(0, +) / recordSize
        let (namesFile, classes) = labelInfo(format, labelKind)
        let selectFine = format == .cifar100 && labelKind == .fine

        var labels = [UInt8](repeating: 0, count: count)
        var failure: DatasetError?
        let pixels = [UInt8](unsafeUninitializedCapacity: count * pixelBytes) { pixelBuffer, initialized in
            initialized = 0
            var sample = 0
            for (file, expectedSize) in zip(names, sizes) {
                let bytes: ArraySlice<UInt8>
                do throws(DatasetError) {
                    bytes = try files.read(file, role: role)
                } catch {
                    failure = error
                    return
                }
                guard bytes.count == expectedSize else {
                    failure = .readFailed(
                        path: files.displayPath(file),
                        reason: "size changed while reading (\(expectedSize) then \(bytes.count) bytes)")
                    return
                }
                let path = files.displayPath(file)
                bytes.withUnsafeBufferPointer { record in
                    let base = record.baseAddress!
                    for r in 0..<(expectedSize / recordSize) {
                        let start = base + r * recordSize
                        if format == .cifar10 {
                            if start[0] >= 10 {
                                failure = .labelOutOfRange(path: path, index: r, label: Int(start[0]), classes: 10)
                                return
                            }
                            labels[sample] = start[0]
                        } else {
                            if start[0] >= 20 {
                                failure = .labelOutOfRange(path: path, index: r, label: Int(start[0]), classes: 20)
                                return
                            }
                            if start[1] >= 100 {
                                failure = .labelOutOfRange(path: path, index: r, label: Int(start[1]), classes: 100)
                                return
                            }
                            labels[sample] = selectFine ? start[1] : start[0]
                        }
                        (pixelBuffer.baseAddress! + sample * pixelBytes).update(
                            from: start + (recordSize - pixelBytes), count: pixelBytes)
                        sample += 1
                    }
                }
                if failure != nil { return }
            }
            initialized = count * pixelBytes
        }
        if let failure { throw failure }

        var labelNames: [String]?
        if files.size(namesFile) != nil {
            let text = try files.read(namesFile, role: "label names file")
            let names = String(decoding: text, as: UTF8.self)
                .split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            guard names.count == classes else {
                throw .invalidLabelNames(path: files.displayPath(namesFile), expected: classes, found: names.count)
            }
            labelNames = names
        }
        return Dataset(
            format: format, split: split, name: name, source: source, channels: 3, height: 32, width: 32,
            classes: classes, pixels: pixels, labels: labels, labelNames: labelNames,
            labelKind: format == .cifar100 ? labelKind : nil)
    }
}
