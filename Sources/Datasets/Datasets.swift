// TEMPORARY contract stub; replaced by the real readers (branch `datasets`).
public enum DatasetFormat: String, Codable, Sendable { case idx, cifar10, cifar100 }
public enum Split: String, Codable, Sendable, CaseIterable { case train, test }
public enum CIFAR100LabelKind: String, Codable, Sendable { case fine, coarse }
public struct Dataset: Sendable {
    public let format: DatasetFormat
    public let split: Split
    public let name: String
    public let source: String
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    public var sampleSize: Int { channels * height * width }
    public let classes: Int
    public let pixels: [UInt8]
    public let labels: [UInt8]
    public let labelNames: [String]?
    public init(format: DatasetFormat, split: Split, name: String, source: String, count: Int, channels: Int, height: Int, width: Int, classes: Int, pixels: [UInt8], labels: [UInt8], labelNames: [String]?) {
        self.format = format; self.split = split; self.name = name; self.source = source; self.count = count
        self.channels = channels; self.height = height; self.width = width; self.classes = classes
        self.pixels = pixels; self.labels = labels; self.labelNames = labelNames
    }
    public func classCounts() -> [Int] { var c = [Int](repeating: 0, count: classes); for l in labels { c[Int(l)] += 1 }; return c }
}
public func crc32(_ bytes: [UInt8]) -> UInt32 { 0 }
