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
    /// The weights before the step, kept by the pass (which already writes the step's weights) for the package's
    /// skipped step (‖s‖₁ = 0), which updates m and v but not the weights. Scratch allocated once; not state.
    let previousWeights: UnsafeMutablePointer<Float>
    /// s/(√v + eps) of the current s and v, written by the last step's pass where √v + eps of its new v is at hand, for
    /// this step's ⟨g, s/(√v + eps)⟩: the same Float32 operations on the same values, one square root fewer per
    /// weight. Scratch allocated once, not state: invalid before the first step and after a restore.
    let quotient: UnsafeMutablePointer<Float>
    var quotientValid = false

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
        previousWeights = .allocate(capacity: n)
        quotient = .allocate(capacity: n)
        lastLambda = d0 * lr * adamBiasCorrection(beta1: beta1, beta2: beta2, step: 1, enabled: biasCorrection)
    }

    deinit {
        previousWeights.deallocate()
        quotient.deallocate()
    }

    func didRestore() { quotientValid = false }

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
        // One pass: what sets d (⟨g, s/(√v + eps)⟩ with the old s and v, the new s and ‖s‖₁), m, v and the weights,
        // which need only the old d. A skipped step (‖s‖₁ = 0) puts the kept weights back; m and v stay updated.
        for span in spans {
            var pass = DAdaptAdamPass(
                w: w, s: s, m: m, v: v, previousWeights: previousWeights, quotient: quotient,
                quotientValid: quotientValid, decay: CoupledDecay(wd, isOn: coupled),
                eps: epsF, r2: r2F, sScale: sScale, beta1: b1, beta2: b2, mScale: mScale, vScale: vScale,
                decoupled: wd != 0 && decouple, decayScale: Float(-wd * dlr))
            pass = g.run(pass, from: span.offset, count: span.count)
            accumulated += layerScale * dlr * Double(horizontalSum(pass.dot))
            l1Sum += layerScale * Double(horizontalSum(pass.l1))
        }
        quotientValid = true
        lastLambda = dlr
        let numeratorNew = r2 * numerator + (1 - r2) * accumulated
        let updatesWeights = l1Sum != 0
        if updatesWeights {
            numerator = numeratorNew
            let dHat = numerator / ((1 - r2) * l1Sum)
            d = max(d, min(dHat, d * growthRate))
        } else {
            copyFloats(w, previousWeights, parameterCount)
        }
        return completeStep(movedWeights: updatesWeights, used: dlr)
    }
}

/// D-Adapt Adam's pass over one tensor: the lane sums of g·s/(√v + eps) (old s, v: the kept quotient when valid) and
/// |s| (new s), then m, v, the weights (the old weights kept) and the next step's quotient.
private struct DAdaptAdamPass: GradientPass {
    let w: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>
    let v: UnsafeMutablePointer<Float>, previousWeights: UnsafeMutablePointer<Float>
    let quotient: UnsafeMutablePointer<Float>, quotientValid: Bool
    let decay: CoupledDecay, eps: Float, r2: Float, sScale: Float
    let beta1: Float, beta2: Float, mScale: Float, vScale: Float, decoupled: Bool, decayScale: Float
    var dot = V8(), l1 = V8()

    @inline(__always)
    mutating func chunk(_ e: Int, _ n: Int, _ g: V8) {
        let w0 = ld(w, e, n)
        let gv = decay(g, w0)
        let sOld = ld(s, e, n), vOld = ld(v, e, n)
        dot = dot.addingProduct(gv, quotientValid ? ld(quotient, e, n) : sOld / (squareRoot8(vOld) + splat(eps)))
        let sv = sOld * splat(r2) + splat(sScale) * gv
        st(s, e, n, sv)
        l1 += abs8(sv)
        let mv = ld(m, e, n) * splat(beta1) + splat(mScale) * gv
        let vv = vOld * splat(beta2) + splat(vScale) * gv * gv
        st(m, e, n, mv)
        st(v, e, n, vv)
        let denom = squareRoot8(vv) + splat(eps)
        st(quotient, e, n, sv / denom)
        var wv = w0
        if decoupled { wv = wv + splat(decayScale) * wv }
        st(previousWeights, e, n, w0)
        st(w, e, n, wv - mv / denom)
    }
}
