import Foundation
import Testing

@testable import Datasets

@Suite("CIFAR")
struct CIFARTests {
    /// Concatenates the synthetic records of the split's files, in reading order.
    func expected(_ files: [(String, SyntheticCIFAR?, [UInt8])], _ format: DatasetFormat, _ split: Split,
                  coarse: Bool = false) -> (pixels: [UInt8], labels: [UInt8]) {
        var pixels: [UInt8] = []
        var labels: [UInt8] = []
        for name in CIFAR.files(format, split: split) {
            let synthetic = files.first { $0.0 == name }!.1!
            pixels += synthetic.pixels
            labels += coarse ? synthetic.coarse : synthetic.labels
        }
        return (pixels, labels)
    }

    @Test("CIFAR-10 from a folder: batches 1…5 in order, pixels kept as stored (CHW), names from batches.meta.txt")
    func cifar10Folder() throws {
        try withTemporaryDirectory { root in
            let folder = root + "/cifar-10-batches-bin"
            let files = try writeCIFARFolder(folder, .cifar10)
            for split in Split.allCases {
                let dataset = try DatasetLoader.load(folder, split: split)
                let (pixels, labels) = expected(files, .cifar10, split)
                #expect(dataset.format == .cifar10)
                #expect(shape(dataset) == [3, 32, 32])
                #expect(dataset.classes == 10)
                #expect(dataset.pixels == pixels)
                #expect(dataset.labels == labels)
                #expect(dataset.labelNames?.first == "airplane")
                #expect(dataset.labelNames?.count == 10)
                #expect(dataset.name == "cifar-10-batches-bin")
            }
        }
    }

    @Test("CIFAR-10 from the official archive layout, read in memory, equals the folder")
    func cifar10Archive() throws {
        try withTemporaryDirectory { root in
            let archive = root + "/cifar-10-binary.tar.gz"
            let files = try writeCIFARArchive(archive, .cifar10, directory: "cifar-10-batches-bin")
            let dataset = try DatasetLoader.load(archive, split: .train)
            let (pixels, labels) = expected(files, .cifar10, .train)
            #expect(dataset.pixels == pixels)
            #expect(dataset.labels == labels)
            #expect(dataset.count == 15)
            #expect(dataset.source == archive)
            #expect(dataset.name == "cifar-10-binary")
        }
    }

    @Test("CIFAR-100: fine labels by default, coarse on request, names from the label files; folder and archive")
    func cifar100() throws {
        try withTemporaryDirectory { root in
            let folder = root + "/cifar-100-binary"
            let files = try writeCIFARFolder(folder, .cifar100)
            let archive = root + "/archives/cifar-100-binary.tar.gz"
            try writeCIFARArchive(archive, .cifar100, directory: "cifar-100-binary")
            for source in [folder, archive] {
                let fine = try DatasetLoader.load(source, split: .train)
                let (pixels, fineLabels) = expected(files, .cifar100, .train)
                #expect(fine.format == .cifar100)
                #expect(fine.classes == 100)
                #expect(fine.labelKind == .fine)
                #expect(fine.pixels == pixels)
                #expect(fine.labels == fineLabels)
                #expect(fine.labelNames?[99] == "fine99")
                let coarse = try DatasetLoader.load(source, split: .test, labelKind: .coarse)
                #expect(coarse.classes == 20)
                #expect(coarse.labels == expected(files, .cifar100, .test, coarse: true).labels)
                #expect(coarse.labelNames?[19] == "coarse19")  // CRLF line ends trimmed
            }
        }
    }

    @Test("a file that is not a whole number of records is a partial record")
    func partialRecord() throws {
        try withTemporaryDirectory { root in
            let folder = root + "/cifar-10-batches-bin"
            try writeCIFARFolder(folder, .cifar10)
            let path = folder + "/data_batch_3.bin"
            try writeFile(path, Array(try readFile(path).dropLast(100)))
            let error = expectDatasetError { _ = try DatasetLoader.load(folder, split: .train) }
            expectError(error, .partialRecord, naming: path)
            // The test split does not read batch 3.
            #expect(try DatasetLoader.load(folder, split: .test).count == 4)
        }
    }

    @Test("a missing batch file is reported by name")
    func missingBatch() throws {
        try withTemporaryDirectory { root in
            let folder = root + "/cifar-10-batches-bin"
            try writeCIFARFolder(folder, .cifar10)
            try FileManager.default.removeItem(atPath: folder + "/data_batch_5.bin")
            let error = expectDatasetError { _ = try DatasetLoader.load(folder, split: .train) }
            expectError(error, .missingFile, naming: folder + "/data_batch_5.bin")
        }
    }

