import Foundation
import MetaOptimize
import Testing
@testable import Competitors

/// A run of the §9 problem: weights and trace values after each step.
private func run(_ optimizer: any Optimizer, from w0: [Float], samples: ArraySlice<([Float], Int)>) -> ([Float], [[Double]]) {
    var w = w0
    var traces: [[Double]] = []
    for (x, y) in samples {
        let (loss, g) = LinearProblem.lossAndGradient(w, x, y)
        _ = w.withUnsafeMutableBufferPointer { wb in g.withUnsafeBufferPointer { optimizer.step(weights: wb, gradients: $0, loss: loss) } }
        var t = [Double](repeating: 0, count: optimizer.stepSizeReport.traceColumns.count)
        t.withUnsafeMutableBufferPointer { optimizer.traceStepSizes(into: $0) }
        var c = [Double](repeating: 0, count: optimizer.stepSizeReport.curveColumns.count)
        c.withUnsafeMutableBufferPointer { optimizer.curveStepSizes(into: $0) }
        traces.append(t + c)
    }
    return (w, traces)
}

/// Settings that make every optional code path of a method run (decay, momentum, stored Δ, warm-up).
func exercisingSettings(_ method: CompetitorMethod) -> CompetitorSettings {
    var s = CompetitorSettings()
    s.weightDecay = 0.1
    switch method {
    case .dadaptSGD, .dadaptAdaGrad: s.sgdMomentum = 0.5
    case .scheduleFreeAdamW, .scheduleFreeSGD: s.warmupSteps = 2
    case .mechanic: s.lr = 1; s.storeDelta = true
    case .prodigy: s.sliceP = 2
    case .dog, .ldog: s.dogAverage = true
    default: break
    }
    return s
}

@Suite("Competitors: checkpoint state and divergence")
struct StateTests {
    @Test("export → JSON → restore into a new optimizer, then continuing, is bit-identical to never stopping",
          arguments: CompetitorMethod.allCases, [false, true])
    func resume(_ method: CompetitorMethod, exercising: Bool) throws {
        let settings = exercising ? exercisingSettings(method) : CompetitorSettings()
        let samples = LinearProblem.samples[...]
        let straight = try makeCompetitor(method, tensors: LinearProblem.tensors, settings: settings)
        let (wAll, tracesAll) = run(straight, from: LinearProblem.weights, samples: samples)

        let first = try makeCompetitor(method, tensors: LinearProblem.tensors, settings: settings)
        let (wHalf, tracesHalf) = run(first, from: LinearProblem.weights, samples: samples.prefix(3))
        let json = try JSONEncoder().encode(first.exportState())
        let state = try JSONDecoder().decode(OptimizerState.self, from: json)
        let second = try makeCompetitor(method, tensors: LinearProblem.tensors, settings: settings)
        try second.restore(state)
        #expect(second.stepsTaken == 3)
        #expect(second.exportState() == first.exportState())
        let (wEnd, tracesEnd) = run(second, from: wHalf, samples: samples.dropFirst(3))
        #expect(wEnd.map(\.bitPattern) == wAll.map(\.bitPattern))
        #expect(tracesHalf + tracesEnd == tracesAll)
        if second.hasSeparateEvaluationPoint {
            var a = [Float](repeating: 0, count: 15), b = a
            wAll.withUnsafeBufferPointer { wb in a.withUnsafeMutableBufferPointer { straight.evaluationWeights(training: wb, into: $0) } }
            wEnd.withUnsafeBufferPointer { wb in b.withUnsafeMutableBufferPointer { second.evaluationWeights(training: wb, into: $0) } }
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        }
    }

    @Test("A state of another method or configuration is refused and leaves the optimizer unchanged",
          arguments: CompetitorMethod.allCases)
    func mismatch(_ method: CompetitorMethod) throws {
        let target = try makeCompetitor(method, tensors: LinearProblem.tensors, settings: CompetitorSettings())
        let before = target.exportState()
        let other: CompetitorMethod = method == .kt ? .cocob : .kt
        let foreign = try makeCompetitor(other, tensors: LinearProblem.tensors, settings: CompetitorSettings())
        #expect(throws: OptimizerError.self) { try target.restore(foreign.exportState()) }
        var changed = CompetitorSettings()
        changed.weightDecay = 0.25
        let reconfigured = try makeCompetitor(method, tensors: LinearProblem.tensors, settings: changed)
        #expect(throws: OptimizerError.self) { try target.restore(reconfigured.exportState()) }
        #expect(target.exportState() == before)
    }

