import Datasets
import Diagnostics
import Foundation
import MetaOptimize
import Networks
import Streams

/// Where a run writes and what it resumes from.
public struct RunOptions: Sendable {
    /// Folder for `result.json`, `curve.csv` and `checkpoint.safetensors`.
    public var outDirectory: String?
    /// Per-step CSV trace.
    public var tracePath: String?
    /// Initial weights (safetensors) instead of the seeded initialisation.
    public var initPath: String?
    /// Final weights (safetensors).
    public var savePath: String?
    /// Write a checkpoint every N optimizer steps (needs `outDirectory`).
    public var checkpointEvery: Int?
    /// Continue from `outDirectory/checkpoint.safetensors` when present.
    public var resume: Bool
    /// Folder against which dataset names and relative paths are resolved.
    public var workingDirectory: String
    /// Batch 1: hand linear-layer weight gradients to the optimizer as outer products (bit-identical; false runs
    /// the dense path, for tests that compare the two).
    var fusedBatchOne = true

    public init(outDirectory: String? = nil, tracePath: String? = nil, initPath: String? = nil, savePath: String? = nil,
                checkpointEvery: Int? = nil, resume: Bool = false,
                workingDirectory: String = FileManager.default.currentDirectoryPath) {
        self.outDirectory = outDirectory
        self.tracePath = tracePath
        self.initPath = initPath
        self.savePath = savePath
        self.checkpointEvery = checkpointEvery
        self.resume = resume
        self.workingDirectory = workingDirectory
    }
}

/// Receives progress of a run (the CLI draws a bar or prints lines).
public protocol RunProgress: AnyObject {
    func update(step: Int, totalSteps: Int, recentLoss: Double)
    func finish()
}

/// One run: stream → model → online loss before the update → optimizer step.
public final class Run {
    public let validated: ValidatedConfiguration
    /// The fully resolved configuration (task length filled in from the stream).
    public let configuration: RunConfiguration
    public let train: Dataset
    public let test: Dataset?
    public let stream: TaskStream
    public let network: Network
    /// The method (`--optimizer`), seen only through the ``Optimizer`` interface.
    public let optimizer: any Optimizer
    /// The current step's batch, for optimizers that take Hessian-vector products (``OptimizerContext``).
    let hessianBatch = HessianBatch()
    /// Optimizer steps of the whole run: tasks × taskLength / batchSize.
    public let totalSteps: Int
    /// How the optimizer reports its step sizes (curve, trace and result columns).
    public var stepSizeReport: StepSizeReport { optimizer.stepSizeReport }

    /// Reads the data and builds stream, model and optimizer. Throws `SettingError` for invalid settings and the
    /// readers' errors for bad data.
    public convenience init(_ validated: ValidatedConfiguration, options: RunOptions) throws {
        let c = validated.configuration
        let train = try DatasetLoader.load(c.data, split: validated.split, labelKind: validated.labelKind,
                                           workingDirectory: options.workingDirectory)
        let test = validated.split == .train
            ? try DatasetLoader.load(c.data, split: .test, labelKind: validated.labelKind,
                                     workingDirectory: options.workingDirectory)
            : nil
        try self.init(validated, train: train, test: test, options: options)
    }

    /// Builds a run on datasets already read (`test` is the split evaluated at the end of each task).
    public init(_ validated: ValidatedConfiguration, train: Dataset, test: Dataset?, options: RunOptions) throws {
        self.validated = validated
        let c = validated.configuration
        self.train = train
        self.test = test
        do {
            stream = try TaskStream(dataset: train, spec: validated.streamSpec)
        } catch let error as StreamError {
            throw SettingError.invalid(error.description)
        }
        guard stream.taskLength % c.batchSize == 0 else {
            throw SettingError.invalid("task length \(stream.taskLength) must be a multiple of --batch-size \(c.batchSize)")
        }
        totalSteps = stream.totalSamples / c.batchSize
        var resolved = c
        resolved.taskLength = stream.taskLength
        configuration = resolved
        do {
            network = try Network(spec: validated.model,
                                  input: InputShape(channels: train.channels, height: train.height, width: train.width),
                                  classes: stream.outputCount, maxBatchSize: c.batchSize,
                                  computeDiagonalHessian: validated.optimizerKind.needsDiagonalHessian(validated))
        } catch {
            throw SettingError.invalid("--model \(c.model): \(error)")
        }
        var generator = RandomKey.generator(seed: c.seed, domain: .initialisation)
        network.initialize(using: &generator)
        if let initPath = options.initPath { try network.loadWeights(from: initPath) }
        let tensors = network.parameterInfo.map { TensorDescriptor(name: $0.name, shape: $0.shape) }
        optimizer = try validated.optimizerKind.make(OptimizerContext(
            tensors: tensors, configuration: validated, totalSteps: totalSteps,
            diagonalHessian: network.diagonalHessian?.baseAddress, network: network, hessianBatch: hessianBatch))
    }

