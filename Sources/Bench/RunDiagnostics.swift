import Datasets
import Diagnostics
import Foundation
import Networks
import Streams

/// When a run computes plasticity diagnostics (`--diagnostics`).
public enum DiagnosticsMode: String, Sendable, CaseIterable {
    /// None.
    case off
    /// At the end of each task (`result.json` `tasks[].diagnostics`).
    case task
    /// At the end of each task and of each curve bin (also `curve.csv` columns).
    case bin
}

/// An on/off setting.
enum Switch: String { case on, off }

/// A run's diagnostics: what the runner calls at each step, bin and task end, and what it keeps (checkpointed in
/// `State`). Reads the network only, so a run's trajectory is the same with any `--diagnostics`/`--plasticity`.
///
/// The probe set is the first `probeSize` (1,000) samples, in file order, of the task's test split (the evaluation
/// split; the streamed split itself when a run streams the test split), with the task's transform and no
/// augmentation, evaluated one sample at a time with the weights after the period's last update.
final class RunDiagnostics {
    /// Samples of the probe set.
    static let probeSize = 1000

    /// Everything that survives a checkpoint.
    struct State: Codable, Equatable {
        /// Per finished task, in task order.
        var tasks: [TaskEntry] = []
        /// Per closed curve bin (bin mode only), in step order.
        var bins: [DiagnosticsReport] = []
        var taskPeriod: PeriodStatistics
        var binPeriod: PeriodStatistics
    }

    struct TaskEntry: Codable, Equatable {
        var task: Int
        var report: DiagnosticsReport
    }

    let mode: DiagnosticsMode
    let plasticity: Bool
    var state: State
    private let probe: Probe
    private let stream: TaskStream
    private let probeData: Dataset
    private let input: UnsafeMutableBufferPointer<Float>
    private let label: UnsafeMutableBufferPointer<Int32>
    private let lossesBefore: UnsafeMutableBufferPointer<Float>
    /// The last probe's step and report, reused when a task and a bin end at the same step.
    private var lastProbe: (step: Int, report: DiagnosticsReport)?
    /// Probe samples already recorded from the task-end test evaluation's forward passes (nil: not collecting).
    private var shared: Int?

    /// nil when diagnostics are off.
    init?(run: Run) {
        mode = run.validated.diagnostics
        guard mode != .off else { return nil }
        plasticity = run.validated.measuresPlasticity
        let tensors = run.network.parameterInfo.count
        state = State(taskPeriod: PeriodStatistics(tensors: tensors), binPeriod: PeriodStatistics(tensors: tensors))
        probe = Probe(layers: run.network.hiddenLayers, capacity: Self.probeSize)
        stream = run.stream
        probeData = run.test ?? run.train
        input = .allocate(capacity: probeData.sampleSize)
        label = .allocate(capacity: 1)
        lossesBefore = .allocate(capacity: run.configuration.batchSize)
    }

    deinit {
        input.deallocate()
        label.deallocate()
        lossesBefore.deallocate()
    }

    /// After `trainStep`, before the optimizer step: the gradient norms.
    func afterBackward(_ network: Network) {
        state.taskPeriod.recordGradients(of: network)
        if mode == .bin { state.binPeriod.recordGradients(of: network) }
    }

    /// After the update and after the step's losses were recorded: with `--plasticity on`, the same samples' losses
    /// right after the update (one more forward pass).
    func afterUpdate(_ network: Network, inputs: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>,
                     batchSize: Int) {
        guard plasticity else { return }
        let before = network.lastLosses
        for b in 0..<batchSize { lossesBefore[b] = before[b] }
        network.evaluate(inputs: inputs, labels: labels, batchSize: batchSize)
        let after = network.lastLosses
        for b in 0..<batchSize {
            state.taskPeriod.recordPlasticity(before: lossesBefore[b], after: after[b])
            if mode == .bin { state.binPeriod.recordPlasticity(before: lossesBefore[b], after: after[b]) }
        }
    }

