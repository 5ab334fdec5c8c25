import Datasets

/// One element of a stream: which sample of the split is shown at a stream position, in which task, with which
/// label, and with which augmentation.
public struct StreamSample: Sendable, Equatable {
    /// Stream position (0-based). With batch size B, optimizer step s (0-based) shows positions s·B ..< s·B + B.
    public var position: Int
    /// Task index (0-based): `position / taskLength`.
    public var task: Int
    /// Index of the sample in the split, in file order.
    public var sampleIndex: Int
    /// Label as presented to the learner (after the task's label map).
    public var label: Int
    /// Label stored in the dataset.
    public var originalLabel: Int
    /// Crop offsets in the 4-pixel zero-padded image (4, 4 = no shift) and horizontal flip.
    public var cropY: Int
    public var cropX: Int
    public var flip: Bool

    public init(position: Int, task: Int, sampleIndex: Int, label: Int, originalLabel: Int,
                cropY: Int = 4, cropX: Int = 4, flip: Bool = false) {
        self.position = position
        self.task = task
        self.sampleIndex = sampleIndex
        self.label = label
        self.originalLabel = originalLabel
        self.cropY = cropY
        self.cropX = cropX
        self.flip = flip
    }
}

/// A reproducible nonstationary stream over a dataset: a pure function of (dataset, spec, position).
///
/// Draw order (see `SplitMix64` for the generator and `RandomKey` for key derivation, `s` = spec.seed):
/// - Sample order: the task's pool (all sample indices in file order; for class-incremental streams the indices
///   whose label is in the task's group, in file order) is shuffled with `generator(s, .sampleOrder, a: task,
///   b: pass)`; position p of a task shows pool[order[p mod n]] with pass = p / n (n = pool size). The iid stream
///   shuffles the whole split per global pass: `generator(s, .sampleOrder, a: 0, b: position / count)`.
/// - Input permutation of task k: `generator(s, .inputPermutation, a: k)` shuffles 0..<H·W (identity for task 0
///   when `firstTaskIdentity`); output pixel q takes input pixel perm[q] in every channel.
/// - Label permutation of task k: `generator(s, .labelPermutation, a: k)` shuffles 0..<classes; presented =
///   map[original].
/// - Class order (class-incremental): NumPy's legacy `RandomState(seed).permutation(classes)` (as the official
///   code), split into consecutive groups of K; task k uses group k mod (classes/K); a class is presented as its
///   position inside the group.
/// - Augmentation (crop-flip) of position p: `generator(s, .augmentation, a: p)`; cropY = uniform(below: 9), then
///   cropX = uniform(below: 9), then flip = uniform(below: 2) == 1. Output (c, y, x) = source (c, y + cropY − 4,
///   x' + cropX − 4) with x' = W − 1 − x when flipped, else x; 0 outside the image. Applied before the input
///   permutation.
/// - Inputs: Float(byte) / 255, CHW, no normalisation.
public final class TaskStream {
    public let dataset: Dataset
    public let spec: StreamSpec
    /// Resolved samples per task.
    public let taskLength: Int
    /// Number of output units the learner needs: `classesPerTask` for class-incremental streams, else the
    /// dataset's class count.
    public let outputCount: Int
    /// Class order of a class-incremental stream (nil otherwise).
    public let classOrder: [Int]?
    /// Identifies the stream: a hash of the dataset's contents (CRC-32 of pixels and labels, shape, classes) and
    /// the resolved spec. Equal fingerprints mean equal streams.
    public let fingerprint: String

    /// Total positions of the stream: tasks × taskLength.
    public var totalSamples: Int { spec.tasks * taskLength }
    public var groupCount: Int { classOrder.map { $0.count / (spec.classesPerTask ?? 1) } ?? 1 }

    private let pools: [[Int32]]                 // class-incremental: per group; otherwise empty (pool = all)
    private let presentedLabelInGroup: [Int]     // class-incremental: original class → position in its group
    private let groupOfClass: [Int]              // class-incremental: original class → its group
    private let byteToFloat: [Float]

    private var orderKey: (task: Int, pass: Int) = (-1, -1)
    private var order: [Int32] = []
    private var permutationTask = -1
    private var permutation: [Int32] = []
    private var labelMapTask = -1
    private var labelMap: [Int] = []

