import Diagnostics
import Foundation
import Networks

/// What `--diagnostics task` adds to a task of the default suite (MLP 784-128-128-10, batch 1, 2,500 steps per
/// task, 1,000 test samples evaluated at the task's end), measured by its parts, interleaved round by round:
/// - `train`: 2,500 training steps (forward, backward, optimizer step);
/// - `evaluate`: the task-end test evaluation, 1,000 batch-1 forward passes (the probe reuses them);
/// - `gradient-norms`: 2,500 × `PeriodStatistics.recordGradients` (the per-step part of the diagnostics);
/// - `probe`: 1,000 × `Probe.record` and the report (dead units, Gram + LAPACK eigenvalues, ranks, mean |w|).
/// Overhead = (gradient-norms + probe) / (train + evaluate), from the medians.
enum DiagnosticsBenchmarks {
    static func run(rounds: Int, alpha: Bool) throws {
        let mlp = ModelSpec.mlp(hidden: [128, 128])
        let c = TrainingCase(name: "mlp-784-128-128-10/adamw+\(alpha ? "adam" : "fixed")", model: mlp,
                             input: InputShape(channels: 1, height: 28, width: 28), classes: 10,
                             optimizer: TrainingBenchmarks.optimizer(base: .adamw, meta: alpha ? .adam : .fixed))
        let p = try TrainingBenchmarks.Prepared(c)
        let network = p.network
        let probe = Probe(layers: network.hiddenLayers, capacity: 1000)
        var statistics = PeriodStatistics(tensors: network.parameterInfo.count)
        let size = p.size
        let label = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 1)
        defer { label.deallocate() }
        for _ in 0..<2500 { p.step() }
        var times: [String: [Double]] = [:]
        var sink = 0.0
        func time(_ name: String, _ body: () -> Void) {
            let start = monotonicSeconds()
            body()
            times[name, default: []].append(monotonicSeconds() - start)
        }
        for _ in 0..<rounds {
            time("train") { for _ in 0..<2500 { p.step() } }
            time("gradient-norms") { for _ in 0..<2500 { statistics.recordGradients(of: network) } }
            time("evaluate") {
                for i in 0..<1000 {
                    label[0] = Int32(i % 10)
                    network.evaluate(inputs: UnsafeBufferPointer(rebasing: p.inputs[(i & 15) * size ..< ((i & 15) + 1) * size]),
                                     labels: UnsafeBufferPointer(label), batchSize: 1)
                }
            }
            time("probe") {
                probe.reset()
                for _ in 0..<1000 { probe.record(network) }
                sink += statistics.report(probe: probe, network: network).effectiveRank ?? 0
            }
            statistics.reset()
        }
        func median(_ name: String) -> Double { TrainingBenchmarks.median(times[name]!) }
        print("case \(c.name), \(rounds) interleaved rounds, medians per task (2,500 steps, 1,000 test samples):")
        for name in ["train", "evaluate", "gradient-norms", "probe"] {
            print("  " + name.padding(toLength: 15, withPad: " ", startingAt: 0) + String(format: "%8.2f ms", median(name) * 1000))
        }
        let overhead = (median("gradient-norms") + median("probe")) / (median("train") + median("evaluate"))
        print(String(format: "diagnostics task / off = %.4f (+%.2f %%)", 1 + overhead, overhead * 100))
        if sink.isNaN { print("") }
    }
}

func diagnostics(_ arguments: ArraySlice<String>) {
    var rounds = 15
    var rest = arguments
    while let argument = rest.popFirst() {
        switch argument {
        case "--rounds": guard let v = rest.popFirst().flatMap(Int.init), v > 0 else { fail("--rounds needs a positive integer") }; rounds = v
        default: fail("usage: mobench-perf diagnostics [--rounds R]")
        }
    }
    do {
        try DiagnosticsBenchmarks.run(rounds: rounds, alpha: false)
        try DiagnosticsBenchmarks.run(rounds: rounds, alpha: true)
    } catch { fail("\(error)") }
}
