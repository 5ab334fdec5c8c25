import Foundation
import MetaOptimize
import Networks

/// A run's complete state at a step boundary, in one safetensors file (written atomically):
/// tensors `model.<name>` (weights) and `optimizer.<array>` (trace, moments, β, …); `__metadata__` holds
/// `mobench_checkpoint` (format 1), the resolved `config`, `stream_fingerprint`, `step` (completed steps), the
/// metric accumulators (`metrics`, JSON), the optimizer's scalars (`optimizer`, JSON) and `trace_bytes` (length of
/// the partial trace at that step). Resuming restores all of it, so the finished run is bit-identical to an
/// uninterrupted one.
enum Checkpoint {
    struct Restored {
        var step: Int
        var metrics: OnlineMetrics
        var traceBytes: UInt64
    }

    static let arrayNames = ["logStepSizes", "trace", "firstMoment", "secondMoment", "metaFirstMoment",
                             "metaSecondMoment", "metaGradients"]

    static func arrays(of state: OptimizerState) -> [[Float]] {
        [state.logStepSizes, state.trace, state.firstMoment, state.secondMoment, state.metaFirstMoment,
         state.metaSecondMoment, state.metaGradients]
    }

    static func write(to path: String, run: Run, step: Int, metrics: OnlineMetrics, traceBytes: UInt64) throws {
        var tensors: [(name: String, shape: [Int], values: [Float])] = run.network.parameterInfo.map { info in
            (name: "model.\(info.name)", shape: info.shape,
             values: Array(run.network.parameters[info.offset ..< info.offset + info.count]))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let optimizerJSON: String
        if let exact = run.optimizer as? ExactHessianMetaOptimizer {
            let parts = try ExactCheckpoint.parts(exact)
            tensors += parts.tensors
            optimizerJSON = parts.json
        } else {
            var state = (run.optimizer as! MetaOptimizer).exportState()
            for (name, values) in zip(arrayNames, arrays(of: state)) {
                tensors.append((name: "optimizer.\(name)", shape: [values.count], values: values))
            }
            state.logStepSizes = []; state.trace = []; state.firstMoment = []; state.secondMoment = []
            state.metaFirstMoment = []; state.metaSecondMoment = []; state.metaGradients = []
            optimizerJSON = String(decoding: try encoder.encode(state), as: UTF8.self)
        }
        let metadata = [
            "mobench_checkpoint": "1",
            "config": run.configuration.json(),
            "stream_fingerprint": run.stream.fingerprint,
            "step": String(step),
            "metrics": String(decoding: try encoder.encode(metrics), as: UTF8.self),
            "optimizer": optimizerJSON,
            "trace_bytes": String(traceBytes),
        ]
        do {
            try Safetensors.write(tensors, metadata: metadata, to: path)
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
        guard m["mobench_checkpoint"] == "1" else {
            throw OutputError.checkpoint("\(path): not a mobench checkpoint (format 1)")
        }
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
        guard let metrics = try? decoder.decode(OnlineMetrics.self, from: Data(metricsText.utf8)) else {
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
        if let exact = run.optimizer as? ExactHessianMetaOptimizer {
            try ExactCheckpoint.restore(exact, json: optimizerText, tensors: byName, path: path)
            return Restored(step: step, metrics: metrics, traceBytes: traceBytes)
        }
        guard var state = try? decoder.decode(OptimizerState.self, from: Data(optimizerText.utf8)) else {
            throw OutputError.checkpoint("\(path): checkpoint metadata is malformed")
        }
        func array(_ name: String) throws -> [Float] {
            guard let values = byName["optimizer.\(name)"] else {
                throw OutputError.checkpoint("\(path): checkpoint lacks optimizer.\(name)")
            }
            return values
        }
        state.logStepSizes = try array("logStepSizes"); state.trace = try array("trace")
        state.firstMoment = try array("firstMoment"); state.secondMoment = try array("secondMoment")
        state.metaFirstMoment = try array("metaFirstMoment"); state.metaSecondMoment = try array("metaSecondMoment")
        state.metaGradients = try array("metaGradients")
        do { try (run.optimizer as! MetaOptimizer).restore(state) } catch {
            throw OutputError.checkpoint("\(path): optimizer state does not fit this run: \(error)")
        }
        return Restored(step: step, metrics: metrics, traceBytes: traceBytes)
    }
}
