import Foundation
import MetaOptimize
import Networks

/// A run's complete state at a step boundary, in one safetensors file (written atomically):
/// tensors `model.<name>` (weights) and `optimizer.<array>` (every array of the optimizer's exported
/// ``OptimizerState``, under the names the optimizer gives them); `__metadata__` holds `mobench_checkpoint`
/// (format 3; format 3 stores curve rows with the snake_case keys of `CurvePoint`), the resolved `config`, `stream_fingerprint`, `step` (completed steps), the metric accumulators
/// (`metrics`, JSON), the rest of the optimizer's state (`optimizer`, JSON: method, counters, scalars, the array
/// names) and `trace_bytes` (length of the partial trace at that step). Resuming restores all of it, so the finished run is bit-identical to an
/// uninterrupted one.
enum Checkpoint {
    struct Restored {
        var step: Int
        var metrics: OnlineMetrics
        var traceBytes: UInt64
        /// The diagnostics' state (nil when the run had diagnostics off).
        var diagnostics: RunDiagnostics.State?
    }

    /// The checkpoint format this version writes and reads.
    static let format = "3"

    static func write(to path: String, run: Run, step: Int, metrics: OnlineMetrics, traceBytes: UInt64,
                      diagnostics: RunDiagnostics.State? = nil) throws {
        var state = run.optimizer.exportState()
        var tensors: [(name: String, shape: [Int], values: [Float])] = run.network.parameterInfo.map { info in
            (name: "model.\(info.name)", shape: info.shape,
             values: Array(run.network.parameters[info.offset ..< info.offset + info.count]))
        }
        for k in state.arrays.indices {
            tensors.append((name: "optimizer.\(state.arrays[k].name)", shape: [state.arrays[k].values.count],
                            values: state.arrays[k].values))
            state.arrays[k].values = []
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var metadata = [
            "mobench_checkpoint": Self.format,
            "config": run.configuration.json(),
            "stream_fingerprint": run.stream.fingerprint,
            "step": String(step),
            "metrics": String(decoding: try encoder.encode(metrics), as: UTF8.self),
            "optimizer": String(decoding: try encoder.encode(state), as: UTF8.self),
            "trace_bytes": String(traceBytes),
        ]
        if let diagnostics { metadata["diagnostics"] = String(decoding: try encoder.encode(diagnostics), as: UTF8.self) }
        do {
            try Safetensors.write(tensors, metadata: CheckpointIntegrity.sealed(metadata, tensors: tensors), to: path)
        } catch {
            throw OutputError.checkpoint("\(path): cannot write checkpoint: \(error)")
        }
    }

    static func read(from path: String, run: Run) throws -> Restored {
        let file: (tensors: [(name: String, shape: [Int], values: [Float])], metadata: [String: String])
        do { file = try Safetensors.read(from: path) } catch {
            throw OutputError.checkpoint("\(path): unreadable checkpoint: \(error)")
        }
        let m = file.metadata
        guard let format = m["mobench_checkpoint"] else {
            throw OutputError.checkpoint("\(path): not a mobench checkpoint (no mobench_checkpoint format in its metadata)")
        }
        guard format == Self.format else {
            throw OutputError.checkpoint("\(path): checkpoint format \(format), expected \(Self.format) (written by another mobench version); run again without --resume")
        }
        try CheckpointIntegrity.verify(m, tensors: file.tensors, path: path)
        guard let configText = m["config"],
              let config = try? RunConfiguration.decode(json: Data(configText.utf8), source: path),
              config == run.configuration else {
            throw SettingError.invalid("\(path): the checkpoint belongs to a different configuration; use another --out or drop --resume")
        }
        guard m["stream_fingerprint"] == run.stream.fingerprint else {
            throw SettingError.invalid("\(path): the checkpoint's stream fingerprint differs from this run's data and stream")
        }
        guard let stepText = m["step"], let step = Int(stepText), step >= 0, step <= run.totalSteps,
              let traceText = m["trace_bytes"], let traceBytes = UInt64(traceText),
              let metricsText = m["metrics"], let optimizerText = m["optimizer"] else {
            throw OutputError.checkpoint("\(path): checkpoint metadata is incomplete")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let metrics = try? decoder.decode(OnlineMetrics.self, from: Data(metricsText.utf8)),
              var state = try? decoder.decode(OptimizerState.self, from: Data(optimizerText.utf8)) else {
            throw OutputError.checkpoint("\(path): checkpoint metadata is malformed")
        }
        var byName: [String: [Float]] = [:]
        for tensor in file.tensors { byName[tensor.name] = tensor.values }
        for info in run.network.parameterInfo {
            guard let values = byName["model.\(info.name)"], values.count == info.count else {
                throw OutputError.checkpoint("\(path): checkpoint lacks weights of \(info.name)")
            }
            for i in 0..<info.count { run.network.parameters[info.offset + i] = values[i] }
        }
        for k in state.arrays.indices {
            guard let values = byName["optimizer.\(state.arrays[k].name)"] else {
                throw OutputError.checkpoint("\(path): checkpoint lacks optimizer.\(state.arrays[k].name)")
            }
            state.arrays[k].values = values
        }
        do { try run.optimizer.restore(state) } catch {
            throw OutputError.checkpoint("\(path): optimizer state does not fit this run: \(error)")
        }
        var diagnostics: RunDiagnostics.State? = nil
        if let text = m["diagnostics"] {
            guard let state = try? decoder.decode(RunDiagnostics.State.self, from: Data(text.utf8)) else {
                throw OutputError.checkpoint("\(path): checkpoint diagnostics are malformed")
            }
            diagnostics = state
        }
        return Restored(step: step, metrics: metrics, traceBytes: traceBytes, diagnostics: diagnostics)
    }
}
