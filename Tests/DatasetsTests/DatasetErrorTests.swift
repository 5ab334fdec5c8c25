import Testing

@testable import Datasets

@Suite("DatasetError")
struct DatasetErrorTests {
    static let examples: [DatasetError] = [
        .fileNotFound(path: "/p"), .missingFile(path: "/p", role: "batch file"), .readFailed(path: "/p", reason: "r"),
        .emptyFile(path: "/p"), .corruptGzip(path: "/p", reason: "r"), .truncatedGzip(path: "/p", reason: "r"),
        .decompressedTooLarge(path: "/p", limit: 10), .wrongMagic(path: "/p", expected: "e", found: "f"),
        .lengthMismatch(path: "/p", expectedBytes: 10, foundBytes: 9),
        .countMismatch(images: "/p", imageCount: 1, labels: "/q", labelCount: 2),
        .labelOutOfRange(path: "/p", index: 1, label: 12, classes: 10), .absurdDimensions(path: "/p", reason: "r"),
        .partialRecord(path: "/p", size: 3074, recordSize: 3073), .truncatedArchive(path: "/p", reason: "r"),
        .corruptArchive(path: "/p", reason: "r"), .emptyDataset(path: "/p"),
        .invalidLabelNames(path: "/p", expected: 10, found: 2), .unrecognizedFormat(path: "/p", reason: "r"),
        .ambiguousReference(path: "/p", candidates: ["/a", "/b"]), .unknownDataset(name: "/p", searched: ["/x"]),
    ]

    @Test("every case has its own kind, names its file first, and is one line")
    func descriptions() {
        #expect(Set(Self.examples.map(\.kind)).count == DatasetError.Kind.allCases.count)
        for error in Self.examples {
            #expect(error.description.hasPrefix("/p: "), "\(error)")
            #expect(error.path == "/p")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("line breaks in file names cannot split the message")
    func newlinesInNames() {
        #expect(!DatasetError.emptyFile(path: "a\nb").description.contains("\n"))
    }

    @Test("length mismatches say whether the file is too short or too long; partial records the leftover")
    func wording() {
        #expect(DatasetError.lengthMismatch(path: "f", expectedBytes: 10, foundBytes: 9).description.contains("too short"))
        #expect(DatasetError.lengthMismatch(path: "f", expectedBytes: 10, foundBytes: 11).description.contains("too long"))
        #expect(DatasetError.partialRecord(path: "f", size: 3074, recordSize: 3073).description.contains("1 bytes left over"))
    }
}
