import Foundation
import MetaOptimize
import SIMDSupport

/// D-Adaptation Adam (Defazio & Mishchenko, ICML 2023, arXiv 2301.07733) as `dadaptation` 3.2 `DAdaptAdam`
/// computes it (spec §2.1). One parameter group. Logged step size: λ = d·lr·bias-correction used; also d after.
final class DAdaptAdam: DistanceAdapting {
    var basics: CompetitorBasics
    let buffers: StateBuffers

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
        lastLambda = d0 * lr * adamBiasCorrection(beta1: beta1, beta2: beta2, step: 1, enabled: biasCorrection)
    }

    var summary: String { "D-Adapt Adam (dadaptation 3.2): lr = \(lr), d0 = \(d0), weight_decay = \(wd), decouple = \(decouple)" }

    static var scalarFields: [(String, ReferenceWritableKeyPath<DAdaptAdam, Double>)] {
        [
            ("d", \.d), ("numerator_weighted", \.numerator), ("k", \.k), ("last_step_size", \.lastLambda),
        ]
    }

    func update(weights w: UnsafeMutablePointer<Float>, gradients g: GradientSource, loss: Float) -> DivergenceReason? {
        let dlr = d * lr * adamBiasCorrection(beta1: beta1, beta2: beta2, step: k + 1, enabled: biasCorrection)
        let r2 = beta2.squareRoot()
        var accumulated = 0.0, l1Sum = 0.0
        let coupled = wd != 0 && !decouple
        let epsF = Float(eps)
        let b1 = Float(beta1), b2 = Float(beta2), r2F = Float(r2)
        let mScale = Float(layerScale * dlr * (1 - beta1)), vScale = Float(1 - beta2), sScale = Float(dlr * (1 - r2))
        // Pass 1, what sets d: ⟨g, s/(√v + eps)⟩ with the old s and v, the new s and ‖s‖₁ (m and v in pass 2).
        for span in spans {
            var pass = DAdaptAdamReductions(w: w, s: s, v: v, decay: CoupledDecay(wd, isOn: coupled), eps: epsF, r2: r2F,
                                            sScale: sScale)
            pass = g.run(pass, from: span.offset, count: span.count)
            accumulated += layerScale * dlr * Double(horizontalSum(pass.dot))
            l1Sum += layerScale * Double(horizontalSum(pass.l1))
        }
        lastLambda = dlr
        let numeratorNew = r2 * numerator + (1 - r2) * accumulated
        let updatesWeights = l1Sum != 0
        if updatesWeights {
            numerator = numeratorNew
            let dHat = numerator / ((1 - r2) * l1Sum)
            d = max(d, min(dHat, d * growthRate))
        }
        // Pass 2: m and v, then (unless the step was skipped) the weights.
        var pass = DAdaptAdamUpdate(w: w, m: m, v: v, decay: CoupledDecay(wd, isOn: coupled), beta1: b1, beta2: b2, mScale: mScale,
                                    vScale: vScale, eps: epsF, updatesWeights: updatesWeights,
                                    decoupled: wd != 0 && decouple, decayScale: Float(-wd * dlr))
        pass = g.run(pass, from: 0, count: parameterCount)
        return completeStep(movedWeights: updatesWeights, used: dlr)
    }
}

/// D-Adapt Adam's first pass over one tensor: the lane sums of g·s/(√v + eps) (old s, v) and |s| (new s).
private struct DAdaptAdamReductions: GradientPass {
    let w: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    let decay: CoupledDecay, eps: Float, r2: Float, sScale: Float
    var dot = V8(), l1 = V8()

    @inline(__always)
    mutating func chunk(_ e: Int, _ n: Int, _ g: V8) {
        let gv = decay(g, ld(w, e, n))
        let sOld = ld(s, e, n)
        dot = dot.addingProduct(gv, sOld / (squareRoot8(ld(v, e, n)) + splat(eps)))
        let sv = sOld * splat(r2) + splat(sScale) * gv
        st(s, e, n, sv)
        l1 += abs8(sv)
    }
}

/// D-Adapt Adam's second pass: m and v, then (unless the step is skipped) the weights.
private struct DAdaptAdamUpdate: GradientPass {
    let w: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    let decay: CoupledDecay, beta1: Float, beta2: Float, mScale: Float, vScale: Float, eps: Float
    let updatesWeights: Bool, decoupled: Bool, decayScale: Float

    @inline(__always)
    mutating func chunk(_ e: Int, _ n: Int, _ g: V8) {
        let w0 = ld(w, e, n)
        let gv = decay(g, w0)
        let mv = ld(m, e, n) * splat(beta1) + splat(mScale) * gv
        let vv = ld(v, e, n) * splat(beta2) + splat(vScale) * gv * gv
        st(m, e, n, mv)
        st(v, e, n, vv)
        guard updatesWeights else { return }
        let denom = squareRoot8(vv) + splat(eps)
        var wv = w0
        if decoupled { wv = wv + splat(decayScale) * wv }
        st(w, e, n, wv - mv / denom)
    }
}
