import Testing
import Datasets
@testable import Streams

/// A synthetic dataset: `count` samples of C×H×W, sample i has label i % classes and pixel j = (i*7 + j) % 256.
func syntheticDataset(count: Int = 60, classes: Int = 6, channels: Int = 1, height: Int = 4, width: Int = 4,
                      split: Split = .train) -> Dataset {
    let size = channels * height * width
    var pixels = [UInt8](repeating: 0, count: count * size)
    for i in 0..<count { for j in 0..<size { pixels[i * size + j] = UInt8((i * 7 + j) % 256) } }
    let labels = (0..<count).map { UInt8($0 % classes) }
    return Dataset(format: .idx, split: split, name: "synthetic", source: "memory",
                   channels: channels, height: height, width: width, classes: classes, pixels: pixels,
                   labels: labels, labelNames: nil)
}

func input(_ stream: TaskStream, _ sample: StreamSample) -> [Float] {
    var values = [Float](repeating: -1, count: stream.dataset.sampleSize)
    values.withUnsafeMutableBufferPointer { stream.writeInput(for: sample, into: $0) }
    return values
}

struct TaskStreamTests {
    @Test("Task changes happen exactly at multiples of taskLength")
    func taskBoundaries() throws {
        let stream = try TaskStream(dataset: syntheticDataset(),
                                    spec: StreamSpec(kind: .labelPermuted, tasks: 4, taskLength: 25, seed: 3))
        for position in 0..<100 { #expect(stream.sample(at: position).task == position / 25) }
        #expect(stream.totalSamples == 100)
    }

    @Test("Input permutations are bijections, fixed within a task and different across tasks")
    func inputPermutationProperties() throws {
        let data = syntheticDataset(channels: 2)
        let stream = try TaskStream(dataset: data, spec: StreamSpec(kind: .inputPermuted, tasks: 3, taskLength: 20, seed: 1))
        let perms = (0..<3).map { stream.inputPermutation(task: $0)! }
        for perm in perms { #expect(perm.sorted() == Array(0..<16)) }
        #expect(perms[0] != perms[1] && perms[1] != perms[2])
        // Every sample of task 1 is permuted by the same permutation, in both channels.
        for position in 20..<40 {
            let s = stream.sample(at: position)
            let x = input(stream, s)
            for c in 0..<2 {
                for q in 0..<16 {
                    let raw = data.pixels[s.sampleIndex * 32 + c * 16 + perms[1][q]]
                    #expect(x[c * 16 + q] == Float(raw) / 255)
                }
            }
        }
    }

    @Test("first-task-identity leaves task 0 unpermuted only")
    func firstTaskIdentity() throws {
        let stream = try TaskStream(dataset: syntheticDataset(),
                                    spec: StreamSpec(kind: .inputPermuted, tasks: 2, taskLength: 10, seed: 1, firstTaskIdentity: true))
        #expect(stream.inputPermutation(task: 0)! == Array(0..<16))
        #expect(stream.inputPermutation(task: 1)! != Array(0..<16))
    }

    @Test("Label maps are bijections of the classes, fixed within a task, different across tasks")
    func labelMapProperties() throws {
        let data = syntheticDataset(count: 120, classes: 10)
        let stream = try TaskStream(dataset: data, spec: StreamSpec(kind: .labelPermuted, tasks: 4, taskLength: 30, seed: 5))
        var maps: [[Int]] = []
        for task in 0..<4 {
            let map = (0..<10).map { stream.presentedLabel(original: $0, task: task)! }
            #expect(map.sorted() == Array(0..<10))
            maps.append(map)
            for position in task * 30 ..< (task + 1) * 30 {
                let s = stream.sample(at: position)
                #expect(s.label == map[s.originalLabel])
            }
        }
        #expect(Set(maps.map { $0.description }).count == 4)
    }

    @Test("Within a task, samples are drawn without replacement and reshuffled each pass")
    func withoutReplacementPerPass() throws {
        let data = syntheticDataset(count: 50)
        let stream = try TaskStream(dataset: data, spec: StreamSpec(kind: .inputPermuted, tasks: 2, taskLength: 150, seed: 9))
        for task in 0..<2 {
            var passes: [[Int]] = []
            for pass in 0..<3 {
                let indices = (0..<50).map { stream.sample(at: task * 150 + pass * 50 + $0).sampleIndex }
                #expect(indices.sorted() == Array(0..<50))
                passes.append(indices)
            }
            #expect(passes[0] != passes[1] && passes[1] != passes[2])
        }
    }

    @Test("Class-incremental: numpy class order, groups of K relabelled 0..<K by position, each sample once per pass")
    func classIncrementalCoversGroups() throws {
        let data = syntheticDataset(count: 100, classes: 10)   // 10 samples per class
        let spec = StreamSpec(kind: .classIncremental, tasks: 7, taskLength: nil, seed: 0, classesPerTask: 2)
        let stream = try TaskStream(dataset: data, spec: spec)
        let order = MersenneTwister19937.numpyLegacyPermutation(seed: 0, count: 10)
        #expect(stream.classOrder == order)
        #expect(stream.taskLength == 20)         // one pass over the group's samples
        #expect(stream.outputCount == 2)
        for task in 0..<7 {
            let group = Array(order[(task % 5) * 2 ..< (task % 5) * 2 + 2])   // tasks cycle through the groups
            let samples = (0..<20).map { stream.sample(at: task * 20 + $0) }
            #expect(samples.map(\.sampleIndex).sorted() == (0..<100).filter { group.contains($0 % 10) })
            for s in samples {
                #expect(s.task == task)
                #expect(s.label == group.firstIndex(of: s.originalLabel)!)
            }
        }
    }

    @Test("Class-incremental rejects classes-per-task that does not divide the classes")
    func classIncrementalValidation() {
        #expect(throws: StreamError.self) {
            _ = try TaskStream(dataset: syntheticDataset(classes: 6),
                               spec: StreamSpec(kind: .classIncremental, tasks: 2, taskLength: nil, seed: 0, classesPerTask: 4))
        }
        #expect(throws: StreamError.self) {
            _ = try TaskStream(dataset: syntheticDataset(classes: 6),
                               spec: StreamSpec(kind: .classIncremental, tasks: 2, taskLength: nil, seed: 0))
        }
        #expect(throws: StreamError.self) {
            _ = try TaskStream(dataset: syntheticDataset(), spec: StreamSpec(kind: .iid, tasks: 0, taskLength: 5))
        }
    }

    @Test("Starting at step t reproduces the tail of a run from step 0, inputs included")
    func startAnywhere() throws {
        for kind in StreamKind.allCases {
            let spec = StreamSpec(kind: kind, tasks: 5, taskLength: kind == .classIncremental ? nil : 37, seed: 11,
                                  classesPerTask: kind == .classIncremental ? 3 : nil, augmentation: .cropFlip)
            let full = try TaskStream(dataset: syntheticDataset(), spec: spec)
            let all = (0..<full.totalSamples).map { full.sample(at: $0) }
            let allInputs = all.map { input(full, $0) }
            let resumed = try TaskStream(dataset: syntheticDataset(), spec: spec)
            for t in stride(from: full.totalSamples - 1, through: 40, by: -13) {   // fresh stream, out of order
                #expect(resumed.sample(at: t) == all[t], "\(kind) at \(t)")
                #expect(input(resumed, resumed.sample(at: t)) == allInputs[t])
            }
        }
    }

    @Test("iid: each global pass is a fresh permutation of the whole split; labels untouched")
    func iidPasses() throws {
        let stream = try TaskStream(dataset: syntheticDataset(count: 30),
                                    spec: StreamSpec(kind: .iid, tasks: 3, taskLength: 20, seed: 2))
        let first = (0..<30).map { stream.sample(at: $0).sampleIndex }
        let second = (30..<60).map { stream.sample(at: $0).sampleIndex }
        #expect(first.sorted() == Array(0..<30) && second.sorted() == Array(0..<30) && first != second)
        #expect((0..<60).allSatisfy { let s = stream.sample(at: $0); return s.label == s.originalLabel })
    }

    @Test("crop-flip: zero padding, crop offsets and flip applied exactly as documented")
    func cropFlipPixels() throws {
        let data = syntheticDataset(count: 8, classes: 2, channels: 3, height: 8, width: 8)
        let stream = try TaskStream(dataset: data, spec: StreamSpec(kind: .iid, tasks: 1, taskLength: 400, seed: 4, augmentation: .cropFlip))
        var sawFlip = false, sawNoFlip = false, offsets = Set<Int>()
        for position in 0..<400 {
            let s = stream.sample(at: position)
            sawFlip = sawFlip || s.flip; sawNoFlip = sawNoFlip || !s.flip
            offsets.insert(s.cropY * 9 + s.cropX)
            let x = input(stream, s)
            for c in 0..<3 { for y in 0..<8 { for xx in 0..<8 {
                let sx = (s.flip ? 7 - xx : xx) + s.cropX - 4, sy = y + s.cropY - 4
                let expected: Float = (0..<8).contains(sx) && (0..<8).contains(sy)
                    ? Float(data.pixels[s.sampleIndex * 192 + c * 64 + sy * 8 + sx]) / 255 : 0
                #expect(x[c * 64 + y * 8 + xx] == expected)
            } } }
        }
        #expect(sawFlip && sawNoFlip)
        #expect(offsets.count == 81)
    }

    @Test("Evaluation samples: the task's transform applied to another split, no augmentation")
    func evaluationSamplesUseTaskTransform() throws {
        let train = syntheticDataset(count: 100, classes: 10)
        let test = syntheticDataset(count: 40, classes: 10, split: .test)
        let ci = try TaskStream(dataset: train, spec: StreamSpec(kind: .classIncremental, tasks: 5, taskLength: nil, seed: 1, classesPerTask: 2, augmentation: .cropFlip))
        let group = Array(ci.classOrder![2 ..< 4])
        let evaluation = ci.evaluationSamples(task: 1, in: test)
        #expect(evaluation.map(\.sampleIndex) == (0..<40).filter { group.contains($0 % 10) })
        #expect(evaluation.allSatisfy { $0.label == group.firstIndex(of: $0.sampleIndex % 10)! })
        var x = [Float](repeating: 0, count: 16)
        x.withUnsafeMutableBufferPointer { ci.writeEvaluationInput(sampleIndex: 3, task: 1, from: test, into: $0) }
        #expect(x == (0..<16).map { Float(test.pixels[3 * 16 + $0]) / 255 })

        let permuted = try TaskStream(dataset: train, spec: StreamSpec(kind: .inputPermuted, tasks: 3, taskLength: 10, seed: 1))
        let perm = permuted.inputPermutation(task: 2)!
        x.withUnsafeMutableBufferPointer { permuted.writeEvaluationInput(sampleIndex: 5, task: 2, from: test, into: $0) }
        #expect(x == (0..<16).map { Float(test.pixels[5 * 16 + perm[$0]]) / 255 })
        #expect(permuted.evaluationSamples(task: 2, in: test).count == 40)
    }

    @Test("Fingerprint: equal for equal streams, different when seed, kind or data change")
    func fingerprintIdentifiesStream() throws {
        let spec = StreamSpec(kind: .inputPermuted, tasks: 2, taskLength: 10, seed: 1)
        let a = try TaskStream(dataset: syntheticDataset(), spec: spec)
        let b = try TaskStream(dataset: syntheticDataset(), spec: spec)
        #expect(a.fingerprint == b.fingerprint && a.fingerprint.count == 16)
        var other = spec; other.seed = 2
        #expect(try TaskStream(dataset: syntheticDataset(), spec: other).fingerprint != a.fingerprint)
        other = spec; other.kind = .labelPermuted
        #expect(try TaskStream(dataset: syntheticDataset(), spec: other).fingerprint != a.fingerprint)
        #expect(try TaskStream(dataset: syntheticDataset(count: 61), spec: spec).fingerprint != a.fingerprint)
    }
}
