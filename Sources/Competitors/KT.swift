import Foundation
import MetaOptimize
import SIMDSupport

/// Krichevsky–Trofimov coin betting (Orabona & Pál, NeurIPS 2016, arXiv 1602.04128) as `parameterfree` 0.0.1
/// `KT` computes it (spec §6.2): w = x0 + θ·W/t with one global wealth W. Logged step size: W/t used; also W.
/// With `kt_clip_norm` c, the gradient is first scaled as `torch.nn.utils.clip_grad_norm_(params, c)` does
/// (the spec's comparison setting: c = 1): g ← g·min(c/(‖g‖ + 1e-6), 1), ‖g‖ the norm of the per-tensor norms.
final class KT: Competitor {
    var basics: CompetitorBasics
    let buffers: StateBuffers
    let stepSizeReport = oneStepSize(alsoTracing: "wealth")

    // State (spec §6.2): global doubles W (wealth) and t; per element, Float32: x0 (first step), θ.
    var wealth: Double, t = 1.0, k = 0.0
    let x0: UnsafeMutablePointer<Float>, theta: UnsafeMutablePointer<Float>

    let initialWealth, wd: Double
    let clipNorm: Double?

    init(tensors: [TensorDescriptor], spans: [TensorSpan], settings c: CompetitorSettings) {
        basics = CompetitorBasics(name: "kt", tensors: tensors, spans: spans, settings: c)
        initialWealth = c.initialWealth!; wd = c.weightDecay; clipNorm = c.ktClipNorm
        wealth = initialWealth
        let n = spans.last!.offset + spans.last!.count
        buffers = StateBuffers([("x0", n), ("theta", n)])
        x0 = buffers["x0"]; theta = buffers["theta"]
    }

    var summary: String {
        "KT (parameterfree 0.0.1): initial wealth = \(initialWealth), weight_decay = \(wd), clip norm = \(clipNorm.map { "\($0)" } ?? "none")"
    }

    static var scalarFields: [(String, ReferenceWritableKeyPath<KT, Double>)] {
        [
            ("wealth", \.wealth), ("t", \.t), ("k", \.k),
        ]
    }

    /// W/t of the last step (before any step: w/2, what the first step uses).
    func traceValue(_ c: Int) -> Double { c == 0 ? (k == 0 ? wealth / (t + 1) : wealth / t) : wealth }
    func curveValue(_ c: Int) -> Double { traceValue(0) }

    func update(weights w: UnsafeMutablePointer<Float>, gradients g: GradientSource, loss: Float) -> DivergenceReason? {
        let n = parameterCount
        if k == 0 { copyFloats(x0, w, n) }
        var clip = splat(1)
        if let clipNorm {
            var squares: Float = 0
            for span in spans {
                let norm = g.sumOfSquares(from: span.offset, count: span.count).squareRoot()
                squares += norm * norm
            }
            clip = splat(Swift.min(Float(clipNorm) / (squares.squareRoot() + 1e-6), 1))
        }
        var gain = 0.0
        for span in spans {
            var pass = KTGain(w: w, x0: x0, clip: clip)
            pass = g.run(pass, from: span.offset, count: span.count)
            gain += Double(horizontalSum(pass.gain))
        }
        wealth += gain
        t += 1
        var pass = KTUpdate(w: w, x0: x0, theta: theta, clip: clip, decay: CoupledDecay(wd, isOn: wd > 0),
                            scale: Float(wealth / t))
        pass = g.run(pass, from: 0, count: n)
        k += 1
        return wealth.isFinite ? nil : .nonFiniteStepSize
    }
}

/// KT's first pass over one tensor: the lane sums of (x0 − w)·g (the clipped gradient).
private struct KTGain: GradientPass {
    let w: UnsafeMutablePointer<Float>, x0: UnsafeMutablePointer<Float>, clip: V8
    var gain = V8()

    @inline(__always)
    mutating func chunk(_ i: Int, _ lanes: Int, _ g: V8) {
        gain = gain.addingProduct(ld(x0, i, lanes) - ld(w, i, lanes), g * clip)
    }
}

/// KT's second pass: θ ← θ − g, w ← x0 + θ·W/t.
private struct KTUpdate: GradientPass {
    let w: UnsafeMutablePointer<Float>, x0: UnsafeMutablePointer<Float>, theta: UnsafeMutablePointer<Float>
    let clip: V8, decay: CoupledDecay, scale: Float

    @inline(__always)
    mutating func chunk(_ i: Int, _ lanes: Int, _ g: V8) {
        let gv = decay(g * clip, ld(w, i, lanes))
        let th = ld(theta, i, lanes) - gv
        st(theta, i, lanes, th)
        st(w, i, lanes, ld(x0, i, lanes) + th * splat(scale))
    }
}
