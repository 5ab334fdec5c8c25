import Foundation
import Testing

@testable import Datasets

@Suite("IDX")
struct IDXTests {
    @Test("raw and gzipped IDX files load with their pixels, labels, shape and classes", arguments: [false, true])
    func loadsBothSplits(gzip: Bool) throws {
        try withTemporaryDirectory { folder in
            let (train, test) = try writeIDXDataset(folder, gzip: gzip)
            let trainSet = try IDX.load(folder: folder, split: .train, name: "synthetic")
            #expect(trainSet.format == .idx)
            #expect(trainSet.count == train.count)
            #expect(shape(trainSet) == [1, train.rows, train.cols])
            #expect(trainSet.pixels == train.pixels)
            #expect(trainSet.labels == train.labels)
            #expect(trainSet.classes == train.classes)  // 1 + largest train label
            let testSet = try IDX.load(folder: folder, split: .test, name: "synthetic")
            #expect(testSet.count == test.count)
            #expect(testSet.pixels == test.pixels)
            #expect(testSet.labels == test.labels)
            #expect(testSet.classes == train.classes)
        }
    }

    @Test("files with a dataset prefix (as EMNIST names them) load")
    func prefixed() throws {
        try withTemporaryDirectory { folder in
            let (train, _) = try writeIDXDataset(folder, prefix: "emnist-letters-", gzip: true)
            let dataset = try IDX.load(folder: folder, prefix: "emnist-letters-", split: .train, name: "emnist-letters")
            #expect(dataset.pixels == train.pixels)
            #expect(IDX.prefixes(in: folder) == ["emnist-letters-"])
        }
    }

    @Test("the number of classes comes from the TRAIN labels, also for the test split")
    func classesFromTrainLabels() throws {
        try withTemporaryDirectory { folder in
            try writeIDXDataset(folder, gzip: false)
            // Train labels go up to 9 although the test labels stay below 5.
            let labels: [UInt8] = (0..<12).map { UInt8($0 % 10) }
            try writeFile(folder + "/train-labels-idx1-ubyte", idxFile(dimensions: [12], data: labels))
            #expect(try IDX.load(folder: folder, split: .test, name: "x").classes == 10)
        }
    }

    // MARK: Malformed files: each error has the right kind and names the file.

    func expectImagesError(_ bytes: [UInt8], gzip: Bool = false, _ kind: DatasetError.Kind) throws {
        try withTemporaryDirectory { folder in
            let path = folder + "/bad-images-idx3-ubyte" + (gzip ? ".gz" : "")
            if gzip { try writeGzip(path, bytes) } else { try writeFile(path, bytes) }
            expectError(expectDatasetError { _ = try IDX.readImages(path) }, kind, naming: path)
        }
    }

    @Test("a wrong magic number (bad leading bytes, data type or dimension count) is refused")
    func wrongMagic() throws {
        let good = SyntheticIDX(count: 3).imagesFile
        for index in [0, 1, 2, 3] {
            var bad = good
            bad[index] ^= 0x01
            try expectImagesError(bad, .wrongMagic)
        }
        // A labels file where images are expected.
        try expectImagesError(SyntheticIDX(count: 3).labelsFile, .wrongMagic)
        try expectImagesError([0, 0], .wrongMagic)
    }

    @Test("header counts that disagree with the data length are refused, too short and too long", arguments: [false, true])
    func lengthMismatch(gzip: Bool) throws {
        let good = SyntheticIDX(count: 3).imagesFile
        try expectImagesError(Array(good.dropLast()), gzip: gzip, .lengthMismatch)
        try expectImagesError(good + [0], gzip: gzip, .lengthMismatch)
        try expectImagesError(Array(good.prefix(10)), gzip: gzip, .lengthMismatch)  // header cut short
    }

