// mobench-perf: throughput benchmarks, one subcommand each.
//
//   mobench-perf read-idx PATH [--repeat N]
//       Reads an IDX images file (decompress + parse + validate) N times (default 7) and prints the median
//       wall-clock seconds as `median_seconds=<value>`, plus the per-run times.
//
//   mobench-perf training [--steps N] [--repetitions R] [--only SUBSTRING[,SUBSTRING…]] [--json FILE]
//       Batch-1 training steps/s on one core (forward + loss + backward + optimizer step) for the cases of
//       TrainingBenchmarks.swift: median over R timed blocks of N steps after a warm-up, the cases interleaved
//       block by block (so a slow period of a shared machine hits all of them), and heap allocations per step
//       counted by the AllocationCounter shim over all timed steps.
//
//   mobench-perf check BASELINE.json CURRENT.json [--tolerance T]
//       Flags a throughput regression: a case whose median steps/s is below baseline × (1 − T) (default T = 0.25,
//       wide because shared machines vary by ±15 %), or any allocation per step. Exit 1 on a regression.
//
//   mobench-perf diagnostics [--rounds R]
//       The cost of `--diagnostics task` per default-suite task, by its parts (DiagnosticsBenchmarks.swift).
//
//   mobench-perf machine [--json FILE]
//       Peak FP32 FMA GFLOP/s of one core and read / triad bandwidth for working sets from L1 to DRAM.
import Competitors
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
    var rest = arguments
    while let argument = rest.popFirst() {
        switch argument {
        case "--repeat":
            guard let value = rest.popFirst().flatMap(Int.init), value > 0 else { fail("--repeat needs a positive integer") }
            repeats = value
        default:
            guard path == nil else { fail("unexpected argument \(argument)") }
            path = argument
        }
    }
    guard let path else { fail("usage: mobench-perf read-idx PATH [--repeat N]") }
    var times: [Double] = []
    var count = 0
    for _ in 0..<repeats {
        let start = monotonicSeconds()
        do {
            let images = try IDX.readImages(path)
            count = images.count
        } catch {
            fail(error.description)
        }
        times.append(monotonicSeconds() - start)
    }
    let sorted = times.sorted()
    let median = sorted[sorted.count / 2]
    print("images=\(count) runs=\(repeats)")
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
    var steps = 1000, repetitions = 15, only: String?, json: String?
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
    // --only: comma-separated substrings; a case runs when its name contains any of them.
    let cases = TrainingBenchmarks.cases.filter { c in
        only.map { $0.split(separator: ",").contains { c.name.contains($0) } } ?? true
    }
    guard !cases.isEmpty else { fail("--only \(only ?? ""): no case matches") }
    let results: [Measurement]
    do {
        results = try TrainingBenchmarks.measure(cases, steps: steps, repetitions: repetitions, warmup: steps / 4 + 10) {
            FileHandle.standardError.write("round \($0)/\(repetitions)\r".data(using: .utf8)!)
        }
    } catch {
        fail("\(error)")
    }
    for m in results {
        let sorted = m.stepsPerSecondSamples.sorted()
        print(String(format: "%@ %9.0f steps/s  (median of %d × %d steps; range %.0f–%.0f)  allocations/step %.3f",
                     m.name.padding(toLength: 55, withPad: " ", startingAt: 0), m.stepsPerSecondMedian, repetitions,
                     steps, sorted.first ?? 0, sorted.last ?? 0, m.allocationsPerStep))
    }
    // Each learning-rate-free competitor relative to fixed AdamW measured in the same run (required: >= 0.6x).
    if let fixed = results.first(where: { $0.name == "mlp-784-256-256-10/adamw+fixed" }) {
        for m in results {
            let method = m.name.split(separator: "/").last.map(String.init) ?? ""
            guard m.name.hasPrefix("mlp-784-256-256-10/"), CompetitorMethod(rawValue: method) != nil else { continue }
            let ratio = m.stepsPerSecondMedian / fixed.stepsPerSecondMedian
            let note = m.divergedAtStep.map { "  (diverged at step \($0): later steps refused, rate not meaningful)" }
                ?? (ratio >= 0.6 ? "" : "  (below 0.6x)")
            print(String(format: "%@ %.2fx fixed AdamW%@", method.padding(toLength: 22, withPad: " ", startingAt: 0),
                         ratio, note))
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
    print(String(format: "m / sqrt(x), exact, SIMD8: %.2f G elements/s", result.sqrtDivisionsPerSecond / 1e9))
    for point in result.bandwidth {
        print(String(format: "working set %9d KiB: read %6.1f GB/s, triad %6.1f GB/s", point.workingSetBytes / 1024,
                     point.readGBps, point.triadGBps))
    }
    writeJSON(result, to: json)
}

func check(_ arguments: ArraySlice<String>) {
    var files: [String] = [], tolerance = 0.25
    var rest = arguments
    while let argument = rest.popFirst() {
        switch argument {
        case "--tolerance":
            guard let v = rest.popFirst().flatMap(Double.init), v >= 0, v < 1 else { fail("--tolerance needs a number in [0, 1)") }
            tolerance = v
        default: files.append(argument)
        }
    }
    guard files.count == 2 else { fail("usage: mobench-perf check BASELINE.json CURRENT.json [--tolerance T]") }
    func load(_ path: String) -> [Measurement] {
        guard let data = FileManager.default.contents(atPath: path),
              let values = try? JSONDecoder().decode([Measurement].self, from: data) else { fail("\(path): not a mobench-perf result") }
        return values
    }
    let baseline = Dictionary(load(files[0]).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    var regressions = 0
    print("| case | baseline steps/s | current steps/s | change | allocations/step | verdict |")
    print("|---|---:|---:|---:|---:|---|")
    for m in load(files[1]) {
        var verdict = "ok"
        var change = "–"
        if let b = baseline[m.name] {
            let ratio = m.stepsPerSecondMedian / b.stepsPerSecondMedian
            change = String(format: "%+.1f %%", (ratio - 1) * 100)
            if ratio < 1 - tolerance { verdict = "REGRESSION"; regressions += 1 }
            else if ratio > 1 + tolerance { verdict = "improved" }
        } else { verdict = "new" }
        if m.allocationsPerStep > 0 { verdict = "REGRESSION (allocates)"; regressions += 1 }
        print(String(format: "| %@ | %@ | %.0f | %@ | %.3f | %@ |", m.name,
                     baseline[m.name].map { String(format: "%.0f", $0.stepsPerSecondMedian) } ?? "–",
                     m.stepsPerSecondMedian, change, m.allocationsPerStep, verdict))
    }
    print(regressions == 0 ? "no throughput regression (tolerance \(Int(tolerance * 100)) %)" : "\(regressions) regression(s)")
    exit(regressions == 0 ? 0 : 1)
}

let usage = "usage: mobench-perf read-idx PATH [--repeat N] | training [--steps N] [--repetitions R] [--only S] [--json FILE] | machine [--json FILE] | check BASELINE CURRENT [--tolerance T] | diagnostics [--rounds R]"
let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "read-idx":
    readIDX(arguments.dropFirst())
case "training":
    training(arguments.dropFirst())
case "machine":
    machine(arguments.dropFirst())
case "check":
    check(arguments.dropFirst())
case "diagnostics":
    diagnostics(arguments.dropFirst())
default:
    fail(usage)
}