    @Test("A non-finite loss or gradient refuses the step: nothing changes, the reason and step number are recorded",
          arguments: CompetitorMethod.allCases)
    func divergence(_ method: CompetitorMethod) throws {
        for poison in ["loss", "gradient"] {
            let optimizer = try makeCompetitor(method, tensors: LinearProblem.tensors, settings: CompetitorSettings())
            let (w1, _) = run(optimizer, from: LinearProblem.weights, samples: LinearProblem.samples.prefix(1))
            let before = optimizer.exportState()
            var w = w1
            var (loss, g) = LinearProblem.lossAndGradient(w, LinearProblem.samples[1].0, 0)
            if poison == "loss" { loss = .nan } else { g[7] = .infinity }
            let ok = w.withUnsafeMutableBufferPointer { wb in g.withUnsafeBufferPointer { optimizer.step(weights: wb, gradients: $0, loss: loss) } }
            #expect(!ok)
            #expect(w.map(\.bitPattern) == w1.map(\.bitPattern))
            #expect(optimizer.divergedAtStep == 2)
            #expect(optimizer.divergenceReason == (poison == "loss" ? .nonFiniteLoss : .nonFiniteGradient))
            #expect(optimizer.stepsTaken == 1)
            var after = optimizer.exportState()
            after.divergedAtStep = nil
            after.divergenceReason = nil
            #expect(after == before)
            // A diverged run refuses every later step.
            let (finite, g2) = LinearProblem.lossAndGradient(w, LinearProblem.samples[2].0, 0)
            let again = w.withUnsafeMutableBufferPointer { wb in g2.withUnsafeBufferPointer { optimizer.step(weights: wb, gradients: $0, loss: finite) } }
            #expect(!again)
        }
    }

    @Test("Mechanic (store_delta false): the Δ its weight pass caches for the next step is the one recomputed from ref — dropping the cache before every step changes nothing bit for bit, and other weights (another buffer) are not read through a stale cache",
          arguments: [MechanicBase.adamw, .adam, .sgd], [0.0, 0.1])
    func mechanicCachedOffset(_ base: MechanicBase, weightDecay: Double) throws {
        var settings = CompetitorSettings()
        settings.mechanicBase = base
        settings.weightDecay = weightDecay
        settings.lr = base == .sgd ? 0.1 : 1
        if base == .sgd { settings.sgdMomentum = 0.9 }
        /// Steps through the samples; after step 3 the weights move to a new buffer, shifted by 0.01.
        func steps(droppingCache: Bool) throws -> ([Float], [[Double]]) {
            let mechanic = try #require(try makeCompetitor(.mechanic, tensors: LinearProblem.tensors, settings: settings) as? Mechanic)
            var w = LinearProblem.weights
            var traces: [[Double]] = []
            for (k, (x, y)) in LinearProblem.samples.enumerated() {
                if droppingCache { mechanic.didRestore() }
                if k == 3 { w = w.map { $0 + 0.01 } }
                let (loss, g) = LinearProblem.lossAndGradient(w, x, y)
                _ = w.withUnsafeMutableBufferPointer { wb in g.withUnsafeBufferPointer { mechanic.step(weights: wb, gradients: $0, loss: loss) } }
                var t = [Double](repeating: 0, count: mechanic.stepSizeReport.traceColumns.count)
                t.withUnsafeMutableBufferPointer { mechanic.traceStepSizes(into: $0) }
                traces.append(t)
            }
            #expect(mechanic.stepsTaken == LinearProblem.samples.count)
            return (w, traces)
        }
        let (wCached, tracesCached) = try steps(droppingCache: false)
        let (wRecomputed, tracesRecomputed) = try steps(droppingCache: true)
        #expect(wCached.allSatisfy(\.isFinite) && tracesCached.last![0] != tracesCached.first![0])
        #expect(wCached.map(\.bitPattern) == wRecomputed.map(\.bitPattern))
        #expect(tracesCached == tracesRecomputed)
    }

