import Foundation
import Testing
@testable import Bench
import MetaOptimize

// --hessian exact through the runner: the trace's meta_gradient is d(pre-update loss)/dβ (central differences of
// two --meta fixed runs on the same samples), checkpoints resume bit-identically, bad settings are one line.

/// The (loss, meta_gradient) columns of a trace.
private func traceColumns(_ config: RunConfiguration) throws -> (loss: [Double], z: [Double]) {
    let dir = temporaryDirectory()
    let options = RunOptions(tracePath: dir + "/trace.csv")
    _ = try #require(try makeRun(config, options: options).run(options: options))
    let lines = read(dir + "/trace.csv").split(separator: "\n")
    let header = lines[0].split(separator: ",").map(String.init)
    let rows = lines.dropFirst().map { $0.split(separator: ",").map(String.init) }
    let zColumn = try #require(header.firstIndex(of: "meta_gradient"))
    return (rows.map { Double($0[4])! }, rows.map { Double($0[zColumn])! })
}

struct ExactHessianRunTests {
    @Test("--hessian exact: trace meta_gradient = d loss_t/dβ (central differences of two --meta fixed runs at α0·e^{±ε}) on ≥ 90 % of steps",
          arguments: ["sgd", "sgdm", "adamw"])
    func metaGradientIsTheDerivative(base: String) throws {
        let alpha0 = base == "adamw" ? 1e-2 : 0.1
        let epsilon = 1e-3
        func config(_ edit: (inout RunConfiguration) -> Void) -> RunConfiguration {
            smallConfiguration { c in
                c.model = "linear"; c.base = base; c.alpha0 = alpha0; c.gamma = 1; edit(&c)
            }
        }
        let exact = try traceColumns(config { $0.hessian = "exact"; $0.meta = "sgd"; $0.metaStepSize = 0 })
        let free = try traceColumns(config { $0.meta = "sgd"; $0.metaStepSize = 0 })
        let plus = try traceColumns(config { $0.meta = "fixed"; $0.alpha0 = alpha0 * exp(epsilon) }).loss
        let minus = try traceColumns(config { $0.meta = "fixed"; $0.alpha0 = alpha0 * exp(-epsilon) }).loss
        let width = Double(log(Float(alpha0 * exp(epsilon)))) - Double(log(Float(alpha0 * exp(-epsilon))))
        var exactOK = 0, freeOK = 0
        let steps = exact.z.count
        for t in 1..<steps {
            let d = (plus[t] - minus[t]) / width
            let tolerance = 2e-2 * abs(d) + 2e-7 / epsilon
            if abs(exact.z[t] - d) <= tolerance { exactOK += 1 }
            if abs(free.z[t] - d) <= tolerance { freeOK += 1 }
        }
        let exactFraction = Double(exactOK) / Double(steps - 1), freeFraction = Double(freeOK) / Double(steps - 1)
        print("runner property \(base): exact \(exactFraction), free \(freeFraction) of \(steps - 1) steps")
        #expect(exactFraction >= 0.9)
        #expect(freeFraction < exactFraction)
    }

