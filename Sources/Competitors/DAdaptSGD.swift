import Foundation
import MetaOptimize
import SIMDSupport

/// D-Adaptation SGD as `dadaptation` 3.2 `DAdaptSGD` computes it (spec §2.2): dual averaging z = x0 − s with the
/// step λ = d·lr/‖g₁‖, d from the D-Adaptation lower bound. One parameter group. Logged step size: λ used; also d.
final class DAdaptSGD: DistanceAdapting {
    var basics: CompetitorBasics
    let buffers: StateBuffers

    // State (spec §2.2). Global doubles: d, the running numerator N, k, ‖g₁‖. Per element, Float32: s, x0, z.
    var d: Double, numerator = 0.0, k = 0.0, g0Norm = 0.0
    var lastLambda = 0.0
    let s: UnsafeMutablePointer<Float>, x0: UnsafeMutablePointer<Float>, z: UnsafeMutablePointer<Float>

    let lr, momentum, wd, d0, growthRate: Double

    init(tensors: [TensorDescriptor], spans: [TensorSpan], settings c: CompetitorSettings) {
        basics = CompetitorBasics(name: "dadapt-sgd", tensors: tensors, spans: spans, settings: c)
        lr = c.lr!; momentum = c.sgdMomentum!; wd = c.weightDecay; d0 = c.d0!; growthRate = c.growthRate!
        d = d0
        let n = spans.last!.offset + spans.last!.count
        buffers = StateBuffers([("s", n), ("x0", n), ("z", n)])
        s = buffers["s"]; x0 = buffers["x0"]; z = buffers["z"]
    }

    var summary: String { "D-Adapt SGD (dadaptation 3.2): lr = \(lr), d0 = \(d0), momentum = \(momentum), weight_decay = \(wd)" }

    static var scalarFields: [(String, ReferenceWritableKeyPath<DAdaptSGD, Double>)] {
        [
            ("d", \.d), ("numerator_weighted", \.numerator), ("k", \.k), ("g0_norm", \.g0Norm),
            ("last_step_size", \.lastLambda),
        ]
    }

    func update(weights w: UnsafeMutablePointer<Float>, gradients g: GradientSource, loss: Float) -> DivergenceReason? {
        var norm0 = g0Norm
        if k == 0 {
            // ‖g₁‖ of the raw gradients (the package computes the decayed gradient here and discards it).
            var squares = 0.0
            for span in spans { squares += Double(g.sumOfSquares(from: span.offset, count: span.count)) }
            norm0 = squares.squareRoot()
            // An all-zero first gradient divides by zero in the package: skip the step (nothing stored).
            guard norm0 > 0 else { return nil }
        }
        let dlr = d * lr / norm0
        let dlrF = Float(dlr)
        var numeratorNew = numerator, squares = 0.0
        for span in spans {
            if k == 0 {
                copyFloats(x0 + span.offset, w + span.offset, span.count)
                copyFloats(z + span.offset, w + span.offset, span.count)
            }
            var pass = DAdaptSGDReductions(w: w, s: s, decay: CoupledDecay(wd, isOn: wd != 0), dlr: dlrF)
            pass = g.run(pass, from: span.offset, count: span.count)
            numeratorNew += dlr * Double(horizontalSum(pass.dot))
            squares += Double(horizontalSum(pass.squares))
        }
        guard squares > 0 else { return nil }  // the package divides by zero: skip (s is all zero, nothing moved)
        g0Norm = norm0
        lastLambda = dlr
        numerator = numeratorNew
        let dHat = 2 * numerator / squares.squareRoot()
        d = max(d, min(dHat, d * growthRate))
        var pass = DualAveragingStep(w: w, x0: x0, s: s, z: z, momentum: momentum)
        pass = runWithoutGradient(pass, from: 0, count: parameterCount)
        return completeStep(used: dlr)
    }
}

/// D-Adapt SGD's first pass over one tensor: s ← s + λ·g and the lane sums of g·s (old s) and s² (new s).
private struct DAdaptSGDReductions: GradientPass {
    let w: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>
    let decay: CoupledDecay, dlr: Float
    var dot = V8(), squares = V8()

    @inline(__always)
    mutating func chunk(_ e: Int, _ n: Int, _ g: V8) {
        let gv = decay(g, ld(w, e, n))
        let sOld = ld(s, e, n)
        dot = dot.addingProduct(gv, sOld)
        let sv = sOld + splat(dlr) * gv
        st(s, e, n, sv)
        squares = squares.addingProduct(sv, sv)
    }
}

/// D-Adapt SGD's weight step (dual averaging, spec §2.2): z ← x0 − s (kept as state), then w ← μ·w + (1 − μ)·z.
private struct DualAveragingStep: GradientPass {
    let w: UnsafeMutablePointer<Float>, z: UnsafeMutablePointer<Float>
    let x0: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>
    let momentum: Float, oneMinusMomentum: Float

    init(w: UnsafeMutablePointer<Float>, x0: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>,
         z: UnsafeMutablePointer<Float>, momentum: Double) {
        self.w = w; self.z = z; self.x0 = x0; self.s = s
        self.momentum = Float(momentum); oneMinusMomentum = Float(1 - momentum)
    }

    @inline(__always)
    func chunk(_ i: Int, _ n: Int, _ g: V8) {
        let zv = ld(x0, i, n) - ld(s, i, n)
        st(z, i, n, zv)
        st(w, i, n, ld(w, i, n) * splat(momentum) + splat(oneMinusMomentum) * zv)
    }
}
