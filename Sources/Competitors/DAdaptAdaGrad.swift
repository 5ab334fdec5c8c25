import Foundation
import MetaOptimize
import SIMDSupport

/// D-Adaptation AdaGrad (dense gradients) as `dadaptation` 3.2 `DAdaptAdaGrad` computes it (spec §2.3): dual
/// averaging with per-coordinate AdaGrad scaling. One parameter group. Logged step size: λ = d·lr used; also d.
final class DAdaptAdaGrad: Competitor {
    var basics: CompetitorBasics
    let buffers: StateBuffers
    let stepSizeReport = oneStepSize(alsoTracing: "d")

    // State (spec §2.3). Global doubles: d, W (weighted ‖s‖²), L1 (‖s‖₁), Gw, k. Per element, Float32: α, s, x0.
    var d: Double, weighted = 0.0, l1 = 0.0, gsqWeighted = 0.0, k = 0.0
    var lastLambda: Double
    let alpha: UnsafeMutablePointer<Float>, sk: UnsafeMutablePointer<Float>, x0: UnsafeMutablePointer<Float>

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
    }

    var summary: String { "D-Adapt AdaGrad (dadaptation 3.2): lr = \(lr), d0 = \(d0), eps = \(eps), weight_decay = \(wd)" }

    var scalarState: [String: Double] {
        ["d": d, "sksq_weighted": weighted, "sk_l1": l1, "gsq_weighted": gsqWeighted, "k": k, "last_step_size": lastLambda]
    }

    func loadScalars(_ x: [String: Double]) {
        d = scalar(x, "d"); weighted = scalar(x, "sksq_weighted"); l1 = scalar(x, "sk_l1")
        gsqWeighted = scalar(x, "gsq_weighted"); k = scalar(x, "k"); lastLambda = scalar(x, "last_step_size")
    }

    func traceValue(_ c: Int) -> Double { c == 0 ? lastLambda : d }
    func curveValue(_ c: Int) -> Double { lastLambda }

    func update(weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, loss: Float) -> DivergenceReason? {
        let dlr = d * lr
        let wdF = Float(wd), epsF = Float(eps), dlrF = Float(dlr)
        var g2 = 0.0, weightedChange = 0.0, l1Change = 0.0
        for span in spans {
            let gp = g + span.offset, wp = w + span.offset, ap = alpha + span.offset, sp = sk + span.offset
            if k == 0 { copyFloats(x0 + span.offset, wp, span.count) }
            var oldW = V8(), oldL = V8(), newW = V8(), newL = V8(), gq = V8()
            var i = 0
            let countI = span.count
            while i < countI {
                let n = Swift.min(8, countI - i)
                var gv = ld(gp, i, n)
                if wd != 0 { gv = gv + splat(wdF) * ld(wp, i, n) }
                let sOld = ld(sp, i, n)
                let aOld = ld(ap, i, n)
                // Padded tail lanes have α = 0 and s = 0: every term below is 0/eps = 0 there.
                oldW += sOld * sOld / (squareRoot8(aOld) + splat(epsF))
                oldL += abs8(sOld)
                let a = aOld + gv * gv
                st(ap, i, n, a)
                let root = squareRoot8(a) + splat(epsF)
                gq += gv * gv / root
                let sv = sOld + splat(dlrF) * gv
                st(sp, i, n, sv)
                newW += sv * sv / root
                newL += abs8(sv)
                i += 8
            }
            g2 += Double(horizontalSum(gq))
            weightedChange += Double(horizontalSum(newW)) - Double(horizontalSum(oldW))
            l1Change += Double(horizontalSum(newL)) - Double(horizontalSum(oldL))
        }
        lastLambda = dlr
        let weightedNew = weighted + weightedChange, l1New = l1 + l1Change
        if l1New == 0 { return nil }
        weighted = weightedNew
        l1 = l1New
        gsqWeighted += dlr * dlr * g2
        let dHat = (weighted - gsqWeighted) / l1
        d = max(d, min(dHat, d * growthRate))
        let mu = Float(momentum), ck = Float(1 - momentum)
        for span in spans {
            let wp = w + span.offset, ap = alpha + span.offset, sp = sk + span.offset, xp = x0 + span.offset
            var i = 0
            let countI = span.count
            while i < countI {
                let n = Swift.min(8, countI - i)
                let zv = ld(xp, i, n) - ld(sp, i, n) / (squareRoot8(ld(ap, i, n)) + splat(epsF))
                st(wp, i, n, momentum == 0 ? zv : ld(wp, i, n) * splat(mu) + splat(ck) * zv)
                i += 8
            }
        }
        k += 1
        return d.isFinite && dlr.isFinite ? nil : .nonFiniteStepSize
    }
}
