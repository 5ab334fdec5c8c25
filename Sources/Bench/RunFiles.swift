import Foundation
import Streams

/// Shortest round-trip text of a number, as written in CSV files ("nan" for NaN).
@inline(__always)
func csvNumber(_ value: Double) -> String { value.isNaN ? "nan" : "\(value)" }
@inline(__always)
func csvNumber(_ value: Float) -> String { value.isNaN ? "nan" : "\(value)" }

/// `curve.csv`: `step,task,online_loss,online_accuracy,cumulative_accuracy,<step-size columns>`.
public enum CurveFile {
    public static func csv(_ rows: [OnlineMetrics.CurveRow], columns: [String]) -> String {
        var text = (["step", "task", "online_loss", "online_accuracy", "cumulative_accuracy"] + columns)
            .joined(separator: ",") + "\n"
        for row in rows {
            text += ([String(row.step), String(row.task), csvNumber(row.onlineLoss), csvNumber(row.onlineAccuracy),
                      csvNumber(row.cumulativeAccuracy)] + row.stepSizes.map(csvNumber)).joined(separator: ",") + "\n"
        }
        return text
    }
}

/// Streams the per-step trace to `PATH.partial`, renamed to `PATH` when the run completes. Columns:
/// `step,task,sample_index,label,loss,correct,<step-size columns>` (the optimizer's
/// ``StepSizeReport/traceColumns``: for MetaOptimize β used in that step's base update), values in Float32 text.
final class TraceWriter {
    let path: String
    let partialPath: String
    var descriptor: Int32
    var buffer: [UInt8] = []
    var written: UInt64
    /// The first write error (reported by the next `flush` or `close`; rows after it are dropped).
    var failure: Error?

    init(path: String, columns: [String], resumeAtByte: UInt64?) throws {
        self.path = path
        partialPath = path + ".partial"
        if let offset = resumeAtByte {
            let fd = open(partialPath, O_WRONLY)
            guard fd >= 0 else {
                throw OutputError.checkpoint("\(partialPath): the trace of the interrupted run is missing; cannot resume it")
            }
            guard ftruncate(fd, off_t(offset)) == 0, lseek(fd, off_t(offset), SEEK_SET) >= 0 else {
                let reason = String(cString: strerror(errno))
                Foundation.close(fd)
                throw OutputError.writeFailed(path: partialPath, reason: reason)
            }
            descriptor = fd
            written = offset
        } else {
            let fd = open(partialPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw OutputError.writeFailed(path: partialPath, reason: String(cString: strerror(errno))) }
            descriptor = fd
            written = 0
            buffer.append(contentsOf: ((["step", "task", "sample_index", "label", "loss", "correct"] + columns)
                .joined(separator: ",") + "\n").utf8)
        }
        buffer.reserveCapacity(1 << 16)
    }

    deinit { if descriptor >= 0 { Foundation.close(descriptor) } }

    func writeRow(step: Int, sample: StreamSample, loss: Float, correct: Bool, stepSizes: UnsafeBufferPointer<Double>) {
        let fields = [String(step), String(sample.task), String(sample.sampleIndex), String(sample.label),
                      csvNumber(loss), correct ? "1" : "0"] + stepSizes.map { csvNumber(Float($0)) }
        buffer.append(contentsOf: (fields.joined(separator: ",") + "\n").utf8)
        if buffer.count > 1 << 16 { try? drain() }
    }

    private func drain() throws {
        if let failure { throw failure }
        do {
            try buffer.withUnsafeBytes { try writeAll(descriptor, $0, path: partialPath) }
        } catch {
            failure = error
            buffer.removeAll(keepingCapacity: true)
            throw error
        }
        written += UInt64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes buffered rows; returns the byte length of the trace so far.
    func flush() throws -> UInt64 {
        try drain()
        guard fsync(descriptor) == 0 else {
            throw OutputError.writeFailed(path: partialPath, reason: String(cString: strerror(errno)))
        }
        return written
    }

    func close(complete: Bool) throws {
        try drain()
        let status = Foundation.close(descriptor)
        descriptor = -1
        guard status == 0 else { throw OutputError.writeFailed(path: partialPath, reason: String(cString: strerror(errno))) }
        if complete {
            guard rename(partialPath, path) == 0 else {
                throw OutputError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
        }
    }
}

import Streams