    public init(dataset: Dataset, spec: StreamSpec) throws {
        try spec.validate(for: dataset)
        self.dataset = dataset
        self.spec = spec
        var pools: [[Int32]] = []
        var presented = [Int](repeating: -1, count: dataset.classes)
        var groupOfClass = [Int](repeating: 0, count: dataset.classes)
        if spec.kind == .classIncremental, let k = spec.classesPerTask {
            let classes = MersenneTwister19937.numpyLegacyPermutation(seed: UInt32(spec.seed), count: dataset.classes)
            classOrder = classes
            for (position, c) in classes.enumerated() {
                groupOfClass[c] = position / k
                presented[c] = position % k
            }
            pools = Array(repeating: [], count: dataset.classes / k)
            for (index, label) in dataset.labels.enumerated() {
                pools[groupOfClass[Int(label)]].append(Int32(index))
            }
            if let empty = pools.firstIndex(where: \.isEmpty) {
                throw StreamError.invalidSetting(
                    "class-incremental group \(empty) (classes \(classes[empty * k ..< (empty + 1) * k].map(String.init).joined(separator: " "))) has no samples in \(dataset.name) \(dataset.split.rawValue)")
            }
            outputCount = k
            taskLength = spec.taskLength ?? pools.map(\.count).max()!
        } else {
            classOrder = nil
            outputCount = dataset.classes
            taskLength = spec.taskLength ?? dataset.count
        }
        self.pools = pools
        self.groupOfClass = groupOfClass
        presentedLabelInGroup = presented
        byteToFloat = (0..<256).map { Float($0) / 255 }
        fingerprint = TaskStream.fingerprint(dataset: dataset, spec: spec, taskLength: taskLength)
    }

    /// The canonical text hashed into the fingerprint (FNV-1a, 64 bit, printed as 16 hex digits).
    public static func fingerprintText(dataset: Dataset, spec: StreamSpec, taskLength: Int) -> String {
        let pixels = String(crc32(dataset.pixels), radix: 16)
        let labels = String(crc32(dataset.labels), radix: 16)
        return [
            "mobench-stream-1",
            "format=\(dataset.format.rawValue)", "split=\(dataset.split.rawValue)", "count=\(dataset.count)",
            "shape=\(dataset.channels),\(dataset.height),\(dataset.width)", "classes=\(dataset.classes)",
            "pixels_crc32=\(pixels)", "labels_crc32=\(labels)",
            "kind=\(spec.kind.rawValue)", "tasks=\(spec.tasks)", "task_length=\(taskLength)", "seed=\(spec.seed)",
            "classes_per_task=\(spec.classesPerTask.map(String.init) ?? "-")",
            "first_task_identity=\(spec.firstTaskIdentity)", "augmentation=\(spec.augmentation.rawValue)",
        ].joined(separator: ";")
    }

    static func fingerprint(dataset: Dataset, spec: StreamSpec, taskLength: Int) -> String {
        fnv1a64Hex(fingerprintText(dataset: dataset, spec: spec, taskLength: taskLength))
    }

    // MARK: Samples

    /// The sample at a stream position. Depends only on (dataset, spec, position).
    public func sample(at position: Int) -> StreamSample {
        precondition(position >= 0)
        let task = position / taskLength
        let sampleIndex: Int
        if spec.kind == .iid {
            let n = dataset.count
            sampleIndex = Int(orderedIndex(task: 0, pass: position / n, offset: position % n, poolSize: n))
        } else {
            let p = position % taskLength
            let n = poolSize(task: task)
            sampleIndex = Int(orderedIndex(task: task, pass: p / n, offset: p % n, poolSize: n))
        }
        let original = Int(dataset.labels[sampleIndex])
        var sample = StreamSample(position: position, task: task, sampleIndex: sampleIndex,
                                  label: presentedLabel(original: original, task: task) ?? original,
                                  originalLabel: original, cropY: 4, cropX: 4, flip: false)
        if spec.augmentation == .cropFlip {
            var generator = RandomKey.generator(seed: spec.seed, domain: .augmentation, a: UInt64(position))
            sample.cropY = generator.uniform(below: 9)
            sample.cropX = generator.uniform(below: 9)
            sample.flip = generator.uniform(below: 2) == 1
        }
        return sample
    }

    /// The label presented in `task` for a dataset label, or nil when the class is not part of the task.
    public func presentedLabel(original: Int, task: Int) -> Int? {
        switch spec.kind {
        case .iid, .inputPermuted: return original
        case .labelPermuted:
            ensureLabelMap(task: task)
            return labelMap[original]
        case .classIncremental: return groupOfClass[original] == task % groupCount ? presentedLabelInGroup[original] : nil
        }
    }

    /// Writes the (augmented, permuted) input of a sample as Float(byte)/255 in CHW order into `destination`,
    /// which must hold `dataset.sampleSize` floats.
    public func writeInput(for sample: StreamSample, into destination: UnsafeMutableBufferPointer<Float>) {
        writeInput(sampleIndex: sample.sampleIndex, task: sample.task, from: dataset,
                   cropY: sample.cropY, cropX: sample.cropX, flip: sample.flip, into: destination)
    }

