/// Everything that can go wrong when finding, decompressing or decoding a dataset.
///
/// Each case carries the file it is about (for archive members: `archive.tar.gz:member/path`), and `description`
/// is one line: `<file>: <problem> (expected ..., found ...)`.
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A path given explicitly does not exist.
    case fileNotFound(path: String)
    /// A file the dataset needs (a batch file, the labels file, an archive member) is missing.
    case missingFile(path: String, role: String)
    /// The file exists but could not be read.
    case readFailed(path: String, reason: String)
    /// The file (or a decompressed stream) has zero bytes.
    case emptyFile(path: String)
    /// The gzip data is corrupt: bad header, invalid deflate data, CRC-32 or length mismatch, trailing garbage.
    case corruptGzip(path: String, reason: String)
    /// The gzip data ends before the compressed stream or its trailer does.
    case truncatedGzip(path: String, reason: String)
    /// Decompressing would produce more than the allowed number of bytes.
    case decompressedTooLarge(path: String, limit: Int)
    /// The file does not start with the magic number of the format it should have.
    case wrongMagic(path: String, expected: String, found: String)
    /// The sizes in the header disagree with the number of data bytes (too few or too many).
    case lengthMismatch(path: String, expectedBytes: Int, foundBytes: Int)
    /// The images file and the labels file hold different numbers of samples.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// A label is not in `0..<classes`. `index` is the sample's position in that file.
    case labelOutOfRange(path: String, index: Int, label: Int, classes: Int)
    /// Header dimensions that are zero, overflow, or exceed the documented cap.
    case absurdDimensions(path: String, reason: String)
    /// A CIFAR file whose size is not a whole number of records.
    case partialRecord(path: String, size: Int, recordSize: Int)
    /// A tar archive that ends inside a header or a member, or without its end-of-archive marker.
    case truncatedArchive(path: String, reason: String)
    /// A tar header with a bad checksum or an unreadable field.
    case corruptArchive(path: String, reason: String)
    /// The header says the split has no samples.
    case emptyDataset(path: String)
    /// A label-names file with the wrong number of names.
    case invalidLabelNames(path: String, expected: Int, found: Int)
    /// A path exists but holds no dataset this package can read.
    case unrecognizedFormat(path: String, reason: String)
    /// A folder holds several datasets, so the reference does not say which one to read.
    case ambiguousReference(path: String, candidates: [String])
    /// A dataset name that was found in none of the search folders.
    case unknownDataset(name: String, searched: [String])

    /// The kind of problem, without its details (handy to match in tests and in callers).
    public enum Kind: String, Sendable, CaseIterable {
        case fileNotFound, missingFile, readFailed, emptyFile, corruptGzip, truncatedGzip, decompressedTooLarge
        case wrongMagic, lengthMismatch, countMismatch, labelOutOfRange, absurdDimensions, partialRecord
        case truncatedArchive, corruptArchive, emptyDataset, invalidLabelNames, unrecognizedFormat
        case ambiguousReference, unknownDataset
    }

    public var kind: Kind {
        switch self {
        case .fileNotFound: .fileNotFound
        case .missingFile: .missingFile
        case .readFailed: .readFailed
        case .emptyFile: .emptyFile
        case .corruptGzip: .corruptGzip
        case .truncatedGzip: .truncatedGzip
        case .decompressedTooLarge: .decompressedTooLarge
        case .wrongMagic: .wrongMagic
        case .lengthMismatch: .lengthMismatch
        case .countMismatch: .countMismatch
        case .labelOutOfRange: .labelOutOfRange
        case .absurdDimensions: .absurdDimensions
        case .partialRecord: .partialRecord
        case .truncatedArchive: .truncatedArchive
        case .corruptArchive: .corruptArchive
        case .emptyDataset: .emptyDataset
        case .invalidLabelNames: .invalidLabelNames
        case .unrecognizedFormat: .unrecognizedFormat
        case .ambiguousReference: .ambiguousReference
        case .unknownDataset: .unknownDataset
        }
    }

    /// The file (or, for `unknownDataset`, the name) the error is about.
    public var path: String {
        switch self {
        case .fileNotFound(let path), .missingFile(let path, _), .readFailed(let path, _), .emptyFile(let path),
            .corruptGzip(let path, _), .truncatedGzip(let path, _), .decompressedTooLarge(let path, _),
            .wrongMagic(let path, _, _), .lengthMismatch(let path, _, _), .labelOutOfRange(let path, _, _, _),
            .absurdDimensions(let path, _), .partialRecord(let path, _, _), .truncatedArchive(let path, _),
            .corruptArchive(let path, _), .emptyDataset(let path), .invalidLabelNames(let path, _, _),
            .unrecognizedFormat(let path, _), .ambiguousReference(let path, _):
            path
        case .countMismatch(let images, _, _, _): images
        case .unknownDataset(let name, _): name
        }
    }

    public var description: String {
        let text: String
        switch self {
        case .fileNotFound(let path): text = "\(path): no such file or folder"
        case .missingFile(let path, let role): text = "\(path): missing \(role)"
        case .readFailed(let path, let reason): text = "\(path): cannot read (\(reason))"
        case .emptyFile(let path): text = "\(path): empty file (expected data, found 0 bytes)"
        case .corruptGzip(let path, let reason): text = "\(path): corrupt gzip data (\(reason))"
        case .truncatedGzip(let path, let reason): text = "\(path): truncated gzip data (\(reason))"
        case .decompressedTooLarge(let path, let limit): text = "\(path): decompressed data exceeds the limit of \(limit) bytes"
        case .wrongMagic(let path, let expected, let found): text = "\(path): wrong magic number (expected \(expected), found \(found))"
        case .lengthMismatch(let path, let expected, let found):
            let relation = found < expected ? "too short" : "too long"
            text = "\(path): header counts disagree with the data length, file \(relation) "
                + "(expected \(expected) bytes, found \(found))"
        case .countMismatch(let images, let imageCount, let labels, let labelCount):
            text = "\(images): images vs labels count mismatch (\(imageCount) images, but \(labels) has "
                + "\(labelCount) labels)"
        case .labelOutOfRange(let path, let index, let label, let classes):
            text = "\(path): label outside the classes at sample \(index) (expected 0..<\(classes), found \(label))"
        case .absurdDimensions(let path, let reason): text = "\(path): absurd dimensions (\(reason))"
        case .partialRecord(let path, let size, let recordSize):
            text = "\(path): partial record (size \(size) bytes is not a multiple of the \(recordSize)-byte "
                + "record; \(size % recordSize) bytes left over)"
        case .truncatedArchive(let path, let reason): text = "\(path): truncated tar archive (\(reason))"
        case .corruptArchive(let path, let reason): text = "\(path): corrupt tar archive (\(reason))"
        case .emptyDataset(let path): text = "\(path): header declares 0 samples (expected at least 1)"
        case .invalidLabelNames(let path, let expected, let found):
            text = "\(path): wrong number of label names (expected \(expected), found \(found))"
        case .unrecognizedFormat(let path, let reason): text = "\(path): not a dataset this tool reads (\(reason))"
        case .ambiguousReference(let path, let candidates):
            text = "\(path): holds several datasets, pass one of them: \(candidates.joined(separator: ", "))"
        case .unknownDataset(let name, let searched): text = "\(name): unknown dataset name or path (looked in: \(searched.joined(separator: ", ")))"
        }
        return Self.oneLine(text)
    }

    /// Replaces line breaks (which could come from file names) so the description stays on one line.
    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
