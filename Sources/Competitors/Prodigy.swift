import Foundation
import MetaOptimize
import SIMDSupport

/// Prodigy (Mishchenko & Defazio, ICML 2024, arXiv 2306.06101) as `prodigyopt` 1.1.2 computes it (spec §1): Adam
/// whose learning rate d·lr grows from d0 by a D-Adaptation estimate of the distance to the solution. One
/// parameter group. Logged step size: λ = d·lr·bias-correction used by the step; also d after it.
final class Prodigy: Competitor {
    var basics: CompetitorBasics
    let buffers: StateBuffers
    let stepSizeReport = oneStepSize(alsoTracing: "d")

    // State (spec §1). Global doubles:
    var d: Double, dMax: Double, numerator = 0.0, k = 0.0
    /// λ used by the last step (the trace and curve value; before any step λ of the first step).
    var lastLambda: Double
    // Per element, Float32: m (only if β1 > 0), v; on the slice (every slice_p-th element of each tensor): s, p0.
    let m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    let s: UnsafeMutablePointer<Float>, p0: UnsafeMutablePointer<Float>
    /// Start of each tensor's slice in `s` and `p0`.
    let sliceOffsets: [Int]

    let lr, beta1, beta2, beta3, eps, wd, d0, dCoef, growthRate: Double
    let decouple, biasCorrection, safeguard: Bool
    let sliceP: Int

    init(tensors: [TensorDescriptor], spans: [TensorSpan], settings s: CompetitorSettings) {
        basics = CompetitorBasics(name: "prodigy", tensors: tensors, spans: spans, settings: s)
        lr = s.lr!; beta1 = s.beta1!; beta2 = s.beta2!; beta3 = s.beta3!; eps = s.eps!; wd = s.weightDecay
        d0 = s.d0!; dCoef = s.dCoef!; growthRate = s.growthRate!
        decouple = s.decouple!; biasCorrection = s.useBiasCorrection!; safeguard = s.safeguardWarmup!
        sliceP = s.sliceP!
        d = d0; dMax = d0
        var offsets: [Int] = [], sliced = 0
        for span in spans {
            offsets.append(sliced)
            sliced += (span.count + sliceP - 1) / sliceP
        }
        sliceOffsets = offsets
        let n = spans.last!.offset + spans.last!.count
        buffers = StateBuffers([("exp_avg", beta1 > 0 ? n : 0), ("exp_avg_sq", n), ("s", sliced), ("p0", sliced)])
        m = buffers["exp_avg"]; v = buffers["exp_avg_sq"]; self.s = buffers["s"]; p0 = buffers["p0"]
        lastLambda = d0 * lr * (biasCorrection ? (1 - beta2).squareRoot() / (1 - beta1) : 1)
    }

    var summary: String { "Prodigy (prodigyopt 1.1.2): lr = \(lr), d0 = \(d0), d_coef = \(dCoef), weight_decay = \(wd)" }

    var scalarState: [String: Double] {
        ["d": d, "d_max": dMax, "d_numerator": numerator, "k": k, "last_step_size": lastLambda]
    }

    func loadScalars(_ x: [String: Double]) {
        d = scalar(x, "d"); dMax = scalar(x, "d_max"); numerator = scalar(x, "d_numerator"); k = scalar(x, "k")
        lastLambda = scalar(x, "last_step_size")
    }

    func traceValue(_ c: Int) -> Double { c == 0 ? lastLambda : d }
    func curveValue(_ c: Int) -> Double { lastLambda }