    @Test("D-Adapt AdaGrad: a step the package skips (‖s‖₁ = 0 after it) leaves the weights as they were, bit for bit, though its pass already wrote the step's weights",
          arguments: [0.0, 0.5])
    func adaGradSkippedStep(momentum: Double) throws {
        var settings = CompetitorSettings()
        settings.d0 = 1
        settings.lr = 1
        settings.growthRate = 1  // d stays 1, so λ = 1 and s = g1 + (−g1) = 0 exactly at step 2
        settings.sgdMomentum = momentum
        let optimizer = try makeCompetitor(.dadaptAdaGrad, tensors: LinearProblem.tensors, settings: settings)
        var w = LinearProblem.weights
        let (loss, g1) = LinearProblem.lossAndGradient(w, LinearProblem.samples[0].0, LinearProblem.samples[0].1)
        let step = { (g: [Float]) in
            _ = w.withUnsafeMutableBufferPointer { wb in g.withUnsafeBufferPointer { optimizer.step(weights: wb, gradients: $0, loss: loss) } }
        }
        step(g1)
        let afterFirst = w
        #expect(afterFirst != LinearProblem.weights)
        step(g1.map { -$0 })
        #expect(w.map(\.bitPattern) == afterFirst.map(\.bitPattern))
        #expect(optimizer.exportState().scalars["k"] == 1)
        #expect(optimizer.exportState().arrays.first { $0.name == "sk" }!.values.allSatisfy { $0 == 0 })
    }

    @Test("D-Adapt Adam: a step the package skips (‖s‖₁ = 0) updates m and v but leaves the weights as they were, though its pass already wrote the decayed step's weights")
    func dadaptAdamSkippedStep() throws {
        var settings = CompetitorSettings()
        settings.weightDecay = 0.1
        settings.decouple = true  // the step would shrink the weights even with a zero gradient
        let optimizer = try makeCompetitor(.dadaptAdam, tensors: LinearProblem.tensors, settings: settings)
        var w = LinearProblem.weights
        let zero = [Float](repeating: 0, count: w.count)
        _ = w.withUnsafeMutableBufferPointer { wb in zero.withUnsafeBufferPointer { optimizer.step(weights: wb, gradients: $0, loss: 1) } }
        #expect(w.map(\.bitPattern) == LinearProblem.weights.map(\.bitPattern))
        #expect(optimizer.exportState().scalars["k"] == 0)
        let (loss, g) = LinearProblem.lossAndGradient(w, LinearProblem.samples[0].0, LinearProblem.samples[0].1)
        _ = w.withUnsafeMutableBufferPointer { wb in g.withUnsafeBufferPointer { optimizer.step(weights: wb, gradients: $0, loss: loss) } }
        #expect(w != LinearProblem.weights)
        #expect(optimizer.exportState().scalars["k"] == 1)
    }

    @Test("D-Adapt Adam: the s/(√v + eps) its pass keeps for the next step is the one recomputed from s and v — dropping it before every step changes nothing bit for bit",
          arguments: [false, true])
    func dadaptAdamKeptQuotient(exercising: Bool) throws {
        let settings = exercising ? exercisingSettings(.dadaptAdam) : CompetitorSettings()
        func steps(droppingQuotient: Bool) throws -> ([Float], [[Double]]) {
            let optimizer = try #require(try makeCompetitor(.dadaptAdam, tensors: LinearProblem.tensors, settings: settings) as? DAdaptAdam)
            var w = LinearProblem.weights
            var traces: [[Double]] = []
            for (x, y) in LinearProblem.samples {
                if droppingQuotient { optimizer.didRestore() }
                let (loss, g) = LinearProblem.lossAndGradient(w, x, y)
                _ = w.withUnsafeMutableBufferPointer { wb in g.withUnsafeBufferPointer { optimizer.step(weights: wb, gradients: $0, loss: loss) } }
                var t = [Double](repeating: 0, count: optimizer.stepSizeReport.traceColumns.count)
                t.withUnsafeMutableBufferPointer { optimizer.traceStepSizes(into: $0) }
                traces.append(t)
            }
            return (w, traces)
        }
        let (wKept, tracesKept) = try steps(droppingQuotient: false)
        let (wRecomputed, tracesRecomputed) = try steps(droppingQuotient: true)
        #expect(tracesKept.last![1] != tracesKept.first![1])  // d moved: the sums matter
        #expect(wKept.map(\.bitPattern) == wRecomputed.map(\.bitPattern))
        #expect(tracesKept == tracesRecomputed)
    }

