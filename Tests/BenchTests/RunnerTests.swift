import Foundation
import Testing
import MetaOptimize
@testable import Bench

struct RunnerTests {
    @Test("Result, curve and per-task numbers equal their definitions recomputed from the per-step trace")
    func metricsMatchTrace() throws {
        let dir = temporaryDirectory()
        let options = RunOptions(outDirectory: dir, tracePath: dir + "/trace.csv")
        let run = try makeRun(smallConfiguration { $0.meta = "fixed" }, options: options)
        let result = try #require(try run.run(options: options))
        let rows = read(dir + "/trace.csv").split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(rows.count == 120)
        #expect(read(dir + "/trace.csv").hasPrefix("step,task,sample_index,label,loss,correct,log_step_size,meta_gradient\n"))
        let losses = rows.map { Double(Float($0[4])!) }
        let correct = rows.map { $0[5] == "1" }
        // Online loss/accuracy: means over all steps of the pre-update values (same summation order).
        #expect(result.onlineLoss == losses.reduce(0, +) / 120)
        #expect(result.onlineAccuracy == Double(correct.filter { $0 }.count) / 120)
        #expect(result.cumulativeAccuracy == result.onlineAccuracy)
        // Tasks change exactly every task_length steps; per-task means.
        #expect(rows.map { Int($0[1])! } == (0..<120).map { $0 / 40 })
        for t in 0..<3 {
            let slice = (t * 40)..<(t * 40 + 40)
            #expect(result.tasks[t].onlineLoss == slice.map { losses[$0] }.reduce(0, +) / 40)
            #expect(result.tasks[t].onlineAccuracy == Double(slice.filter { correct[$0] }.count) / 40)
            #expect(result.tasks[t].trainLoss == result.tasks[t].onlineLoss)
            #expect(result.tasks[t].testSamples == 20 && result.tasks[t].testAccuracy != nil)
        }
        // Curve: bins of log_every = 7 steps (last one shorter), bin means and cumulative accuracy.
        let curve = read(dir + "/curve.csv").split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(curve.map { Int($0[0])! } == Array(stride(from: 7, through: 119, by: 7)) + [120])
        var start = 0
        for row in curve {
            let end = Int(row[0])!
            let bin = start..<end
            #expect(Double(row[2])! == bin.map { losses[$0] }.reduce(0, +) / Double(bin.count))
            #expect(Double(row[3])! == Double(bin.filter { correct[$0] }.count) / Double(bin.count))
            #expect(Double(row[4])! == Double((0..<end).filter { correct[$0] }.count) / Double(end))
            #expect(Int(row[1])! == (end - 1) / 40)
            start = end
        }
        // Meta fixed: β = log α0 in Float at every step; step_size column = α0 in Float.
        #expect(rows.allSatisfy { Float($0[6])! == Float(log(1e-3)) })
        #expect(curve.allSatisfy { Double($0[5])! == Double(exp(Float(log(1e-3)))) })
        #expect(result.steps == 120 && result.plannedSteps == 120 && !result.diverged)
    }

    @Test("Same configuration and seed: bit-identical result.json (apart from wall-clock fields), curve and trace")
    func deterministic() throws {
        var texts: [[String]] = []
        for _ in 0..<2 {
            let dir = temporaryDirectory()
            let options = RunOptions(outDirectory: dir, tracePath: dir + "/trace.csv")
            let config = smallConfiguration { $0.granularity = "last-layer-and-others"; $0.augment = "crop-flip" }
            _ = try makeRun(config, options: options).run(options: options)
            texts.append([withoutWallClock(read(dir + "/result.json")), read(dir + "/curve.csv"), read(dir + "/trace.csv")])
        }
        #expect(texts[0] == texts[1])
        #expect(texts[0][0].contains("\"stream_fingerprint\""))
    }

    @Test("A different seed changes the run")
    func seedMatters() throws {
        let a = try #require(try makeRun(smallConfiguration()).run(options: RunOptions()))
        let b = try #require(try makeRun(smallConfiguration { $0.seed = 1 }).run(options: RunOptions()))
        #expect(a.onlineLoss != b.onlineLoss)
        #expect(a.streamFingerprint != b.streamFingerprint)
    }

    @Test("Interrupt + checkpoint + resume gives files bit-identical to an uninterrupted run")
    func resumeEqualsUninterrupted() throws {
        for granularity in ["scalar", "nodewise"] {
            let config = smallConfiguration { $0.granularity = granularity; $0.base = "adamw"; $0.meta = "adam" }
            let (full, dir) = try interruptAndResume(config) { stoppedDirectory in
                #expect(!FileManager.default.fileExists(atPath: stoppedDirectory + "/result.json"))
                #expect(!FileManager.default.fileExists(atPath: stoppedDirectory + "/trace.csv"))  // only trace.csv.partial
            }
            expectSameRunFiles(dir, full)
            #expect(!FileManager.default.fileExists(atPath: dir + "/checkpoint.safetensors"))
        }
    }

