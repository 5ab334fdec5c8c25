import Foundation
import Testing

@testable import Datasets

@Suite("dataset inspection")
struct DatasetInspectionTests {
    func dataset(labelNames: [String]? = ["a", "b", "c"]) -> Dataset {
        Dataset(
            format: .idx, split: .test, name: "tiny", source: "/data/tiny", channels: 1, height: 2, width: 2,
            classes: 3, pixels: Array("123456789abc".utf8), labels: [2, 0, 2], labelNames: labelNames)
    }

    @Test("fields: shape, class counts, and CRCs equal to a bit-at-a-time reference CRC of the bytes")
    func fields() {
        let inspection = DatasetInspection(dataset())
        #expect(inspection.count == 3)
        #expect(inspection.shape == [1, 2, 2])
        #expect(inspection.classCounts == [1, 0, 2])
        #expect(inspection.pixelsCRC32 == String(format: "%08x", referenceCRC32(Array("123456789abc".utf8))))
        #expect(inspection.labelsCRC32 == String(format: "%08x", referenceCRC32([2, 0, 2])))
    }

    @Test("json(): one line, snake_case keys in sorted order, exactly the documented fields")
    func json() throws {
        let text = DatasetInspection(dataset()).json()
        #expect(!text.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let keys = ["class_counts", "classes", "count", "format", "label_names", "labels_crc32", "pixels_crc32",
                    "shape", "source", "split"]
        #expect(object.keys.sorted() == keys)
        // Sorted: each key appears after the previous one in the text.
        let positions = keys.map { text.range(of: "\"\($0)\"")!.lowerBound }
        #expect(positions == positions.sorted())
        #expect(object["format"] as? String == "idx")
        #expect(object["split"] as? String == "test")
        #expect(object["class_counts"] as? [Int] == [1, 0, 2])
        #expect(object["source"] as? String == "/data/tiny")
        #expect((object["pixels_crc32"] as? String)?.count == 8)
    }

    @Test("label_names is omitted when unknown; label_kind appears for CIFAR-100 only")
    func optionalKeys() throws {
        #expect(!DatasetInspection(dataset(labelNames: nil)).json().contains("label_names"))
        #expect(!DatasetInspection(dataset()).json().contains("label_kind"))
        let cifar = Dataset(
            format: .cifar100, split: .train, name: "c", source: "/c", channels: 3, height: 32, width: 32,
            classes: 20, pixels: [UInt8](repeating: 0, count: 3072), labels: [19], labelKind: .coarse)
        #expect(DatasetInspection(cifar).json().contains("\"label_kind\":\"coarse\""))
    }

    @Test("json() is stable (same text every time) and decodes back to the same value")
    func roundTrip() throws {
        let inspection = DatasetInspection(dataset())
        #expect(inspection.json() == inspection.json())
        let decoded = try JSONDecoder().decode(DatasetInspection.self, from: Data(inspection.json().utf8))
        #expect(decoded == inspection)
    }

    @Test("summary() names every field and one line per class")
    func summary() {
        let text = DatasetInspection(dataset()).summary()
        for needle in ["/data/tiny", "idx", "test", "1 x 2 x 2", "0 a: 1", "1 b: 0", "2 c: 2"] {
            #expect(text.contains(needle), "\(needle)")
        }
    }

    @Test("real Fashion-MNIST test split: the CRCs match Python's zlib.crc32 (computed once, independently)")
    func realData() throws {
        // '%08x' % (zlib.crc32(gzip.open('t10k-images-idx3-ubyte.gz').read()[16:]) & 0xffffffff), and [8:] for labels.
        let inspection = DatasetInspection(try IDX.load(folder: repositoryRoot + "/data/fashion-mnist", split: .test, name: "f"))
        #expect(inspection.pixelsCRC32 == "12728439")
        #expect(inspection.labelsCRC32 == "242bc73f")
        #expect(inspection.classCounts == [Int](repeating: 1000, count: 10))
    }
}