    func update(weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, loss: Float) -> DivergenceReason? {
        let t = k + 1
        let bc = biasCorrection ? (1 - pow(beta2, t)).squareRoot() / (1 - pow(beta1, t)) : 1
        let dlr = d * lr * bc
        var numeratorNew = beta3 * numerator
        var denominator = 0.0
        let first = k == 0
        let coupled = wd != 0 && !decouple
        let wdF = Float(wd)
        let b1 = Float(beta1), b2 = Float(beta2), b3 = Float(beta3)
        let mScale = Float(d * (1 - beta1)), vScale = Float(d * d * (1 - beta2))
        let sScale = Float(safeguard ? (d / d0) * d : (d / d0) * dlr)
        let hasMomentum = beta1 > 0
        for (span, sliceStart) in zip(spans, sliceOffsets) {
            let gp = g + span.offset, wp = w + span.offset
            let mp = m + span.offset, vp = v + span.offset
            let sp = s + sliceStart, p0p = p0 + sliceStart
            if sliceP == 1 {
                if first { copyFloats(p0p, wp, span.count) }
                var dotAcc = V8(), l1 = V8()
                var i = 0
                let countI = span.count
                while i < countI {
                    let n = Swift.min(8, countI - i)
                    let wv = ld(wp, i, n)
                    var gv = ld(gp, i, n)
                    if coupled { gv = gv + splat(wdF) * wv }
                    dotAcc = dotAcc.addingProduct(gv, ld(p0p, i, n) - wv)
                    if hasMomentum { st(mp, i, n, ld(mp, i, n) * splat(b1) + splat(mScale) * gv) }
                    st(vp, i, n, ld(vp, i, n) * splat(b2) + splat(vScale) * gv * gv)
                    let sv = ld(sp, i, n) * splat(b3) + splat(sScale) * gv
                    st(sp, i, n, sv)
                    l1 += abs8(sv)
                    i += 8
                }
                numeratorNew += (d / d0) * dlr * Double(horizontalSum(dotAcc))
                denominator += Double(horizontalSum(l1))
            } else {
                var i = 0
                let countI = span.count
                while i < countI {
                    let n = Swift.min(8, countI - i)
                    var gv = ld(gp, i, n)
                    if coupled { gv = gv + splat(wdF) * ld(wp, i, n) }
                    if hasMomentum { st(mp, i, n, ld(mp, i, n) * splat(b1) + splat(mScale) * gv) }
                    st(vp, i, n, ld(vp, i, n) * splat(b2) + splat(vScale) * gv * gv)
                    i += 8
                }
                var dotSum: Float = 0, l1: Float = 0
                var j = 0, e = 0
                while e < span.count {
                    if first { p0p[j] = wp[e] }
                    let ge = coupled ? gp[e] + wdF * wp[e] : gp[e]
                    dotSum += ge * (p0p[j] - wp[e])
                    sp[j] = sp[j] * b3 + sScale * ge
                    l1 += Swift.abs(sp[j])
                    j += 1
                    e += sliceP
                }
                numeratorNew += (d / d0) * dlr * Double(dotSum)
                denominator += Double(l1)
            }
        }
        lastLambda = dlr
        if denominator == 0 { return nil }  // every sliced gradient so far was 0: no parameter change
        numerator = numeratorNew
        let dHat = dCoef * numerator / denominator
        if d == d0 { d = max(d, dHat) }
        dMax = max(dMax, dHat)
        d = min(dMax, d * growthRate)
        let epsD = Float(d * eps)
        let decayScale = Float(-wd * dlr)
        let decoupled = wd != 0 && decouple
        let stepScale = Float(-dlr), rawScale = Float(-dlr * d)
        for span in spans {
            let gp = g + span.offset, wp = w + span.offset, mp = m + span.offset, vp = v + span.offset
            var i = 0
            let countI = span.count
            while i < countI {
                let n = Swift.min(8, countI - i)
                let denom = squareRoot8(ld(vp, i, n)) + splat(epsD)
                var wv = ld(wp, i, n)
                if decoupled { wv = wv + splat(decayScale) * wv }
                if hasMomentum {
                    wv = wv + splat(stepScale) * ld(mp, i, n) / denom
                } else {
                    var gv = ld(gp, i, n)
                    if coupled { gv = gv + splat(wdF) * ld(wp, i, n) }
                    wv = wv + splat(rawScale) * gv / denom
                }
                st(wp, i, n, wv)
                i += 8
            }
        }
        k += 1
        return d.isFinite && dlr.isFinite ? nil : .nonFiniteStepSize
    }
}
