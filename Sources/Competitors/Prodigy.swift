import Foundation
import MetaOptimize
import SIMDSupport

/// Prodigy (Mishchenko & Defazio, ICML 2024, arXiv 2306.06101) as `prodigyopt` 1.1.2 computes it (spec §1): Adam
/// whose learning rate d·lr grows from d0 by a D-Adaptation estimate of the distance to the solution. One
/// parameter group. Logged step size: λ = d·lr·bias-correction used by the step; also d after it.
final class Prodigy: DistanceAdapting {
    var basics: CompetitorBasics
    let buffers: StateBuffers

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
        lastLambda = d0 * lr * adamBiasCorrection(beta1: beta1, beta2: beta2, step: 1, enabled: biasCorrection)
    }

    var summary: String { "Prodigy (prodigyopt 1.1.2): lr = \(lr), d0 = \(d0), d_coef = \(dCoef), weight_decay = \(wd)" }

    static var scalarFields: [(String, ReferenceWritableKeyPath<Prodigy, Double>)] {
        [
            ("d", \.d), ("d_max", \.dMax), ("d_numerator", \.numerator), ("k", \.k), ("last_step_size", \.lastLambda),
        ]
    }

    func update(weights w: UnsafeMutablePointer<Float>, gradients g: GradientSource, loss: Float) -> DivergenceReason? {
        let dlr = d * lr * adamBiasCorrection(beta1: beta1, beta2: beta2, step: k + 1, enabled: biasCorrection)
        var numeratorNew = beta3 * numerator
        var denominator = 0.0
        let first = k == 0
        let coupled = wd != 0 && !decouple
        let wdF = Float(wd), b3 = Float(beta3)
        let sScale = Float(safeguard ? (d / d0) * d : (d / d0) * dlr)
        // Pass 1, the reductions that set d: ⟨g, p0 − w⟩ and ‖s‖₁ on the slice (m and v wait for pass 2).
        for (span, sliceStart) in zip(spans, sliceOffsets) {
            if sliceP == 1 {
                if first { copyFloats(p0 + sliceStart, w + span.offset, span.count) }
                var pass = ProdigyReductions(w: w, p0: p0 + sliceStart - span.offset, s: s + sliceStart - span.offset,
                                             decay: CoupledDecay(wd, isOn: coupled), beta3: b3, sScale: sScale)
                pass = g.run(pass, from: span.offset, count: span.count)
                numeratorNew += (d / d0) * dlr * Double(horizontalSum(pass.dot))
                denominator += Double(horizontalSum(pass.l1))
            } else {
                var dotSum: Float = 0, l1: Float = 0
                var j = sliceStart
                g.forEachStrided(from: span.offset, count: span.count, stride: sliceP) { e, g in
                    if first { p0[j] = w[e] }
                    let ge = coupled ? g + wdF * w[e] : g
                    dotSum += ge * (p0[j] - w[e])
                    s[j] = s[j] * b3 + sScale * ge
                    l1 += Swift.abs(s[j])
                    j += 1
                }
                numeratorNew += (d / d0) * dlr * Double(dotSum)
                denominator += Double(l1)
            }
        }
        lastLambda = dlr
        let oldD = d
        let updatesWeights = denominator != 0  // else every sliced gradient so far was 0: no parameter change
        if updatesWeights {
            numerator = numeratorNew
            let dHat = dCoef * numerator / denominator
            if d == d0 { d = max(d, dHat) }
            dMax = max(dMax, dHat)
            d = min(dMax, d * growthRate)
        }
        // Pass 2: m and v (with the d of the step's start), then the weights (with the new d).
        var pass = ProdigyUpdate(
            w: w, m: m, v: v, decay: CoupledDecay(wd, isOn: coupled), beta1: Float(beta1), beta2: Float(beta2),
            mScale: Float(oldD * (1 - beta1)), vScale: Float(oldD * oldD * (1 - beta2)), hasMomentum: beta1 > 0,
            updatesWeights: updatesWeights, epsD: Float(d * eps), decoupled: wd != 0 && decouple,
            decayScale: Float(-wd * dlr), stepScale: Float(-dlr), rawScale: Float(-dlr * d))
        pass = g.run(pass, from: 0, count: parameterCount)
        return completeStep(movedWeights: updatesWeights, used: dlr)
    }
}

/// Prodigy's first pass over one tensor: s ← β3·s + sScale·g and the lane sums of g·(p0 − w) and |s|.
private struct ProdigyReductions: GradientPass {
    let w: UnsafeMutablePointer<Float>, p0: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>
    let decay: CoupledDecay, beta3: Float, sScale: Float
    var dot = V8(), l1 = V8()

    @inline(__always)
    mutating func chunk(_ e: Int, _ n: Int, _ g: V8) {
        let wv = ld(w, e, n)
        let gv = decay(g, wv)
        dot = dot.addingProduct(gv, ld(p0, e, n) - wv)
        let sv = ld(s, e, n) * splat(beta3) + splat(sScale) * gv
        st(s, e, n, sv)
        l1 += abs8(sv)
    }
}

/// Prodigy's second pass: m and v with the step's starting d, then (unless the step is skipped) the weights.
private struct ProdigyUpdate: GradientPass {
    let w: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    let decay: CoupledDecay, beta1: Float, beta2: Float, mScale: Float, vScale: Float, hasMomentum: Bool
    let updatesWeights: Bool, epsD: Float, decoupled: Bool, decayScale: Float, stepScale: Float, rawScale: Float

    @inline(__always)
    mutating func chunk(_ e: Int, _ n: Int, _ g: V8) {
        let w0 = ld(w, e, n)
        let gv = decay(g, w0)
        var mv = V8()
        if hasMomentum {
            mv = ld(m, e, n) * splat(beta1) + splat(mScale) * gv
            st(m, e, n, mv)
        }
        let vv = ld(v, e, n) * splat(beta2) + splat(vScale) * gv * gv
        st(v, e, n, vv)
        guard updatesWeights else { return }
        let denom = squareRoot8(vv) + splat(epsD)
        var wv = w0
        if decoupled { wv = wv + splat(decayScale) * wv }
        if hasMomentum {
            wv = wv + splat(stepScale) * mv / denom
        } else {
            wv = wv + splat(rawScale) * gv / denom
        }
        st(w, e, n, wv)
    }
}