    @Test("Resuming with a checkpoint of another configuration is refused")
    func resumeRefusesOtherConfiguration() throws {
        let dir = temporaryDirectory()
        let options = RunOptions(outDirectory: dir, checkpointEvery: 10)
        var calls = 0
        _ = try makeRun(smallConfiguration(), options: options).run(options: options, shouldStop: { calls += 1; return calls > 25 })
        var resume = options
        resume.resume = true
        #expect(throws: SettingError.self) {
            _ = try makeRun(smallConfiguration { $0.alpha0 = 2e-3 }, options: resume).run(options: resume)
        }
    }

    @Test("Divergence stops the run, records the step and keeps summaries finite")
    func divergenceIsRecorded() throws {
        let result = try #require(try makeRun(smallConfiguration { $0.base = "sgd"; $0.meta = "fixed"; $0.alpha0 = 1e30 }).run(options: RunOptions()))
        #expect(result.diverged)
        let step = try #require(result.divergedAtStep)
        #expect(step >= 1 && step <= 120 && result.steps == step - 1)
        if let loss = result.onlineLoss { #expect(loss.isFinite) }
        #expect(result.json().contains("\"diverged\" : true"))
    }

    @Test("Batch size B: one trace row per sample, B samples per step, mean metrics over samples")
    func miniBatches() throws {
        let dir = temporaryDirectory()
        let options = RunOptions(outDirectory: dir, tracePath: dir + "/trace.csv")
        let result = try #require(try makeRun(smallConfiguration { $0.batchSize = 4 }, options: options).run(options: options))
        #expect(result.steps == 30 && result.samples == 120)
        let rows = read(dir + "/trace.csv").split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        #expect(rows.count == 120 && Int(rows.last![0])! == 30)
    }

    @Test("Class-incremental: the output layer has classesPerTask units; test samples are the task's classes")
    func classIncrementalOutputs() throws {
        let result = try #require(try makeRun(smallConfiguration {
            $0.stream = "class-incremental"; $0.classesPerTask = 2; $0.tasks = 2; $0.taskLength = nil
        }).run(options: RunOptions()))
        #expect(result.outputUnits == 2)
        #expect(result.config.taskLength == 30)          // one pass over the group's 30 samples
        #expect(result.tasks.allSatisfy { $0.testSamples == 10 })
    }

    @Test("--print-config form: the resolved configuration fills rule defaults and reproduces via --config")
    func resolvedConfigurationRoundTrips() throws {
        let run = try makeRun(smallConfiguration { $0.base = "lion"; $0.meta = "lion" })
        let c = run.configuration
        #expect(c.momentum == 0.99 && c.lionInterpolation == 0.9 && c.metaMomentum == 0.99)
        let decoded = try RunConfiguration.decode(json: Data(c.json().utf8), source: "test")
        #expect(decoded == c)
    }
}

struct FusedBatchOneTests {
    @Test("Batch 1: the fused path (outer-product gradients formed in the optimizer pass) writes result.json, curve and trace bit-identical to the dense path, and actually ran fused")
    func fusedEqualsDense() throws {
        for meta in ["adam", "fixed", "lion"] {
            var c = smallConfiguration { $0.model = "mlp:16,8"; $0.meta = meta; $0.base = meta == "lion" ? "lion" : "adamw" }
            c.testSamples = 10
            // The trajectory is what is compared: the gradient-norm diagnostic is ‖δ‖·‖x‖ on the fused path and a
            // sum over the materialised gradient on the dense one (equal up to rounding, see PeriodStatisticsTests).
            c.diagnostics = "off"
            var outputs: [[String]] = []
            for fused in [true, false] {
                let dir = temporaryDirectory("fused\(fused)\(meta)")
                var options = RunOptions(outDirectory: dir, tracePath: dir + "/trace.csv")
                options.fusedBatchOne = fused
                // 8×8 inputs: 64 columns, so the first layer's rows are whole SIMD8 vectors (the fused path applies).
                let run = try Run(ValidatedConfiguration(c), train: learnableDataset(count: 60, size: 8),
                                  test: learnableDataset(count: 20, size: 8, split: .test, seed: 3), options: options)
                _ = try #require(try run.run(options: options))
                if fused { #expect((run.optimizer as? MetaOptimizer)?.lastStepFormedOuterProducts == true, "\(meta)") }
                outputs.append([withoutWallClock(read(dir + "/result.json")), read(dir + "/curve.csv"), read(dir + "/trace.csv")])
            }
            #expect(outputs[0] == outputs[1], "\(meta)")
        }
    }
}