    // MARK: Evaluation on another split (e.g. test)

    /// The samples of `other` (same shape and classes) that belong to `task`, with their presented labels, in file
    /// order: all samples for iid/permuted streams, the task's classes for class-incremental streams.
    public func evaluationSamples(task: Int, in other: Dataset) -> [(sampleIndex: Int, label: Int)] {
        var result: [(Int, Int)] = []
        for (index, label) in other.labels.enumerated() {
            if let presented = presentedLabel(original: Int(label), task: task) { result.append((index, presented)) }
        }
        return result
    }

    /// Writes an evaluation input of `other` transformed as task `task` (input permutation, no augmentation).
    public func writeEvaluationInput(sampleIndex: Int, task: Int, from other: Dataset,
                                     into destination: UnsafeMutableBufferPointer<Float>) {
        writeInput(sampleIndex: sampleIndex, task: task, from: other, cropY: 4, cropX: 4, flip: false,
                   into: destination)
    }

    // MARK: Internals

    private func poolSize(task: Int) -> Int {
        spec.kind == .classIncremental ? pools[task % groupCount].count : dataset.count
    }

    private func orderedIndex(task: Int, pass: Int, offset: Int, poolSize n: Int) -> Int32 {
        if orderKey.task != task || orderKey.pass != pass {
            if order.count != n { order = [Int32](repeating: 0, count: n) }
            order.withUnsafeMutableBufferPointer { buffer in
                if spec.kind == .classIncremental {
                    let pool = pools[task % groupCount]
                    for i in 0..<n { buffer[i] = pool[i] }
                } else {
                    for i in 0..<n { buffer[i] = Int32(i) }
                }
                var generator = RandomKey.generator(seed: spec.seed, domain: .sampleOrder,
                                                    a: UInt64(task), b: UInt64(pass))
                generator.shuffle(buffer)
            }
            orderKey = (task, pass)
        }
        return order[offset]
    }

    private func ensureLabelMap(task: Int) {
        guard labelMapTask != task else { return }
        var map = Array(0..<dataset.classes)
        var generator = RandomKey.generator(seed: spec.seed, domain: .labelPermutation, a: UInt64(task))
        generator.shuffle(&map)
        labelMap = map
        labelMapTask = task
    }

    private func ensurePermutation(task: Int) {
        guard permutationTask != task else { return }
        var perm = (0..<(dataset.height * dataset.width)).map { Int32($0) }
        if !(spec.firstTaskIdentity && task == 0) {
            var generator = RandomKey.generator(seed: spec.seed, domain: .inputPermutation, a: UInt64(task))
            generator.shuffle(&perm)
        }
        permutation = perm
        permutationTask = task
    }

    /// The pixel permutation of an input-permuted task (output pixel q takes input pixel perm[q]); nil for other
    /// kinds.
    public func inputPermutation(task: Int) -> [Int]? {
        guard spec.kind == .inputPermuted else { return nil }
        ensurePermutation(task: task)
        return permutation.map(Int.init)
    }

    private func writeInput(sampleIndex: Int, task: Int, from source: Dataset, cropY: Int, cropX: Int, flip: Bool,
                            into destination: UnsafeMutableBufferPointer<Float>) {
        let h = source.height, w = source.width, plane = h * w
        precondition(destination.count >= source.channels * plane)
        let permuted = spec.kind == .inputPermuted
        if permuted { ensurePermutation(task: task) }
        let shifted = cropY != 4 || cropX != 4 || flip
        source.pixels.withUnsafeBufferPointer { pixels in
            byteToFloat.withUnsafeBufferPointer { table in
                permutation.withUnsafeBufferPointer { perm in
                    let base = sampleIndex * source.sampleSize
                    for c in 0..<source.channels {
                        let src = base + c * plane
                        let dst = c * plane
                        if !permuted && !shifted {
                            for q in 0..<plane { destination[dst + q] = table[Int(pixels[src + q])] }
                            continue
                        }
                        for q in 0..<plane {
                            let p = permuted ? Int(perm[q]) : q
                            var value: Float = 0
                            if shifted {
                                let y = p / w, x = p % w
                                let sy = y + cropY - 4
                                let sx = (flip ? w - 1 - x : x) + cropX - 4
                                if sy >= 0 && sy < h && sx >= 0 && sx < w {
                                    value = table[Int(pixels[src + sy * w + sx])]
                                }
                            } else {
                                value = table[Int(pixels[src + p])]
                            }
                            destination[dst + q] = value
                        }
                    }
                }
            }
        }
    }
}
