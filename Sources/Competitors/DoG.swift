import Foundation
import MetaOptimize
import SIMDSupport

/// DoG and LDoG (Ivgi, Hinder & Carmon, ICML 2023, arXiv 2302.12022) as `dog-optimizer` 1.0.3 computes them
/// (spec §3): SGD with η = lr·r̄/√G, r̄ the largest distance from the initial weights, G the sum of squared gradient
/// norms. DoG treats all tensors as one vector (one group); LDoG gives every tensor its own r̄, G, η.
/// Logged step size: η used (DoG: also r̄; LDoG: one η per tensor). With `dog_average`, the authors'
/// `PolynomialDecayAverager` (γ = 8) keeps x̄ ← (1 − (γ+1)/(γ+t))·x̄ + ((γ+1)/(γ+t))·x after each step t; x̄ is
/// then the evaluation point (test accuracy at x̄, and at x as the second column) while training stays at x.
final class DoG: Competitor {
    let layerwise: Bool
    var basics: CompetitorBasics
    let buffers: StateBuffers
    let stepSizeReport: StepSizeReport

    // State (spec §3): Float32 r̄, G, η per group (DoG: 1, LDoG: one per tensor); x0 per element (captured at the
    // first step); the optimizer-wide "first step" flag.
    let rbar: UnsafeMutablePointer<Float>, gsum: UnsafeMutablePointer<Float>, eta: UnsafeMutablePointer<Float>
    let x0: UnsafeMutablePointer<Float>
    var firstStep = true
    /// `firstStep` as the checkpoint's `first_step` scalar (1 or 0).
    var firstStepFlag: Double {
        get { firstStep ? 1 : 0 }
        set { firstStep = newValue != 0 }
    }
    /// The averaged iterate x̄ (only with `dog_average`) and the averager's step count t.
    let average: Bool
    let xBar: UnsafeMutablePointer<Float>
    var averagedSteps = 0.0
    static let averagingGamma = 8.0
    /// Per-tensor scratch of the step's reductions (allocated once).
    let distances: UnsafeMutablePointer<Float>, squares: UnsafeMutablePointer<Float>

    let lr, repsRel, eps, wd: Double
    let initEta: Double?

    init(tensors: [TensorDescriptor], spans: [TensorSpan], settings c: CompetitorSettings, layerwise: Bool) {
        self.layerwise = layerwise
        basics = CompetitorBasics(name: layerwise ? "ldog" : "dog", tensors: tensors, spans: spans, settings: c)
        lr = c.lr!; eps = c.eps!; wd = c.weightDecay; initEta = c.initEta
        repsRel = c.initEta == nil ? c.repsRel! : 0
        let groups = layerwise ? spans.count : 1
        let n = spans.last!.offset + spans.last!.count
        average = c.dogAverage ?? false
        buffers = StateBuffers([("rbar", groups), ("G", groups), ("eta", groups), ("x0", n), ("x_bar", average ? n : 0)])
        rbar = buffers["rbar"]; gsum = buffers["G"]; eta = buffers["eta"]; x0 = buffers["x0"]; xBar = buffers["x_bar"]
        distances = .allocate(capacity: spans.count)
        squares = .allocate(capacity: spans.count)
        if layerwise {
            let columns = (0 ..< spans.count).map { "step_size_\($0)" }
            stepSizeReport = StepSizeReport(groupNames: tensors.map(\.name), curveColumns: columns, traceColumns: columns)
        } else {
            stepSizeReport = oneStepSize(alsoTracing: "rbar")
        }
    }

    deinit {
        distances.deallocate()
        squares.deallocate()
    }

    var summary: String {
        "\(layerwise ? "LDoG" : "DoG") (dog-optimizer 1.0.3): lr = \(lr), reps_rel = \(repsRel), weight_decay = \(wd)"
    }

    static var scalarFields: [(String, ReferenceWritableKeyPath<DoG, Double>)] {
        [
            ("first_step", \.firstStepFlag), ("averaged_steps", \.averagedSteps),
        ]
    }

    var hasSeparateEvaluationPoint: Bool { average }

    /// x̄ (with `dog_average`; before the first step, and without averaging, the training weights).
    func evaluationWeights(training: UnsafeBufferPointer<Float>, into evaluation: UnsafeMutableBufferPointer<Float>) {
        copyFloats(evaluation.baseAddress!, average && averagedSteps > 0 ? UnsafePointer(xBar) : training.baseAddress!,
                   parameterCount)
    }

