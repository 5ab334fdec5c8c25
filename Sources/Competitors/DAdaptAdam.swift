import Foundation
import MetaOptimize
import SIMDSupport

/// D-Adaptation Adam (Defazio & Mishchenko, ICML 2023, arXiv 2301.07733) as `dadaptation` 3.2 `DAdaptAdam`
/// computes it (spec §2.1). One parameter group. Logged step size: λ = d·lr·bias-correction used; also d after.
final class DAdaptAdam: Competitor {
    var basics: CompetitorBasics
    let buffers: StateBuffers
    let stepSizeReport = oneStepSize(alsoTracing: "d")

    // State (spec §2.1). Global doubles: d, the weighted numerator Nw, k. Per element, Float32: s, m, v.
    var d: Double, numerator = 0.0, k = 0.0
    var lastLambda: Double
    let s: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>

    let lr, beta1, beta2, eps, wd, d0, growthRate, layerScale: Double
    let decouple, biasCorrection: Bool

    init(tensors: [TensorDescriptor], spans: [TensorSpan], settings c: CompetitorSettings) {
        basics = CompetitorBasics(name: "dadapt-adam", tensors: tensors, spans: spans, settings: c)
        lr = c.lr!; beta1 = c.beta1!; beta2 = c.beta2!; eps = c.eps!; wd = c.weightDecay; d0 = c.d0!
        growthRate = c.growthRate!; layerScale = c.layerScale!; decouple = c.decouple!
        biasCorrection = c.useBiasCorrection!
        d = d0
        let n = spans.last!.offset + spans.last!.count
        buffers = StateBuffers([("s", n), ("exp_avg", n), ("exp_avg_sq", n)])
        s = buffers["s"]; m = buffers["exp_avg"]; v = buffers["exp_avg_sq"]
        lastLambda = d0 * lr * (biasCorrection ? (1 - beta2).squareRoot() / (1 - beta1) : 1)
    }

    var summary: String { "D-Adapt Adam (dadaptation 3.2): lr = \(lr), d0 = \(d0), weight_decay = \(wd), decouple = \(decouple)" }

    var scalarState: [String: Double] { ["d": d, "numerator_weighted": numerator, "k": k, "last_step_size": lastLambda] }

    func loadScalars(_ x: [String: Double]) {
        d = scalar(x, "d"); numerator = scalar(x, "numerator_weighted"); k = scalar(x, "k")
        lastLambda = scalar(x, "last_step_size")
    }

    func traceValue(_ c: Int) -> Double { c == 0 ? lastLambda : d }
    func curveValue(_ c: Int) -> Double { lastLambda }

    func update(weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, loss: Float) -> DivergenceReason? {
        let t = k + 1
        let bc = biasCorrection ? (1 - pow(beta2, t)).squareRoot() / (1 - pow(beta1, t)) : 1
        let dlr = d * lr * bc
        let r2 = beta2.squareRoot()
        var accumulated = 0.0, l1Sum = 0.0
        let coupled = wd != 0 && !decouple
        let wdF = Float(wd), epsF = Float(eps)
        let b1 = Float(beta1), b2 = Float(beta2), r2F = Float(r2)
        let mScale = Float(layerScale * dlr * (1 - beta1)), vScale = Float(1 - beta2), sScale = Float(dlr * (1 - r2))
        for span in spans {
            let gp = g + span.offset, wp = w + span.offset
            let sp = s + span.offset, mp = m + span.offset, vp = v + span.offset
            var dotAcc = V8(), l1 = V8()
            var i = 0
            let countI = span.count
            while i < countI {
                let n = Swift.min(8, countI - i)
                var gv = ld(gp, i, n)
                if coupled { gv = gv + splat(wdF) * ld(wp, i, n) }
                let vOld = ld(vp, i, n), sOld = ld(sp, i, n)
                dotAcc = dotAcc.addingProduct(gv, sOld / (squareRoot8(vOld) + splat(epsF)))
                st(mp, i, n, ld(mp, i, n) * splat(b1) + splat(mScale) * gv)
                st(vp, i, n, vOld * splat(b2) + splat(vScale) * gv * gv)
                let sv = sOld * splat(r2F) + splat(sScale) * gv
                st(sp, i, n, sv)
                l1 += abs8(sv)
                i += 8
            }
            accumulated += layerScale * dlr * Double(horizontalSum(dotAcc))
            l1Sum += layerScale * Double(horizontalSum(l1))
        }
        lastLambda = dlr
        let numeratorNew = r2 * numerator + (1 - r2) * accumulated
        if l1Sum == 0 { return nil }
        numerator = numeratorNew
        let dHat = numerator / ((1 - r2) * l1Sum)
        d = max(d, min(dHat, d * growthRate))
        let decoupled = wd != 0 && decouple
        let decayScale = Float(-wd * dlr)
        for span in spans {
            let wp = w + span.offset, mp = m + span.offset, vp = v + span.offset
            var i = 0
            let countI = span.count
            while i < countI {
                let n = Swift.min(8, countI - i)
                let denom = squareRoot8(ld(vp, i, n)) + splat(epsF)
                var wv = ld(wp, i, n)
                if decoupled { wv = wv + splat(decayScale) * wv }
                st(wp, i, n, wv - ld(mp, i, n) / denom)
                i += 8
            }
        }
        k += 1
        return d.isFinite && dlr.isFinite ? nil : .nonFiniteStepSize
    }
}
