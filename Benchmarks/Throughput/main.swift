// mobench-perf: throughput benchmarks, one subcommand each.
//
//   mobench-perf read-idx PATH [--repeat N] [--engine builtin|zlib]
//       Reads an IDX images file (decompress + parse + validate) N times (default 7) and prints the median
//       wall-clock seconds as `median_seconds=<value>`, plus the per-run times.
//
//   mobench-perf training [--steps N] [--repetitions R] [--only SUBSTRING] [--json FILE]
//       Batch-1 training steps/s on one core (forward + loss + backward + optimizer step) for the cases of
//       TrainingBenchmarks.swift: median over R timed blocks of N steps after a warm-up, and heap allocations per
//       step counted by the AllocationCounter shim over all timed steps.
//
//   mobench-perf machine [--json FILE]
//       Peak FP32 FMA GFLOP/s of one core and read / triad bandwidth for working sets from L1 to DRAM.
import Datasets
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
}

func fail(_ message: String) -> Never {
    let line = "mobench-perf: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

func readIDX(_ arguments: ArraySlice<String>) {
    var path: String?
    var repeats = 7
    var engine = Gzip.Engine.builtin
    var rest = arguments
    while let argument = rest.popFirst() {
        switch argument {
        case "--repeat":
            guard let value = rest.popFirst().flatMap(Int.init), value > 0 else { fail("--repeat needs a positive integer") }
            repeats = value
        case "--engine":
            guard let value = rest.popFirst().flatMap(Gzip.Engine.init(rawValue:)) else {
                fail("--engine needs builtin or zlib")
            }
            engine = value
        default:
            guard path == nil else { fail("unexpected argument \(argument)") }
            path = argument
        }
    }
    guard let path else { fail("usage: mobench-perf read-idx PATH [--repeat N] [--engine builtin|zlib]") }
    var times: [Double] = []
    var count = 0
    for _ in 0..<repeats {
        let start = monotonicSeconds()
        do {
            let images = try IDX.readImages(path, engine: engine)
            count = images.count
        } catch {
            fail(error.description)
        }
        times.append(monotonicSeconds() - start)
    }
    let sorted = times.sorted()
    let median = sorted[sorted.count / 2]
    print("images=\(count) runs=\(repeats) engine=\(engine.rawValue)")
    print("times=" + times.map { String(format6($0)) }.joined(separator: ","))
    print("median_seconds=\(format6(median))")
}

func format6(_ value: Double) -> String {
    let scaled = (value * 1_000_000).rounded()
    let whole = Int(scaled) / 1_000_000
    let fraction = String(Int(scaled) % 1_000_000)
    return "\(whole)." + String(repeating: "0", count: 6 - fraction.count) + fraction
}

func writeJSON<T: Encodable>(_ value: T, to path: String?) {
    guard let path else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    do { try encoder.encode(value).write(to: URL(fileURLWithPath: path)) } catch { fail("\(path): cannot write") }
}

func training(_ arguments: ArraySlice<String>) {
    var steps = 2000, repetitions = 7, only: String?, json: String?
    var rest = arguments
    while let argument = rest.popFirst() {
        switch argument {
        case "--steps": guard let v = rest.popFirst().flatMap(Int.init), v > 0 else { fail("--steps needs a positive integer") }; steps = v
        case "--repetitions": guard let v = rest.popFirst().flatMap(Int.init), v > 0 else { fail("--repetitions needs a positive integer") }; repetitions = v
        case "--only": guard let v = rest.popFirst() else { fail("--only needs a value") }; only = v
        case "--json": guard let v = rest.popFirst() else { fail("--json needs a file") }; json = v
        default: fail("unexpected argument \(argument)")
        }
    }
    var results: [Measurement] = []
    for c in TrainingBenchmarks.cases where only.map({ c.name.contains($0) }) ?? true {
        do {
            let m = try TrainingBenchmarks.measure(c, steps: steps, repetitions: repetitions, warmup: steps / 4 + 10)
            results.append(m)
            print(String(format: "%-55@ %9.0f steps/s (median of %d × %d steps)  allocations/step %.3f",
                         c.name, m.stepsPerSecondMedian, repetitions, steps, m.allocationsPerStep))
        } catch {
            fail("\(c.name): \(error)")
        }
    }
    writeJSON(results, to: json)
}

func machine(_ arguments: ArraySlice<String>) {
    var json: String?
    var rest = arguments
    while let argument = rest.popFirst() {
        switch argument {
        case "--json": guard let v = rest.popFirst() else { fail("--json needs a file") }; json = v
        default: fail("unexpected argument \(argument)")
        }
    }
    let result = MachineBenchmarks.run()
    print(String(format: "peak FP32 FMA: %.1f GFLOP/s (one core)", result.peakGflops))
    for point in result.bandwidth {
        print(String(format: "working set %9d KiB: read %6.1f GB/s, triad %6.1f GB/s", point.workingSetBytes / 1024,
                     point.readGBps, point.triadGBps))
    }
    writeJSON(result, to: json)
}

let usage = "usage: mobench-perf read-idx PATH [--repeat N] [--engine builtin|zlib] | training [--steps N] [--repetitions R] [--only S] [--json FILE] | machine [--json FILE]"
let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "read-idx":
    readIDX(arguments.dropFirst())
case "training":
    training(arguments.dropFirst())
case "machine":
    machine(arguments.dropFirst())
default:
    fail(usage)
}