    /// PolynomialDecayAverager.step(): x̄ ← x̄·(1 − w) + w·x, w = (γ+1)/(γ+t), in Float32 as PyTorch.
    func averageIterate(_ w: UnsafeMutablePointer<Float>) {
        averagedSteps += 1
        let weight = (Self.averagingGamma + 1) / (Self.averagingGamma + averagedSteps)
        let keep = splat(Float(1 - weight)), take = splat(Float(weight))
        let n = parameterCount
        var i = 0
        while i < n {
            let lanes = Swift.min(8, n - i)
            st(xBar, i, lanes, ld(xBar, i, lanes) * keep + take * ld(w, i, lanes))
            i += 8
        }
    }

    func traceValue(_ c: Int) -> Double { layerwise || c == 0 ? Double(eta[c]) : Double(rbar[0]) }
    func curveValue(_ c: Int) -> Double { Double(eta[c]) }

    func update(weights w: UnsafeMutablePointer<Float>, gradients g: GradientSource, loss: Float) -> DivergenceReason? {
        let decay = wd > 0
        // Reductions per tensor: ‖x − x0‖ (‖x0‖ at the first step) and ‖g‖² of the (decayed) gradient.
        let firstStep = self.firstStep
        for (t, span) in spans.enumerated() {
            if firstStep { copyFloats(x0 + span.offset, w + span.offset, span.count) }
            var pass = DoGReductions(w: w, x0: x0, firstStep: firstStep, decay: CoupledDecay(wd, isOn: decay))
            pass = g.run(pass, from: span.offset, count: span.count)
            distances[t] = horizontalSum(pass.distance).squareRoot()
            squares[t] = horizontalSum(pass.squares)
        }
        let repsF = Float(repsRel), epsF = Float(eps), lrF = Float(lr)
        if layerwise {
            for t in 0 ..< spans.count {
                if firstStep {
                    rbar[t] = repsF * (1 + distances[t])
                    gsum[t] = squares[t] + epsF
                } else {
                    rbar[t] = max(rbar[t], distances[t])
                    gsum[t] += squares[t]
                }
                eta[t] = lrF * rbar[t] / gsum[t].squareRoot()
            }
        } else {
            var norm2: Float = 0, total: Float = 0
            for t in 0 ..< spans.count {
                norm2 += distances[t] * distances[t]
                total += squares[t]
            }
            let norm = norm2.squareRoot()
            if firstStep {
                rbar[0] = repsF * (1 + norm)
                gsum[0] = total + epsF
            } else {
                rbar[0] = max(rbar[0], norm)
                gsum[0] += total
            }
            eta[0] = lrF * rbar[0] / gsum[0].squareRoot()
        }
        if firstStep, let initEta {
            for j in 0 ..< (layerwise ? spans.count : 1) { eta[j] = Float(initEta) }
        }
        for (t, span) in spans.enumerated() {
            var pass = SGDStep(w: w, decay: CoupledDecay(wd, isOn: decay), step: -eta[layerwise ? t : 0])
            pass = g.run(pass, from: span.offset, count: span.count)
        }
        self.firstStep = false
        if average { averageIterate(w) }
        for j in 0 ..< (layerwise ? spans.count : 1) where !eta[j].isFinite { return .nonFiniteStepSize }
        return nil
    }
}

/// DoG's first pass over one tensor: the lane sums of (w − x0)² (w² at the first step) and g².
private struct DoGReductions: GradientPass {
    let w: UnsafeMutablePointer<Float>, x0: UnsafeMutablePointer<Float>
    let firstStep: Bool, decay: CoupledDecay
    var distance = V8(), squares = V8()

    @inline(__always)
    mutating func chunk(_ e: Int, _ n: Int, _ g: V8) {
        let wv = ld(w, e, n)
        let gv = decay(g, wv)
        let delta = firstStep ? wv : wv - ld(x0, e, n)
        distance = distance.addingProduct(delta, delta)
        squares = squares.addingProduct(gv, gv)
    }
}

/// An SGD step w ← w − η·g over one range (DoG's second pass).
private struct SGDStep: GradientPass {
    let w: UnsafeMutablePointer<Float>
    let decay: CoupledDecay, step: Float

    @inline(__always)
    mutating func chunk(_ e: Int, _ n: Int, _ g: V8) {
        let wv = ld(w, e, n)
        let gv = decay(g, wv)
        st(w, e, n, wv + splat(step) * gv)
    }
}
