import Foundation
import Testing
@testable import Datasets

/// The real MNIST shipped in data/mnist (byte-identical to the original distribution).
struct MNISTTests {
    static let folder = repositoryRoot + "/data/mnist"

    /// CRC-32 of a shipped file's bytes after zlib decompression, past its IDX header (16 bytes for images, 8 for
    /// labels): what the decoded dataset must reproduce.
    static func shippedCRC(_ file: String, header: Int) throws -> UInt32 {
        let path = folder + "/" + file
        let raw = try FileIO.read(path)
        let decompressed = try Gzip.decompress(raw, file: path)
        return crc32(Array(decompressed[header...]))
    }

    @Test("real MNIST: 60,000 train and 10,000 test images of 1×28×28, the official per-class counts")
    func counts() throws {
        let train = try DatasetLoader.load("mnist", split: .train, workingDirectory: repositoryRoot)
        #expect(train.count == 60_000 && train.classes == 10)
        #expect(train.channels == 1 && train.height == 28 && train.width == 28)
        // The official per-digit counts of MNIST's training and test sets.
        #expect(train.classCounts() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        let test = try DatasetLoader.load("mnist", split: .test, workingDirectory: repositoryRoot)
        #expect(test.count == 10_000 && test.classes == 10)
        #expect(test.classCounts() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        #expect(test.name == "mnist" && test.source == Self.folder)
    }

    @Test("real MNIST: CRC-32 of the decoded pixels and labels equals that of the shipped files, decompressed by zlib")
    func crcsMatchShippedFiles() throws {
        for (split, prefix) in [(Split.train, "train"), (Split.test, "t10k")] {
            let dataset = try IDX.load(folder: Self.folder, split: split, name: "mnist")
            let inspection = DatasetInspection(dataset)
            let pixels = try Self.shippedCRC("\(prefix)-images-idx3-ubyte.gz", header: 16)
            let labels = try Self.shippedCRC("\(prefix)-labels-idx1-ubyte.gz", header: 8)
            #expect(inspection.pixelsCRC32 == crc32Hex(pixels), "\(split)")
            #expect(inspection.labelsCRC32 == crc32Hex(labels), "\(split)")
        }
        // And both equal Python's, computed once independently of this package:
        //   b = gzip.open(path).read(); '%08x' % (zlib.crc32(b[16:]) & 0xffffffff)   (images; b[8:] for labels)
        #expect(try Self.shippedCRC("train-images-idx3-ubyte.gz", header: 16) == 0xF363_9B56)
        #expect(try Self.shippedCRC("train-labels-idx1-ubyte.gz", header: 8) == 0xBA07_E8EF)
        #expect(try Self.shippedCRC("t10k-images-idx3-ubyte.gz", header: 16) == 0xE4CA_5F57)
        #expect(try Self.shippedCRC("t10k-labels-idx1-ubyte.gz", header: 8) == 0xEE86_04D9)
    }
}