    @Test("labels outside the classes are refused: CIFAR-10 ≥ 10, CIFAR-100 fine ≥ 100 or coarse ≥ 20")
    func labelOutsideClasses() throws {
        try withTemporaryDirectory { root in
            let ten = root + "/ten/cifar-10-batches-bin"
            try writeCIFARFolder(ten, .cifar10)
            var batch = try readFile(ten + "/test_batch.bin")
            batch[3073 * 2] = 10
            try writeFile(ten + "/test_batch.bin", batch)
            let error = expectDatasetError { _ = try DatasetLoader.load(ten, split: .test) }
            expectError(error, .labelOutOfRange, naming: ten + "/test_batch.bin")
            #expect(error == .labelOutOfRange(path: ten + "/test_batch.bin", index: 2, label: 10, classes: 10))

            let hundred = root + "/hundred/cifar-100-binary"
            try writeCIFARFolder(hundred, .cifar100)
            var train = try readFile(hundred + "/train.bin")
            train[3074 + 1] = 100  // fine label of record 1
            try writeFile(hundred + "/train.bin", train)
            expectError(
                expectDatasetError { _ = try DatasetLoader.load(hundred, split: .train) }, .labelOutOfRange,
                naming: hundred + "/train.bin")
            train[3074 + 1] = 5
            train[0] = 20  // coarse label of record 0: wrong even when fine labels are used
            try writeFile(hundred + "/train.bin", train)
            expectError(
                expectDatasetError { _ = try DatasetLoader.load(hundred, split: .train) }, .labelOutOfRange,
                naming: hundred + "/train.bin")
        }
    }

    @Test("an empty batch file is refused")
    func emptyBatch() throws {
        try withTemporaryDirectory { root in
            let folder = root + "/cifar-10-batches-bin"
            try writeCIFARFolder(folder, .cifar10)
            try writeFile(folder + "/data_batch_2.bin", [])
            expectError(
                expectDatasetError { _ = try DatasetLoader.load(folder, split: .train) }, .emptyFile,
                naming: folder + "/data_batch_2.bin")
        }
    }

    @Test("a truncated archive is refused: cut inside the tar, and cut inside the gzip stream")
    func truncatedArchive() throws {
        try withTemporaryDirectory { root in
            let files = cifarFiles(.cifar10)
            let tar = tarArchive(files.map { ("cifar-10-batches-bin/" + $0.0, $0.2) })
            let cutTar = root + "/cut/cifar-10-binary.tar.gz"
            try writeGzip(cutTar, Array(tar.prefix(tar.count / 2)))
            expectError(
                expectDatasetError { _ = try DatasetLoader.load(cutTar, split: .train) }, .truncatedArchive,
                naming: cutTar)
            let cutGzip = root + "/cut2/cifar-10-binary.tar.gz"
            let gz = try gzipBytes(tar)
            try writeFile(cutGzip, Array(gz.prefix(gz.count - 100)))
            expectError(
                expectDatasetError { _ = try DatasetLoader.load(cutGzip, split: .train) }, .truncatedGzip,
                naming: cutGzip)
        }
    }

    @Test("a batch missing from an archive is named with the archive and the member")
    func missingMember() throws {
        try withTemporaryDirectory { root in
            let files = cifarFiles(.cifar10).filter { $0.0 != "data_batch_4.bin" }
            let archive = root + "/cifar-10-binary.tar.gz"
            try writeGzip(archive, tarArchive(files.map { ("cifar-10-batches-bin/" + $0.0, $0.2) }))
            expectError(
                expectDatasetError { _ = try DatasetLoader.load(archive, split: .train) }, .missingFile,
                naming: archive + ":cifar-10-batches-bin/data_batch_4.bin")
        }
    }

    @Test("a label-names file with the wrong number of names is refused")
    func wrongNames() throws {
        try withTemporaryDirectory { root in
            let folder = root + "/cifar-10-batches-bin"
            try writeCIFARFolder(folder, .cifar10)
            try writeFile(folder + "/batches.meta.txt", Array("a\nb\n".utf8))
            expectError(
                expectDatasetError { _ = try DatasetLoader.load(folder, split: .test) }, .invalidLabelNames,
                naming: folder + "/batches.meta.txt")
        }
    }
}
