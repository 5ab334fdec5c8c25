import Foundation
import MetaOptimize
import SIMDSupport

/// D-Adaptation Lion as `dadaptation` 3.2 `DAdaptLion` computes it (spec §2.4): sign updates of size d·lr, the
/// parameters moving before d is updated. One parameter group. Logged step size: λ = d·lr used; also d after.
final class DAdaptLion: DistanceAdapting {
    var basics: CompetitorBasics
    let buffers: StateBuffers

    // State (spec §2.4). Global doubles: d, Nw, k. Per element, Float32: m, s.
    var d: Double, numerator = 0.0, k = 0.0
    var lastLambda: Double
    let m: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>

    let lr, beta1, beta2, wd, d0: Double

    init(tensors: [TensorDescriptor], spans: [TensorSpan], settings c: CompetitorSettings) {
        basics = CompetitorBasics(name: "dadapt-lion", tensors: tensors, spans: spans, settings: c)
        lr = c.lr!; beta1 = c.beta1!; beta2 = c.beta2!; wd = c.weightDecay; d0 = c.d0!
        d = d0
        lastLambda = d0 * lr
        let n = spans.last!.offset + spans.last!.count
        buffers = StateBuffers([("exp_avg", n), ("s", n)])
        m = buffers["exp_avg"]; s = buffers["s"]
    }

    var summary: String { "D-Adapt Lion (dadaptation 3.2): lr = \(lr), d0 = \(d0), weight_decay = \(wd)" }

    static var scalarFields: [(String, ReferenceWritableKeyPath<DAdaptLion, Double>)] {
        [
            ("d", \.d), ("numerator_weighted", \.numerator), ("k", \.k), ("last_step_size", \.lastLambda),
        ]
    }

    func update(weights w: UnsafeMutablePointer<Float>, gradients g: GradientSource, loss: Float) -> DivergenceReason? {
        let dlr = d * lr
        let r2 = beta2.squareRoot()
        let shrink = Float(1 - dlr * wd), dlrF = Float(dlr)
        let b1 = Float(beta1), c1 = Float(1 - beta1), b2 = Float(beta2), mScale = Float((1 - beta2) * dlr)
        let r2F = Float(r2), sScale = Float((1 - r2) * dlr)
        var accumulated = 0.0, l1Sum = 0.0
        for span in spans {
            var pass = DAdaptLionPass(w: w, m: m, s: s, shrink: shrink, dlr: dlrF, beta1: b1, c1: c1, beta2: b2,
                                      mScale: mScale, r2: r2F, sScale: sScale)
            pass = g.run(pass, from: span.offset, count: span.count)
            accumulated += dlr * Double(horizontalSum(pass.dot))
            l1Sum += Double(horizontalSum(pass.l1))
        }
        lastLambda = dlr
        let numeratorNew = r2 * numerator + (1 - r2) * accumulated
        if l1Sum == 0 { return nil }  // the parameters have already moved (as in the package)
        numerator = numeratorNew
        d = max(d, numerator / ((1 - r2) * l1Sum))
        return completeStep(used: dlr)
    }
}

/// D-Adapt Lion's pass over one tensor: the sign update of w, m and s, and the lane sums of u·s (old s) and |s|.
private struct DAdaptLionPass: GradientPass {
    let w: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>
    let shrink: Float, dlr: Float, beta1: Float, c1: Float, beta2: Float, mScale: Float, r2: Float, sScale: Float
    var dot = V8(), l1 = V8()

    @inline(__always)
    mutating func chunk(_ e: Int, _ n: Int, _ gv: V8) {
        let mOld = ld(m, e, n), sOld = ld(s, e, n)
        let u = sign8(mOld * splat(beta1) + splat(c1) * gv)
        st(w, e, n, ld(w, e, n) * splat(shrink) - splat(dlr) * u)
        st(m, e, n, mOld * splat(beta2) + splat(mScale) * gv)
        dot = dot.addingProduct(u, sOld)
        let sv = sOld * splat(r2) + splat(sScale) * u
        st(s, e, n, sv)
        l1 += abs8(sv)
    }
}
