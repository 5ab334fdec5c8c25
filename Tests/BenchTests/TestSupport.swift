import Datasets
import Foundation
import Testing
@testable import Bench

/// A small synthetic dataset whose classes are learnable: class c has bright pixels in row c.
func learnableDataset(count: Int, classes: Int = 4, size: Int = 6, split: Split = .train, seed: Int = 0) -> Dataset {
    var pixels = [UInt8](repeating: 0, count: count * size * size)
    var labels = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        let c = (i * 7 + seed) % classes
        labels[i] = UInt8(c)
        for x in 0..<size { pixels[i * size * size + c * size + x] = UInt8(150 + (i * 13 + x * 29) % 100) }
        pixels[i * size * size + ((i * 5) % (size * size))] &+= 40
    }
    return Dataset(format: .idx, split: split, name: "learnable", source: "memory", channels: 1, height: size,
                   width: size, classes: classes, pixels: pixels, labels: labels)
}

func smallConfiguration(_ edit: (inout RunConfiguration) -> Void = { _ in }) -> RunConfiguration {
    var c = RunConfiguration()
    c.data = "learnable"
    c.stream = "label-permuted"
    c.tasks = 3
    c.taskLength = 40
    c.model = "mlp:8"
    c.alpha0 = 1e-3
    c.logEvery = 7
    c.testSamples = 0
    edit(&c)
    return c
}

func makeRun(_ c: RunConfiguration, options: RunOptions = RunOptions()) throws -> Run {
    try Run(ValidatedConfiguration(c), train: learnableDataset(count: 60), test: learnableDataset(count: 20, split: .test, seed: 3),
            options: options)
}

func temporaryDirectory(_ name: String = #function) -> String {
    let path = NSTemporaryDirectory() + "mobench-bench-tests-\(ProcessInfo.processInfo.processIdentifier)-\(name.filter(\.isLetter))-\(UInt32.random(in: 0...UInt32.max))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func read(_ path: String) -> String {
    String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
}

/// result.json with the wall-clock fields blanked.
func withoutWallClock(_ json: String) -> String {
    json.split(separator: "\n").filter { !$0.contains("\"wall_seconds\"") && !$0.contains("\"steps_per_second\"") }
        .joined(separator: "\n")
}

/// Runs `config` twice with a trace: once uninterrupted, once stopped after 57 steps with a checkpoint every 10
/// (`afterStop` sees that folder before the resume) and then resumed. Returns both folders; callers compare them
/// with ``expectSameRunFiles(_:_:)``.
func interruptAndResume(_ config: RunConfiguration, afterStop: (_ directory: String) -> Void = { _ in }) throws
    -> (uninterrupted: String, resumed: String) {
    let full = temporaryDirectory()
    let fullOptions = RunOptions(outDirectory: full, tracePath: full + "/trace.csv")
    _ = try makeRun(config, options: fullOptions).run(options: fullOptions)
    let dir = temporaryDirectory()
    let options = RunOptions(outDirectory: dir, tracePath: dir + "/trace.csv", checkpointEvery: 10)
    var calls = 0
    let stopped = try makeRun(config, options: options).run(options: options, shouldStop: { calls += 1; return calls > 57 })
    #expect(stopped == nil)
    #expect(FileManager.default.fileExists(atPath: dir + "/checkpoint.safetensors"))
    afterStop(dir)
    var resume = options
    resume.resume = true
    _ = try makeRun(config, options: resume).run(options: resume)
    return (full, dir)
}

/// Expects result.json (wall clock aside), curve.csv and trace.csv of two run folders to be byte-identical.
func expectSameRunFiles(_ a: String, _ b: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(withoutWallClock(read(a + "/result.json")) == withoutWallClock(read(b + "/result.json")), sourceLocation: sourceLocation)
    #expect(read(a + "/curve.csv") == read(b + "/curve.csv"), sourceLocation: sourceLocation)
    #expect(read(a + "/trace.csv") == read(b + "/trace.csv"), sourceLocation: sourceLocation)
}

/// The repository root (for the real data and the built binary).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
