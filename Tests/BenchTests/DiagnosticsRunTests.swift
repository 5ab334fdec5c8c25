import Datasets
import Diagnostics
import Foundation
import Networks
import Streams
import Testing
@testable import Bench

struct DiagnosticsRunTests {
    /// The trajectory's files: trace (every step's loss), curve.csv's own columns, result.json without the
    /// diagnostics and the two diagnostics settings, final weights.
    func trajectory(_ c: RunConfiguration, fused: Bool = true) throws -> [String] {
        let dir = temporaryDirectory("traj\(c.diagnostics)\(c.plasticity)\(fused)")
        var options = RunOptions(outDirectory: dir, tracePath: dir + "/trace.csv", savePath: dir + "/w.safetensors")
        options.fusedBatchOne = fused
        let run = try makeRun(c, options: options)
        var result = try #require(try run.run(options: options))
        for i in result.tasks.indices { result.tasks[i].diagnostics = nil }
        result.config.diagnostics = "-"; result.config.plasticity = "-"
        result.wallSeconds = 0; result.stepsPerSecond = 0
        let width = CurveFile.csv([], columns: run.stepSizeReport.curveColumns).split(separator: ",").count
        let curve = read(dir + "/curve.csv").split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).prefix(width).joined(separator: ",") }
        let loaded = try Network(spec: run.network.spec, input: run.network.input, classes: run.network.classes)
        try loaded.loadWeights(from: dir + "/w.safetensors")
        let weights = loaded.parameters.map { String($0.bitPattern, radix: 16) }.joined(separator: " ")
        return [read(dir + "/trace.csv"), curve.joined(separator: "\n"), result.json(), weights]
    }

    @Test("--diagnostics off/task/bin and --plasticity on/off leave the trajectory bit-identical: trace, curve, result and final weights")
    func trajectoryUnchanged() throws {
        for (model, batch) in [("mlp:8", 1), ("mlp:16,8", 1), ("mlp:8", 4)] {
            let base = smallConfiguration { $0.model = model; $0.batchSize = batch; $0.taskLength = 40; $0.logEvery = 6 }
            var reference: [String]? = nil
            for diagnostics in ["off", "task", "bin"] {
                for plasticity in ["off", "on"] {
                    let files = try trajectory(smallConfiguration {
                        $0 = base; $0.diagnostics = diagnostics; $0.plasticity = plasticity
                    })
                    if let reference {
                        #expect(files == reference, "\(model) batch \(batch): --diagnostics \(diagnostics) --plasticity \(plasticity)")
                    } else {
                        reference = files
                    }
                }
            }
        }
    }

    @Test("result.json carries per-task diagnostics; bin mode adds curve.csv columns; off writes none")
    func outputs() throws {
        let dir = temporaryDirectory()
        let options = RunOptions(outDirectory: dir)
        let c = smallConfiguration { $0.diagnostics = "bin"; $0.plasticity = "on"; $0.model = "mlp:8,4"; $0.logEvery = 20 }
        let result = try #require(try makeRun(c, options: options).run(options: options))
        #expect(result.tasks.count == 3)
        for task in result.tasks {
            let d = try #require(task.diagnostics)
            #expect(d.probeSamples == 20)  // the whole 20-sample test split (fewer than 1,000)
            #expect(d.deadUnits.map(\.layer) == ["layers.0", "layers.1"] && d.deadUnits.map(\.units) == [8, 4])
            #expect(d.steps == 40 && d.gradientNorm != nil && d.plasticity != nil && d.effectiveRank != nil)
            #expect(d.meanAbsWeight.count == 6 && d.tensorGradientNorm.count == 6)
        }
        let json = read(dir + "/result.json")
        #expect(json.contains("\"dead_units\"") && json.contains("\"effective_rank\"") && json.contains("\"plasticity\""))
        let lines = read(dir + "/curve.csv").split(separator: "\n")
        #expect(lines[0].hasSuffix(",dead_layers.0,dead_layers.1,dead_fraction,effective_rank,approximate_rank,gradient_norm,mean_abs_layers.0.weight,mean_abs_layers.0.bias,mean_abs_layers.1.weight,mean_abs_layers.1.bias,mean_abs_layers.2.weight,mean_abs_layers.2.bias,plasticity"))
        let columns = lines[0].split(separator: ",").count
        #expect(lines.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == columns })
        // A task end that is also a bin end: the curve row's probe columns equal the task's diagnostics.
        let rowAtTaskEnd = try #require(lines.first { $0.hasPrefix("40,") }).split(separator: ",")
        let first = try #require(result.tasks[0].diagnostics)
        #expect(Double(rowAtTaskEnd[columns - 10]) == first.effectiveRank)
        // The suite's curve reader keeps the step-size columns only (one group: scalar), not the diagnostics.
        let points = try CurveFile.parse(path: dir + "/curve.csv")
        #expect(points.count == lines.count - 1 && points.allSatisfy { $0.stepSizes.count == 1 })

        let offDir = temporaryDirectory("off")
        let offOptions = RunOptions(outDirectory: offDir)
        let off = try #require(try makeRun(smallConfiguration { $0.diagnostics = "off" }, options: offOptions).run(options: offOptions))
        #expect(off.tasks.allSatisfy { $0.diagnostics == nil })
        #expect(!read(offDir + "/result.json").contains("\"dead_units\"") && !read(offDir + "/curve.csv").contains("dead_"))
    }

    @Test("the dead-unit fraction at the end of a run equals a recomputation from the --save'd weights on the probe set")
    func deadUnitsFromSavedWeights() throws {
        // A large SGD step kills units; the recomputation uses only the saved file, the stream and plain loops.
        let c = smallConfiguration { $0.model = "mlp:32,16"; $0.base = "sgd"; $0.meta = "fixed"; $0.alpha0 = 0.5; $0.stream = "input-permuted" }
        let dir = temporaryDirectory()
        let options = RunOptions(outDirectory: dir, savePath: dir + "/final.safetensors")
        let run = try makeRun(c, options: options)
        let result = try #require(try run.run(options: options))
        let reported = try #require(result.tasks.last?.diagnostics)

        let network = try Network(spec: .mlp(hidden: [32, 16]), input: run.network.input, classes: run.network.classes)
        try network.loadWeights(from: dir + "/final.safetensors")
        let test = try #require(run.test)
        let lastTask = try #require(result.tasks.last?.task)
        let samples = run.stream.evaluationSamples(task: lastTask, in: test).prefix(1000)
        var alive = [[Bool]](repeating: [], count: 2)
        alive[0] = [Bool](repeating: false, count: 32); alive[1] = [Bool](repeating: false, count: 16)
        var x = [Float](repeating: 0, count: test.sampleSize)
        for (index, label) in samples {
            x.withUnsafeMutableBufferPointer { run.stream.writeEvaluationInput(sampleIndex: index, task: lastTask, from: test, into: $0) }
            network.evaluate(inputs: x, labels: [Int32(label)])
            for l in 0..<2 {
                for (u, a) in network.hiddenActivations(l).enumerated() where a != 0 { alive[l][u] = true }
            }
        }
        let dead = alive.map { $0.filter { !$0 }.count }
        #expect(reported.deadUnits.map(\.dead) == dead)
        #expect(reported.probeSamples == samples.count)
        #expect(dead.reduce(0, +) > 0, "the settings should kill some units, else the comparison is weak: \(dead)")
        #expect(reported.deadFraction == Double(dead.reduce(0, +)) / 48)
    }

    @Test("interrupt + checkpoint + resume with --diagnostics bin --plasticity on: files bit-identical to an uninterrupted run")
    func resume() throws {
        let c = smallConfiguration { $0.diagnostics = "bin"; $0.plasticity = "on" }
        let full = temporaryDirectory("full")
        let fullOptions = RunOptions(outDirectory: full)
        _ = try makeRun(c, options: fullOptions).run(options: fullOptions)
        let dir = temporaryDirectory("part")
        let options = RunOptions(outDirectory: dir, checkpointEvery: 10)
        var calls = 0
        #expect(try makeRun(c, options: options).run(options: options, shouldStop: { calls += 1; return calls > 57 }) == nil)
        var resume = options
        resume.resume = true
        _ = try makeRun(c, options: resume).run(options: resume)
        #expect(withoutWallClock(read(dir + "/result.json")) == withoutWallClock(read(full + "/result.json")))
        #expect(read(dir + "/curve.csv") == read(full + "/curve.csv"))
        #expect(read(dir + "/result.json").contains("\"plasticity\""))
    }

    @Test("bad --diagnostics or --plasticity values are one-line setting errors")
    func badValues() {
        #expect(throws: SettingError.invalid("--diagnostics: unknown value 'steps' (expected off, task, bin)")) {
            _ = try ValidatedConfiguration(smallConfiguration { $0.diagnostics = "steps" })
        }
        #expect(throws: SettingError.invalid("--plasticity: unknown value 'yes' (expected on, off)")) {
            _ = try ValidatedConfiguration(smallConfiguration { $0.plasticity = "yes" })
        }
    }
}
