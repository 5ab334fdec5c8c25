import Foundation
import MetaOptimize

/// How step sizes appear in `curve.csv`, the trace and `result.json`:
/// - one group (scalar): `step_size` (α = exp(β) × schedule factor) / trace `log_step_size` (β);
/// - a few groups (blocks, last-layer-and-others, layerwise): `step_size_0`, `step_size_1`, … / `log_step_size_k`;
/// - per-node or per-weight groups: `log_step_size_mean`, `log_step_size_min`, `log_step_size_max` (of β).
public struct StepSizeColumns: Sendable {
    public enum Kind: Sendable, Equatable { case single, perGroup(Int), summary }
    public let kind: Kind
    /// Names of the reported step-size series: the optimizer's group names (`all`, `block0`, `conv1.weight`, …),
    /// or `mean`, `min`, `max` of β for nodewise and weightwise step sizes.
    public let groupNames: [String]

    public init(optimizer: any RunnableOptimizer) {
        switch optimizer.configuration.granularity {
        case .nodewise, .weightwise:
            kind = .summary
            groupNames = ["mean", "min", "max"]
        default:
            kind = optimizer.groupCount == 1 ? .single : .perGroup(optimizer.groupCount)
            groupNames = (0..<optimizer.groupCount).map(optimizer.groupName)
        }
    }

    public var curveHeader: [String] {
        switch kind {
        case .single: return ["step_size"]
        case .perGroup(let n): return (0..<n).map { "step_size_\($0)" }
        case .summary: return ["log_step_size_mean", "log_step_size_min", "log_step_size_max"]
        }
    }

    public var traceHeader: [String] {
        switch kind {
        case .single: return ["log_step_size", "meta_gradient"]
        case .perGroup(let n): return (0..<n).map { "log_step_size_\($0)" } + (0..<n).map { "meta_gradient_\($0)" }
        case .summary: return ["log_step_size_mean", "log_step_size_min", "log_step_size_max"]
        }
    }

    /// Curve values after the steps completed so far: α = exp(β)·schedule factor per group (what the next step
    /// uses), or the mean/min/max of β.
    public func values(optimizer: any RunnableOptimizer) -> [Double] {
        switch kind {
        case .single, .perGroup: return (0..<optimizer.groupCount).map(optimizer.stepSize(group:))
        case .summary: return finalLogStepSizes(optimizer: optimizer)
        }
    }

    /// β per group, or the mean/min/max of β for nodewise and weightwise step sizes.
    public func finalLogStepSizes(optimizer: any RunnableOptimizer) -> [Double] {
        let betas = optimizer.logStepSizes
        switch kind {
        case .single, .perGroup: return betas.map(Double.init)
        case .summary: return betas.withUnsafeBufferPointer(Self.summary)
        }
    }

    /// Mean (accumulated in Double, in order), min and max of β.
    static func summary(_ betas: UnsafeBufferPointer<Float>) -> [Double] {
        var sum = 0.0, low = Float.infinity, high = -Float.infinity
        for b in betas { sum += Double(b); low = min(low, b); high = max(high, b) }
        return [betas.isEmpty ? .nan : sum / Double(betas.count), Double(low), Double(high)]
    }

    /// Trace values: β per group, or the β summary.
    func traceValues(_ betas: UnsafeBufferPointer<Float>) -> [Double] {
        switch kind {
        case .single, .perGroup: return betas.map(Double.init)
        case .summary: return Self.summary(betas)
        }
    }
}

/// Shortest round-trip text of a number, as written in CSV files ("nan" for NaN).
@inline(__always)
func csvNumber(_ value: Double) -> String { value.isNaN ? "nan" : "\(value)" }
@inline(__always)
func csvNumber(_ value: Float) -> String { value.isNaN ? "nan" : "\(value)" }

/// `curve.csv`: `step,task,online_loss,online_accuracy,cumulative_accuracy,<step-size columns>`.
public enum CurveFile {
    public static func csv(_ rows: [OnlineMetrics.CurveRow], columns: StepSizeColumns) -> String {
        var text = (["step", "task", "online_loss", "online_accuracy", "cumulative_accuracy"] + columns.curveHeader)
            .joined(separator: ",") + "\n"
        for row in rows {
            text += ([String(row.step), String(row.task), csvNumber(row.onlineLoss), csvNumber(row.onlineAccuracy),
                      csvNumber(row.cumulativeAccuracy)] + row.stepSizes.map(csvNumber)).joined(separator: ",") + "\n"
        }
        return text
    }
}

/// Streams the per-step trace to `PATH.partial`, renamed to `PATH` when the run completes. Columns:
/// `step,task,sample_index,label,loss,correct,<log step size columns>` (β used in that step's base update).
final class TraceWriter {
    let path: String
    let partialPath: String
    let handle: FileHandle
    var buffer: [UInt8] = []
    var written: UInt64

    init(path: String, columns: [String], resumeAtByte: UInt64?) throws {
        self.path = path
        partialPath = path + ".partial"
        let fm = FileManager.default
        if let offset = resumeAtByte {
            guard let h = FileHandle(forUpdatingAtPath: partialPath) else {
                throw OutputError.checkpoint("\(partialPath): the trace of the interrupted run is missing; cannot resume it")
            }
            try h.truncate(atOffset: offset)
            try h.seekToEnd()
            handle = h
            written = offset
        } else {
            guard fm.createFile(atPath: partialPath, contents: nil), let h = FileHandle(forWritingAtPath: partialPath) else {
                throw OutputError.cannotWrite(partialPath)
            }
            handle = h
            written = 0
            buffer.append(contentsOf: ((["step", "task", "sample_index", "label", "loss", "correct"] + columns)
                .joined(separator: ",") + "\n").utf8)
        }
        buffer.reserveCapacity(1 << 16)
    }

    /// One row: the sample, its pre-update loss, β_t used at this step and (block granularities) z_t, the
    /// meta-gradient this step fed to the meta rule.
    func writeRow(step: Int, sample: StreamSample, loss: Float, correct: Bool, logStepSizes: UnsafeBufferPointer<Float>,
                  metaGradients: UnsafeBufferPointer<Float>, columns: StepSizeColumns) {
        var fields = [String(step), String(sample.task), String(sample.sampleIndex), String(sample.label),
                      csvNumber(loss), correct ? "1" : "0"] + columns.traceValues(logStepSizes).map { csvNumber(Float($0)) }
        if columns.kind != .summary { fields += metaGradients.map(csvNumber) }
        buffer.append(contentsOf: (fields.joined(separator: ",") + "\n").utf8)
        if buffer.count > 1 << 16 { try? drain() }
    }

    private func drain() throws {
        try handle.write(contentsOf: buffer)
        written += UInt64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes buffered rows; returns the byte length of the trace so far.
    func flush() throws -> UInt64 {
        try drain()
        try handle.synchronize()
        return written
    }

    func close(complete: Bool) throws {
        try drain()
        try handle.close()
        if complete {
            guard rename(partialPath, path) == 0 else { throw OutputError.cannotWrite(path) }
        }
    }
}

import Streams