    @Test("absurd dimensions are refused before any allocation: overflow, over the cap, zero-sized")
    func absurdDimensions() throws {
        try expectImagesError(idxFile(dimensions: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], data: [1, 2]), .absurdDimensions)
        try expectImagesError(idxFile(dimensions: [0x10000, 0x10000, 2], data: [1]), .absurdDimensions)
        try expectImagesError(idxFile(dimensions: [5, 0, 28], data: []), .absurdDimensions)
        // Plausible dimensions but far more bytes than the file has: a length mismatch, found without allocating.
        try expectImagesError(idxFile(dimensions: [1_000_000, 28, 28], data: [1, 2, 3]), .lengthMismatch)
        try expectImagesError(idxFile(dimensions: [0, 28, 28], data: []), .emptyDataset)
    }

    @Test("an empty file and an empty gzip stream are refused")
    func empty() throws {
        try expectImagesError([], .emptyFile)
        try expectImagesError([], gzip: true, .emptyFile)
    }

    @Test("a truncated or corrupt gzip IDX file is refused")
    func badGzip() throws {
        let gz = try gzipBytes(SyntheticIDX(count: 50).imagesFile)
        try withTemporaryDirectory { folder in
            let path = folder + "/train-images-idx3-ubyte.gz"
            try writeFile(path, Array(gz.dropLast(3)))
            expectError(expectDatasetError { _ = try IDX.readImages(path) }, .truncatedGzip, naming: path)
            var corrupt = gz
            corrupt[gz.count - 7] ^= 0x55  // CRC-32 in the trailer
            try writeFile(path, corrupt)
            expectError(expectDatasetError { _ = try IDX.readImages(path) }, .corruptGzip, naming: path)
        }
    }

    @Test("images vs labels count mismatch is refused, naming both files")
    func countMismatch() throws {
        try withTemporaryDirectory { folder in
            try writeIDXDataset(folder, gzip: false)
            let labels = folder + "/train-labels-idx1-ubyte"
            try writeFile(labels, idxFile(dimensions: [11], data: [UInt8](repeating: 1, count: 11)))
            let error = expectDatasetError { _ = try IDX.load(folder: folder, split: .train, name: "x") }
            expectError(error, .countMismatch, naming: folder + "/train-images-idx3-ubyte")
            #expect(error?.description.contains(labels) == true)
        }
    }

    @Test("a test label outside the classes of the train labels is refused")
    func labelOutsideClasses() throws {
        try withTemporaryDirectory { folder in
            try writeIDXDataset(folder, gzip: false, testCount: 7)
            var labels = SyntheticIDX(count: 7, seed: 2).labels
            labels[4] = 5  // train labels are 0..<5
            let path = folder + "/t10k-labels-idx1-ubyte"
            try writeFile(path, idxFile(dimensions: [7], data: labels))
            let error = expectDatasetError { _ = try IDX.load(folder: folder, split: .test, name: "x") }
            expectError(error, .labelOutOfRange, naming: path)
            #expect(error == .labelOutOfRange(path: path, index: 4, label: 5, classes: 5))
        }
    }

    @Test("missing files are reported with the file that was expected")
    func missingFiles() throws {
        try withTemporaryDirectory { folder in
            try writeIDXDataset(folder, gzip: true)
            try FileManager.default.removeItem(atPath: folder + "/t10k-labels-idx1-ubyte.gz")
            expectError(
                expectDatasetError { _ = try IDX.load(folder: folder, split: .test, name: "x") }, .missingFile,
                naming: folder + "/t10k-labels-idx1-ubyte")
            try FileManager.default.removeItem(atPath: folder + "/train-labels-idx1-ubyte.gz")
            // The test split needs the train labels too (they define the classes).
            try writeGzip(folder + "/t10k-labels-idx1-ubyte.gz", SyntheticIDX(count: 7, seed: 2).labelsFile)
            expectError(
                expectDatasetError { _ = try IDX.load(folder: folder, split: .test, name: "x") }, .missingFile,
                naming: folder + "/train-labels-idx1-ubyte")
            expectError(
                expectDatasetError { _ = try IDX.readImages(folder + "/nope") }, .fileNotFound, naming: folder + "/nope")
        }
    }

    @Test("file names: prefixes are recognised for images and labels, raw or gzipped, t10k or test")
    func fileNames() {
        #expect(IDX.prefix(ofFileName: "train-images-idx3-ubyte.gz") == "")
        #expect(IDX.prefix(ofFileName: "t10k-labels-idx1-ubyte") == "")
        #expect(IDX.prefix(ofFileName: "emnist-letters-test-images-idx3-ubyte.gz") == "emnist-letters-")
        #expect(IDX.prefix(ofFileName: "t10k-images.idx3-ubyte") == "")
        #expect(IDX.prefix(ofFileName: "README.md") == nil)
        #expect(IDX.prefix(ofFileName: "images-idx3-ubyte") == nil)
    }

    // MARK: The real Fashion-MNIST in data/fashion-mnist.

    static let fashionMNIST = repositoryRoot + "/data/fashion-mnist"

    @Test("real Fashion-MNIST: 60,000 train and 10,000 test images of 1×28×28, 10 classes, 6,000 and 1,000 per class")
    func realFashionMNIST() throws {
        let train = try IDX.load(folder: Self.fashionMNIST, split: .train, name: "fashion-mnist")
        #expect(train.count == 60_000)
        #expect(shape(train) == [1, 28, 28])
        #expect(train.classes == 10)
        #expect(train.classCounts() == [Int](repeating: 6_000, count: 10))
        let test = try IDX.load(folder: Self.fashionMNIST, split: .test, name: "fashion-mnist")
        #expect(test.count == 10_000)
        #expect(test.classes == 10)
        #expect(test.classCounts() == [Int](repeating: 1_000, count: 10))
        // Reference CRCs computed once with Python, independently of this package:
        //   b = gzip.open(path).read(); '%08x' % (zlib.crc32(b[16:]) & 0xffffffff)   (images; b[8:] for labels)
        #expect(crc32(train.pixels) == 0xAE65_DCCD)
        #expect(crc32(train.labels) == 0x2ED6_E46A)
        #expect(crc32(test.pixels) == 0x1272_8439)
        #expect(crc32(test.labels) == 0x242B_C73F)
    }
}