    @Test("Out-of-range settings are refused with the setting's key in the message")
    func invalidSettings() {
        var s = CompetitorSettings()
        s.d0 = -1
        #expect(throws: OptimizerError.invalidValue(field: "d0", expected: "a finite number > 0", found: "-1.0")) {
            _ = try makeCompetitor(.prodigy, tensors: LinearProblem.tensors, settings: s)
        }
        var t = CompetitorSettings()
        t.beta1 = 0
        #expect(throws: OptimizerError.self) { _ = try makeCompetitor(.scheduleFreeSGD, tensors: LinearProblem.tensors, settings: t) }
        #expect(throws: OptimizerError.self) { _ = try makeCompetitor(.dog, tensors: [], settings: CompetitorSettings()) }
    }

    @Test("DoG with dog_average: training is unchanged, the evaluation point is PolynomialDecayAverager's x̄ (γ = 8)",
          arguments: [CompetitorMethod.dog, .ldog])
    func dogAverage(_ method: CompetitorMethod) throws {
        var settings = CompetitorSettings()
        settings.dogAverage = true
        let averaged = try makeCompetitor(method, tensors: LinearProblem.tensors, settings: settings)
        let plain = try makeCompetitor(method, tensors: LinearProblem.tensors, settings: CompetitorSettings())
        #expect(averaged.hasSeparateEvaluationPoint && !plain.hasSeparateEvaluationPoint)
        var w = LinearProblem.weights, v = w
        var xBar: [Float] = []
        for (t, (x, y)) in LinearProblem.samples.enumerated() {
            let (loss, g) = LinearProblem.lossAndGradient(w, x, y)
            _ = w.withUnsafeMutableBufferPointer { wb in g.withUnsafeBufferPointer { averaged.step(weights: wb, gradients: $0, loss: loss) } }
            _ = v.withUnsafeMutableBufferPointer { wb in g.withUnsafeBufferPointer { plain.step(weights: wb, gradients: $0, loss: loss) } }
            #expect(w.map(\.bitPattern) == v.map(\.bitPattern))
            let weight = 9.0 / (8.0 + Double(t + 1))
            xBar = t == 0 ? w : zip(xBar, w).map { $0 * Float(1 - weight) + Float(weight) * $1 }
            var e = [Float](repeating: 0, count: w.count)
            w.withUnsafeBufferPointer { wb in e.withUnsafeMutableBufferPointer { averaged.evaluationWeights(training: wb, into: $0) } }
            #expect(e.map(\.bitPattern) == xBar.map(\.bitPattern))
        }
        #expect(xBar != w)
    }

    @Test("KT with kt_clip_norm = 1 equals KT fed the gradient clipped as torch.nn.utils.clip_grad_norm_ does")
    func ktClipping() throws {
        var settings = CompetitorSettings()
        settings.ktClipNorm = 1
        let clipped = try makeCompetitor(.kt, tensors: LinearProblem.tensors, settings: settings)
        let reference = try makeCompetitor(.kt, tensors: LinearProblem.tensors, settings: CompetitorSettings())
        var w = LinearProblem.weights, v = w
        var clippedSteps = 0
        for (x, y) in LinearProblem.samples {
            let (loss, g) = LinearProblem.lossAndGradient(w, x, y)
            let (_, h) = LinearProblem.lossAndGradient(v, x, y)
            let norms = [h[0 ..< 12], h[12 ..< 15]].map { $0.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot() }
            let total = norms.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            let coefficient = min(Float(1) / (total + 1e-6), 1)
            if coefficient < 1 { clippedSteps += 1 }
            let hc = h.map { $0 * coefficient }
            _ = w.withUnsafeMutableBufferPointer { wb in g.withUnsafeBufferPointer { clipped.step(weights: wb, gradients: $0, loss: loss) } }
            _ = v.withUnsafeMutableBufferPointer { wb in hc.withUnsafeBufferPointer { reference.step(weights: wb, gradients: $0, loss: loss) } }
            for (a, b) in zip(w, v) { #expect(abs(a - b) <= 1e-6 * abs(b) + 1e-9) }
        }
        #expect(clippedSteps > 0)
    }

    @Test("Schedule-free reports its averaged point x as the evaluation weights; the others evaluate at the training weights")
    func evaluationPoint() throws {
        for method in CompetitorMethod.allCases {
            let o = try makeCompetitor(method, tensors: LinearProblem.tensors, settings: CompetitorSettings())
            #expect(o.hasSeparateEvaluationPoint == (method == .scheduleFreeAdamW || method == .scheduleFreeSGD))
        }
    }
}