    /// At the end of a task, before its test evaluation: the evaluation's forward passes (the same samples in the
    /// same order, same weights) fill the probe, so it needs no passes of its own for them.
    func beginTask(step: Int) {
        guard lastProbe?.step != step else { return }
        probe.reset()
        shared = 0
    }

    /// The test evaluation's last forward pass (one sample), recorded while the probe still needs samples.
    func recordEvaluation(_ network: Network) {
        guard let count = shared, count < Self.probeSize else { return }
        probe.record(network)
        shared = count + 1
    }

    /// At the end of task `task` (after its last update and its test evaluation, `step` steps done).
    func endTask(_ task: Int, step: Int, network: Network) {
        state.tasks.append(TaskEntry(task: task, report: report(state.taskPeriod, task: task, step: step, network: network)))
        state.taskPeriod.reset()
    }

    /// When a curve bin closes (bin mode only; `task` = the task of its last step).
    func endBin(task: Int, step: Int, network: Network) {
        guard mode == .bin else { return }
        state.bins.append(report(state.binPeriod, task: task, step: step, network: network))
        state.binPeriod.reset()
    }

    private func report(_ period: PeriodStatistics, task: Int, step: Int, network: Network) -> DiagnosticsReport {
        if lastProbe?.step != step {
            let done = shared ?? 0
            if shared == nil { probe.reset() }
            shared = nil
            var samples = stream.evaluationSamples(task: task, in: probeData)
            if samples.count > Self.probeSize { samples.removeLast(samples.count - Self.probeSize) }
            for (index, presented) in samples.dropFirst(done) {
                stream.writeEvaluationInput(sampleIndex: index, task: task, from: probeData, into: input)
                label[0] = Int32(presented)
                network.evaluate(inputs: UnsafeBufferPointer(input), labels: UnsafeBufferPointer(label), batchSize: 1)
                probe.record(network)
            }
            lastProbe = (step, period.report(probe: probe, network: network))
        }
        // The probe part is the same for a task and a bin ending at this step; the averages are the period's own.
        var result = lastProbe!.report
        result.steps = period.steps
        result.gradientNorm = period.meanGradientNorm
        result.tensorGradientNorm = period.meanTensorGradientNorms(names: network.parameterInfo.map(\.name))
        result.plasticity = period.meanPlasticity
        return result
    }

    /// `tasks` with each finished task's diagnostics attached.
    func attach(to tasks: [RunResult.TaskResult]) -> [RunResult.TaskResult] {
        var byTask: [Int: DiagnosticsReport] = [:]
        for entry in state.tasks { byTask[entry.task] = entry.report }
        return tasks.map { var t = $0; t.diagnostics = byTask[t.task]; return t }
    }

    /// `curve.csv` with the diagnostics columns appended (bin mode; otherwise unchanged): per hidden layer
    /// `dead_<layer>` (fraction), then `dead_fraction`, `effective_rank`, `approximate_rank`, `gradient_norm`,
    /// `mean_abs_<tensor>` per tensor, and `plasticity` with `--plasticity on`. Empty cells where not defined.
    func curveCSV(_ csv: String) -> String {
        guard mode == .bin else { return csv }
        var lines = csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { return csv }
        let layers = probe.layers.map(\.name)
        let tensors = state.bins.first?.meanAbsWeight.map(\.tensor) ?? []
        var header = layers.map { "dead_\($0)" } + ["dead_fraction", "effective_rank", "approximate_rank", "gradient_norm"]
        header += tensors.map { "mean_abs_\($0)" }
        if plasticity { header.append("plasticity") }
        lines[0] += "," + header.joined(separator: ",")
        func cell(_ value: Double?) -> String { value.map(csvNumber) ?? "" }
        for (row, report) in zip(1..<lines.count, state.bins) {
            var cells = report.deadUnits.map { cell($0.fraction) }
            cells += [cell(report.deadFraction), cell(report.effectiveRank), report.approximateRank.map(String.init) ?? "",
                      cell(report.gradientNorm)]
            cells += report.meanAbsWeight.map { cell($0.value) }
            if plasticity { cells.append(cell(report.plasticity)) }
            lines[row] += "," + cells.joined(separator: ",")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