    /// Runs to the end (or until `shouldStop` returns true: then a checkpoint is written when enabled and nil is
    /// returned). Writes the files named in `options`.
    public func run(options: RunOptions, progress: RunProgress? = nil,
                    shouldStop: () -> Bool = { false }) throws -> RunResult? {
        let c = configuration
        let batch = c.batchSize
        let sampleSize = train.sampleSize
        if let out = options.outDirectory {
            do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
                throw OutputError.cannotCreateDirectory(out)
            }
        }
        if options.checkpointEvery != nil && options.outDirectory == nil {
            throw SettingError.invalid("--checkpoint-every needs --out DIR (the checkpoint is written there)")
        }
        let checkpointPath = options.outDirectory.map { ($0 as NSString).appendingPathComponent("checkpoint.safetensors") }

        var metrics = OnlineMetrics()
        var startStep = 0
        var traceBytes: UInt64 = 0
        let diagnostics = RunDiagnostics(run: self)
        if options.resume, let checkpointPath, FileManager.default.fileExists(atPath: checkpointPath) {
            let restored = try Checkpoint.read(from: checkpointPath, run: self)
            metrics = restored.metrics
            startStep = restored.step
            traceBytes = restored.traceBytes
            if let diagnostics {
                guard let state = restored.diagnostics else {
                    throw OutputError.checkpoint("\(checkpointPath): checkpoint lacks the diagnostics state")
                }
                diagnostics.state = state
            }
        }
        let trace = try options.tracePath.map {
            try TraceWriter(path: $0, columns: stepSizeReport.traceColumns, resumeAtByte: startStep > 0 ? traceBytes : nil)
        }

        let inputs = UnsafeMutableBufferPointer<Float>.allocate(capacity: batch * sampleSize)
        let labels = UnsafeMutableBufferPointer<Int32>.allocate(capacity: batch)
        let traceStepSizes = UnsafeMutableBufferPointer<Double>.allocate(capacity: stepSizeReport.traceColumns.count)
        let curveStepSizes = UnsafeMutableBufferPointer<Double>.allocate(capacity: stepSizeReport.curveColumns.count)
        var batchSamples = [StreamSample](repeating: StreamSample(position: 0, task: 0, sampleIndex: 0, label: 0, originalLabel: 0), count: batch)
        // The training weights, set aside while a method with a separate evaluation point is evaluated there.
        let trainingWeights = UnsafeMutableBufferPointer<Float>.allocate(
            capacity: optimizer.hasSeparateEvaluationPoint ? network.parameterCount : 0)
        defer {
            inputs.deallocate(); labels.deallocate(); traceStepSizes.deallocate(); curveStepSizes.deallocate()
            trainingWeights.deallocate()
        }
        func stepSizes() -> [Double] {
            optimizer.curveStepSizes(into: curveStepSizes)
            return Array(curveStepSizes)
        }

