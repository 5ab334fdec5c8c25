import Testing

@testable import Datasets

@Suite("Dataset value")
struct DatasetTests {
    @Test("sampleSize is C·H·W and classCounts counts each label, including absent classes")
    func counts() {
        let dataset = Dataset(
            format: .cifar10, split: .train, name: "n", source: "/s", channels: 3, height: 2, width: 2, classes: 4,
            pixels: [UInt8](repeating: 0, count: 36), labels: [3, 3, 0])
        #expect(dataset.sampleSize == 12)
        #expect(dataset.count == 3)
        #expect(dataset.classCounts() == [1, 0, 0, 2])
    }
}
