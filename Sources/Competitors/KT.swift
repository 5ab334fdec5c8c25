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

    var scalarState: [String: Double] { ["wealth": wealth, "t": t, "k": k] }
    func loadScalars(_ x: [String: Double]) { wealth = scalar(x, "wealth"); t = scalar(x, "t"); k = scalar(x, "k") }

    /// W/t of the last step (before any step: w/2, what the first step uses).
    func traceValue(_ c: Int) -> Double { c == 0 ? (k == 0 ? wealth / (t + 1) : wealth / t) : wealth }
    func curveValue(_ c: Int) -> Double { traceValue(0) }

    func update(weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, loss: Float) -> DivergenceReason? {
        let n = parameterCount
        if k == 0 { copyFloats(x0, w, n) }
        var clip = splat(1)
        if let clipNorm {
            var squares: Float = 0
            for span in spans {
                let norm = sumOfSquares(g + span.offset, span.count).squareRoot()
                squares += norm * norm
            }
            clip = splat(Swift.min(Float(clipNorm) / (squares.squareRoot() + 1e-6), 1))
        }
        var gain = 0.0
        for span in spans {
            let o = span.offset
            var acc = V8()
            var i = 0
            let countI = span.count
            while i < countI {
                let lanes = Swift.min(8, countI - i)
                acc = acc.addingProduct(ld(x0, o + i, lanes) - ld(w, o + i, lanes), ld(g, o + i, lanes) * clip)
                i += 8
            }
            gain += Double(horizontalSum(acc))
        }
        wealth += gain
        t += 1
        let scale = Float(wealth / t), wdF = Float(wd), decay = wd > 0
        var i = 0
        let countI = n
        while i < countI {
            let lanes = Swift.min(8, countI - i)
            var gv = ld(g, i, lanes) * clip
            let p = ld(w, i, lanes)
            if decay { gv = gv + splat(wdF) * p }
            let th = ld(theta, i, lanes) - gv
            st(theta, i, lanes, th)
            st(w, i, lanes, ld(x0, i, lanes) + th * splat(scale))
            i += 8
        }
        k += 1
        return wealth.isFinite ? nil : .nonFiniteStepSize
    }
}