        let outerProducts = options.fusedBatchOne && batch == 1 && !network.computesDiagonalHessian
            ? network.outerProductBlocks : nil
        let clock = ContinuousClock()
        let started = clock.now
        var divergedAt: Int? = nil
        var step = startStep
        var recentLoss = Double.nan
        while step < totalSteps {
            if shouldStop() {
                if let checkpointPath, options.checkpointEvery != nil {
                    try Checkpoint.write(to: checkpointPath, run: self, step: step, metrics: metrics,
                                         traceBytes: try trace?.flush() ?? 0, diagnostics: diagnostics?.state)
                }
                try trace?.close(complete: false)
                progress?.finish()
                return nil
            }
            for b in 0..<batch {
                let sample = stream.sample(at: step * batch + b)
                batchSamples[b] = sample
                labels[b] = Int32(sample.label)
                stream.writeInput(for: sample, into: UnsafeMutableBufferPointer(rebasing: inputs[(b * sampleSize)...]))
            }
            let loss = network.trainStep(inputs: UnsafeBufferPointer(inputs), labels: UnsafeBufferPointer(labels),
                                         batchSize: batch, weightGradients: outerProducts == nil ? .dense : .outerProducts)
            diagnostics?.afterBackward(network)
            hessianBatch.inputs = UnsafeBufferPointer(inputs)
            hessianBatch.batchSize = batch
            let updated: Bool
            if let outerProducts {
                // Batch 1: the linear layers' weight gradients stay δ ⊗ x; the optimizer forms them in its pass.
                updated = optimizer.step(weights: network.parameters, gradients: network.gradients,
                                         outerProducts: outerProducts, loss: loss)
            } else {
                updated = optimizer.step(weights: network.parameters, gradients: UnsafeBufferPointer(network.gradients),
                                         loss: loss)
            }
            if !updated {
                divergedAt = step + 1
                break
            }
            let losses = network.lastLosses, predictions = network.lastPredictions
            if trace != nil { optimizer.traceStepSizes(into: traceStepSizes) }
            for b in 0..<batch {
                metrics.record(loss: losses[b], correct: predictions[b] == labels[b], task: batchSamples[b].task)
                trace?.writeRow(step: step + 1, sample: batchSamples[b], loss: losses[b],
                                correct: predictions[b] == labels[b], stepSizes: UnsafeBufferPointer(traceStepSizes))
            }
            diagnostics?.afterUpdate(network, inputs: UnsafeBufferPointer(inputs), labels: UnsafeBufferPointer(labels),
                                     batchSize: batch)
            recentLoss = recentLoss.isNaN ? Double(loss) : 0.99 * recentLoss + 0.01 * Double(loss)
            step += 1
            let task = batchSamples[batch - 1].task
            if metrics.endStep(logEvery: c.logEvery) {
                metrics.closeBin(task: task, stepSizes: stepSizes())
                diagnostics?.endBin(task: task, step: step, network: network)
            }
            if (step * batch) % stream.taskLength == 0 { diagnostics?.beginTask(step: step) }
            if (step * batch) % stream.taskLength == 0, let test {
                // The diagnostics probe the network at its training weights, reusing this evaluation's forward passes.
                let (accuracy, count) = evaluate(task: task, on: test, into: inputs, labels: labels, probe: diagnostics)
                if optimizer.hasSeparateEvaluationPoint {
                    // Schedule-free: test accuracy at the evaluation point x, and at the training point y.
                    _ = trainingWeights.update(fromContentsOf: network.parameters)
                    optimizer.evaluationWeights(training: UnsafeBufferPointer(trainingWeights), into: network.parameters)
                    let (atEvaluationPoint, _) = evaluate(task: task, on: test, into: inputs, labels: labels)
                    _ = network.parameters.update(fromContentsOf: trainingWeights)
                    metrics.setTestAccuracy(atEvaluationPoint, samples: count, task: task, atTrainingPoint: accuracy)
                } else {
                    metrics.setTestAccuracy(accuracy, samples: count, task: task)
                }
            }
            if (step * batch) % stream.taskLength == 0 { diagnostics?.endTask(task, step: step, network: network) }
            if let every = options.checkpointEvery, step % every == 0, step < totalSteps, let checkpointPath {
                try Checkpoint.write(to: checkpointPath, run: self, step: step, metrics: metrics,
                                     traceBytes: try trace?.flush() ?? 0, diagnostics: diagnostics?.state)
            }
            if step & 63 == 0 { progress?.update(step: step, totalSteps: totalSteps, recentLoss: recentLoss) }
        }
        if metrics.hasOpenBin {
            metrics.closeBin(task: metrics.tasks.last?.task ?? 0, stepSizes: stepSizes())
            diagnostics?.endBin(task: metrics.tasks.last?.task ?? 0, step: step, network: network)
        }
        progress?.update(step: step, totalSteps: totalSteps, recentLoss: recentLoss)
        progress?.finish()
        let elapsed = clock.now - started
        let wallSeconds = elapsed.seconds
        var result = makeResult(metrics: metrics, steps: step, divergedAt: divergedAt, wallSeconds: wallSeconds,
                                stepsThisSession: step - startStep)
        if let diagnostics { result.tasks = diagnostics.attach(to: result.tasks) }
        try trace?.close(complete: true)
        if let savePath = options.savePath {
            try network.saveWeights(to: savePath, metadata: ["mobench_config": configuration.json(), "steps": String(step)])
        }
        if let out = options.outDirectory {
            let curve = CurveFile.csv(metrics.curve, columns: stepSizeReport.curveColumns)
            try writeAtomically(Data((diagnostics?.curveCSV(curve) ?? curve).utf8),
                                to: (out as NSString).appendingPathComponent("curve.csv"))
            try writeAtomically(Data(result.json().utf8), to: (out as NSString).appendingPathComponent("result.json"))
            if let checkpointPath { try? FileManager.default.removeItem(atPath: checkpointPath) }
        }
        return result
    }

    /// Accuracy on the task's test samples (the task's transform, no augmentation), first `testSamples` in file order.
    /// Each forward pass is also offered to the diagnostics' probe (the probe set is the same samples' first 1,000).
    private func evaluate(task: Int, on test: Dataset, into inputs: UnsafeMutableBufferPointer<Float>,
                          labels: UnsafeMutableBufferPointer<Int32>, probe: RunDiagnostics? = nil) -> (Double, Int) {
        var samples = stream.evaluationSamples(task: task, in: test)
        if configuration.testSamples > 0 && samples.count > configuration.testSamples {
            samples.removeLast(samples.count - configuration.testSamples)
        }
        guard !samples.isEmpty else { return (.nan, 0) }
        var correct = 0
        let one = UnsafeMutableBufferPointer(rebasing: inputs[0..<test.sampleSize])
        for (index, label) in samples {
            stream.writeEvaluationInput(sampleIndex: index, task: task, from: test, into: one)
            labels[0] = Int32(label)
            _ = network.evaluate(inputs: UnsafeBufferPointer(one), labels: UnsafeBufferPointer(rebasing: labels[0..<1]), batchSize: 1)
            probe?.recordEvaluation(network)
            if network.lastPredictions[0] == Int32(label) { correct += 1 }
        }
        return (Double(correct) / Double(samples.count), samples.count)
    }

    private func makeResult(metrics: OnlineMetrics, steps: Int, divergedAt: Int?, wallSeconds: Double,
                            stepsThisSession: Int) -> RunResult {
        let finite: (Double) -> Double? = { $0.isFinite ? $0 : nil }
        let tasks = metrics.tasks.map {
            RunResult.TaskResult(task: $0.task, samples: $0.samples, onlineLoss: $0.onlineLoss,
                                 onlineAccuracy: $0.onlineAccuracy, trainLoss: $0.onlineLoss,
                                 testAccuracy: $0.testAccuracy, testSamples: $0.testSamples,
                                 testAccuracyAtTrainingPoint: $0.testAccuracyAtTrainingPoint)
        }
        return RunResult(
            config: configuration,
            reproduce: "mobench run --config result.json",
            streamFingerprint: stream.fingerprint,
            dataset: .init(name: train.name, format: train.format.rawValue, split: train.split.rawValue,
                           count: train.count, shape: [train.channels, train.height, train.width], classes: train.classes),
            suiteVersion: suiteVersion, gitCommit: BuildInfo.gitCommit,
            parameterCount: network.parameterCount, outputUnits: stream.outputCount, plannedSteps: totalSteps,
            steps: steps, samples: metrics.samples, diverged: divergedAt != nil, divergedAtStep: divergedAt,
            onlineLoss: finite(metrics.onlineLoss), onlineAccuracy: finite(metrics.onlineAccuracy),
            cumulativeAccuracy: finite(metrics.onlineAccuracy), tasks: tasks,
            stepSizeGroups: stepSizeReport.groupNames,
            finalLogStepSizes: optimizer.finalLogStepSizes,
            wallSeconds: wallSeconds, stepsPerSecond: wallSeconds > 0 ? Double(stepsThisSession) / wallSeconds : 0)
    }
}
