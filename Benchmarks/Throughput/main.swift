// mobench-perf: throughput benchmarks, one subcommand each.
//
//   mobench-perf read-idx PATH [--repeat N] [--engine builtin|zlib]
//       Reads an IDX images file (decompress + parse + validate) N times (default 7) and prints the median
//       wall-clock seconds as `median_seconds=<value>`, plus the per-run times.
import Datasets

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

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "read-idx":
    readIDX(arguments.dropFirst())
default:
    fail("usage: mobench-perf read-idx PATH [--repeat N] [--engine builtin|zlib]")
}
