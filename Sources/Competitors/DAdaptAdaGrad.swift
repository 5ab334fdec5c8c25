import Foundation
import MetaOptimize
import SIMDSupport

/// D-Adaptation AdaGrad (dense gradients) as `dadaptation` 3.2 `DAdaptAdaGrad` computes it (spec §2.3): dual
/// averaging with per-coordinate AdaGrad scaling. One parameter group. Logged step size: λ = d·lr used; also d.
final class DAdaptAdaGrad: DistanceAdapting {
    var basics: CompetitorBasics
    let buffers: StateBuffers

    // State (spec §2.3). Global doubles: d, W (weighted ‖s‖²), L1 (‖s‖₁), Gw, k. Per element, Float32: α, s, x0.
    var d: Double, weighted = 0.0, l1 = 0.0, gsqWeighted = 0.0, k = 0.0
    var lastLambda: Double
    let alpha: UnsafeMutablePointer<Float>, sk: UnsafeMutablePointer<Float>, x0: UnsafeMutablePointer<Float>
    /// Per tensor, the Float32 lane sums Σ s²/(√α + eps) and Σ |s| of the last step's new s and α: exactly this
    /// step's sums over the old s and α (same values, same lanes), so they are not recomputed. Not state: invalid
    /// after a restore (then recomputed once).
    let lastSums: UnsafeMutablePointer<Float>
    var lastSumsValid = false
    /// The weights before the step, kept by the first pass (which already writes the new weights) for the package's
    /// skipped step (‖s‖₁ = 0), which leaves the weights unchanged. Scratch allocated once; not state.
    let previousWeights: UnsafeMutablePointer<Float>

    let lr, momentum, eps, wd, d0, growthRate: Double

    init(tensors: [TensorDescriptor], spans: [TensorSpan], settings c: CompetitorSettings) {
        basics = CompetitorBasics(name: "dadapt-adagrad", tensors: tensors, spans: spans, settings: c)
        lr = c.lr!; momentum = c.sgdMomentum!; eps = c.eps!; wd = c.weightDecay; d0 = c.d0!; growthRate = c.growthRate!
        d = d0
        lastLambda = d0 * lr
        let n = spans.last!.offset + spans.last!.count
        buffers = StateBuffers([("alpha_k", n), ("sk", n), ("x0", n)])
        alpha = buffers["alpha_k"]; sk = buffers["sk"]; x0 = buffers["x0"]
        alpha.update(repeating: 1e-6, count: n)
        lastSums = .allocate(capacity: 2 * spans.count)
        previousWeights = .allocate(capacity: n)
    }

    deinit {
        lastSums.deallocate()
        previousWeights.deallocate()
    }

    var summary: String { "D-Adapt AdaGrad (dadaptation 3.2): lr = \(lr), d0 = \(d0), eps = \(eps), weight_decay = \(wd)" }

    static var scalarFields: [(String, ReferenceWritableKeyPath<DAdaptAdaGrad, Double>)] {
        [
            ("d", \.d), ("sksq_weighted", \.weighted), ("sk_l1", \.l1), ("gsq_weighted", \.gsqWeighted), ("k", \.k),
            ("last_step_size", \.lastLambda),
        ]
    }

    func didRestore() { lastSumsValid = false }

    func update(weights w: UnsafeMutablePointer<Float>, gradients g: GradientSource, loss: Float) -> DivergenceReason? {
        let dlr = d * lr
        let epsF = Float(eps), dlrF = Float(dlr)
        var g2 = 0.0, weightedChange = 0.0, l1Change = 0.0
        let recompute = !lastSumsValid, decay = wd != 0
        for (t, span) in spans.enumerated() {
            if k == 0 { copyFloats(x0 + span.offset, w + span.offset, span.count) }
            var pass = DAdaptAdaGradReductions(w: w, alpha: alpha, s: sk, x0: x0, previousWeights: previousWeights,
                                               recompute: recompute, decay: CoupledDecay(wd, isOn: decay), eps: epsF,
                                               dlr: dlrF, momentum: Float(momentum),
                                               oneMinusMomentum: Float(1 - momentum), copiesZ: momentum == 0)
            pass = g.runApart(pass, from: span.offset, count: span.count)
            let oldWSum = recompute ? horizontalSum(pass.oldW) : lastSums[2 * t]
            let oldLSum = recompute ? horizontalSum(pass.oldL) : lastSums[2 * t + 1]
            lastSums[2 * t] = horizontalSum(pass.newW)
            lastSums[2 * t + 1] = horizontalSum(pass.newL)
            g2 += Double(horizontalSum(pass.gq))
            weightedChange += Double(lastSums[2 * t]) - Double(oldWSum)
            l1Change += Double(lastSums[2 * t + 1]) - Double(oldLSum)
        }
        lastSumsValid = true
        lastLambda = dlr
        let weightedNew = weighted + weightedChange, l1New = l1 + l1Change
        if l1New == 0 {
            copyFloats(w, previousWeights, parameterCount)
            return nil
        }
        weighted = weightedNew
        l1 = l1New
        gsqWeighted += dlr * dlr * g2
        let dHat = (weighted - gsqWeighted) / l1
        d = max(d, min(dHat, d * growthRate))
        return completeStep(used: dlr)
    }
}

/// D-Adapt AdaGrad's pass over one tensor: α ← α + g², s ← s + λ·g, z = x0 − s/(√α + eps) (new s and α), the
/// weight step w ← μ·w + (1 − μ)·z (w ← z when μ = 0, as the package writes it: not μ·w + z, whose signed zeros can
/// differ) with the old w kept, and the lane sums of s²/(√α + eps) and |s| (old values only when `recompute`, new
/// values), g²/(√α + eps). The weight step needs nothing the sums decide: d changes only the next step's λ, and a
/// skipped step puts the kept weights back.
private struct DAdaptAdaGradReductions: GradientPass {
    let w: UnsafeMutablePointer<Float>, alpha: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>
    let x0: UnsafeMutablePointer<Float>, previousWeights: UnsafeMutablePointer<Float>
    let recompute: Bool, decay: CoupledDecay, eps: Float, dlr: Float
    let momentum: Float, oneMinusMomentum: Float, copiesZ: Bool
    var oldW = V8(), oldL = V8(), newW = V8(), newL = V8(), gq = V8()

    @inline(__always)
    mutating func chunk(_ e: Int, _ n: Int, _ g: V8) {
        let wOld = ld(w, e, n)
        let gv = decay(g, wOld)
        let sOld = ld(s, e, n)
        let aOld = ld(alpha, e, n)
        // Padded tail lanes have α = 0 and s = 0: every term below is 0/eps = 0 there.
        if recompute {
            oldW += sOld * sOld / (squareRoot8(aOld) + splat(eps))
            oldL += abs8(sOld)
        }
        let a = aOld + gv * gv
        st(alpha, e, n, a)
        let root = squareRoot8(a) + splat(eps)
        gq += gv * gv / root
        let sv = sOld + splat(dlr) * gv
        st(s, e, n, sv)
        newW += sv * sv / root
        let zv = ld(x0, e, n) - sv / root
        st(previousWeights, e, n, wOld)
        st(w, e, n, copiesZ ? zv : wOld * splat(momentum) + splat(oneMinusMomentum) * zv)
        newL += abs8(sv)
    }
}