    @Test("--hessian exact: interrupt + checkpoint + resume gives files bit-identical to an uninterrupted run",
          arguments: ["2x2", "l"])
    func resumeEqualsUninterrupted(approximation: String) throws {
        let config = smallConfiguration {
            $0.hessian = "exact"; $0.approximation = approximation; $0.granularity = "last-layer-and-others"
            $0.base = "adamw"; $0.meta = "adam"; $0.alpha0 = 1e-2; $0.metaStepSize = 1e-2
        }
        let (full, dir) = try interruptAndResume(config)
        expectSameRunFiles(dir, full)
        #expect(read(full + "/trace.csv").hasPrefix(
            "step,task,sample_index,label,loss,correct,log_step_size_0,log_step_size_1,meta_gradient_0,meta_gradient_1\n"))
    }

    @Test("--hessian exact with batches runs and differs from free; the resolved config records hessian and approximation")
    func batchesAndConfiguration() throws {
        let exact = smallConfiguration { $0.hessian = "exact"; $0.batchSize = 4; $0.meta = "sgd"; $0.metaStepSize = 1e-2 }
        let free = smallConfiguration { $0.batchSize = 4; $0.meta = "sgd"; $0.metaStepSize = 1e-2 }
        let a = try #require(try makeRun(exact).run(options: RunOptions()))
        let b = try #require(try makeRun(free).run(options: RunOptions()))
        #expect(!a.diverged && a.steps == 30)
        #expect(a.finalLogStepSizes != b.finalLogStepSizes)
        #expect(a.config.hessian == "exact" && a.config.approximation == "2x2" && b.config.hessian == "free")
    }

    @Test("--hessian exact runs simple-cnn (8×8 images) to the end and differs from free")
    func simpleCNN() throws {
        func result(_ hessian: String) throws -> RunResult {
            let config = smallConfiguration { $0.model = "simple-cnn"; $0.hessian = hessian; $0.meta = "sgd"; $0.metaStepSize = 1e-2 }
            return try #require(try Run(ValidatedConfiguration(config), train: learnableDataset(count: 60, size: 8),
                                        test: nil, options: RunOptions()).run(options: RunOptions()))
        }
        let exact = try result("exact"), free = try result("free")
        #expect(!exact.diverged && exact.steps == 120)
        #expect(exact.finalLogStepSizes != free.finalLogStepSizes)
    }

    @Test("--hessian exact at batch 1: the factored hand-over (runner's outer products, materialised by the Optimizer default) writes result.json, curve and trace bit-identical to the dense hand-over, and the trace has MetaOptimize's columns")
    func factoredBatchOneEqualsDense() throws {
        let c = smallConfiguration {
            $0.model = "mlp:16,8"; $0.hessian = "exact"; $0.base = "adamw"; $0.meta = "adam"; $0.metaStepSize = 1e-2
            // The gradient-norm diagnostic reads the gradient in the form the runner has it (factors or dense), which
            // rounds differently; this test is about the optimizer's hand-over, so diagnostics are off.
            $0.diagnostics = "off"
        }
        var outputs: [[String]] = []
        for fused in [true, false] {
            let dir = temporaryDirectory("exactfused\(fused)")
            var options = RunOptions(outDirectory: dir, tracePath: dir + "/trace.csv")
            options.fusedBatchOne = fused
            let run = try Run(ValidatedConfiguration(c), train: learnableDataset(count: 60, size: 8), test: nil,
                              options: options)
            #expect(run.optimizer is ExactHessianMetaOptimizer)
            _ = try #require(try run.run(options: options))
            outputs.append([withoutWallClock(read(dir + "/result.json")), read(dir + "/curve.csv"), read(dir + "/trace.csv")])
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0][2].hasPrefix("step,task,sample_index,label,loss,correct,log_step_size,meta_gradient\n"))
    }

    @Test("--hessian exact --base adagrad runs to the end and differs from free (its tangent is used)")
    func adagradBase() throws {
        func result(_ hessian: String) throws -> RunResult {
            try #require(try makeRun(smallConfiguration {
                $0.hessian = hessian; $0.base = "adagrad"; $0.alpha0 = 1e-2; $0.meta = "sgd"; $0.metaStepSize = 1e-2
            }).run(options: RunOptions()))
        }
        let exact = try result("exact"), free = try result("free")
        #expect(!exact.diverged && exact.steps == free.steps)
        #expect(exact.finalLogStepSizes != free.finalLogStepSizes)
    }

    @Test("bad --hessian settings are refused with one line naming the flag or the offending value",
          arguments: [
            ("exakt", "2x2", "scalar", "mlp:8", "hessian"), ("exact", "3x3", "scalar", "mlp:8", "approximation"),
            ("exact", "2x2", "nodewise", "mlp:8", "nodewise"), ("exact", "2x2", "weightwise", "mlp:8", "weightwise"),
          ])
    func refusals(hessian: String, approximation: String, granularity: String, model: String, word: String) throws {
        do {
            let config = smallConfiguration {
                $0.hessian = hessian; $0.approximation = approximation; $0.granularity = granularity; $0.model = model
            }
            _ = try Run(ValidatedConfiguration(config), train: learnableDataset(count: 60, size: 8), test: nil,
                        options: RunOptions())
            Issue.record("expected a refusal")
        } catch let error as SettingError {
            #expect(!error.description.contains("\n"))
            #expect(error.description.contains(word), "\(error.description)")
        }
    }
}
