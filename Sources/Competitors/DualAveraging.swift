import SIMDSupport

/// The weight step of D-Adapt SGD and D-Adapt AdaGrad (dual averaging, spec §2.2–2.3): z = x0 − s (SGD) or
/// z = x0 − s/(√α + eps) (AdaGrad), then w ← μ·w + (1 − μ)·z. D-Adapt SGD keeps z as state; D-Adapt AdaGrad writes
/// w = z itself when μ = 0 (as the package does: not μ·w + z, whose signed zeros can differ).
struct DualAveragingStep: GradientPass {
    let w: UnsafeMutablePointer<Float>, x0: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>
    /// AdaGrad's α (nil for SGD) and eps.
    let alpha: UnsafeMutablePointer<Float>?, eps: Float
    /// SGD's z buffer (nil for AdaGrad).
    let z: UnsafeMutablePointer<Float>?
    let momentum: Float, copiesZWithoutMomentum: Bool

    init(w: UnsafeMutablePointer<Float>, x0: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>,
         adagradAlpha alpha: UnsafeMutablePointer<Float>? = nil, eps: Float = 0, z: UnsafeMutablePointer<Float>? = nil,
         momentum: Double) {
        self.w = w; self.x0 = x0; self.s = s; self.alpha = alpha; self.eps = eps; self.z = z
        self.momentum = Float(momentum)
        copiesZWithoutMomentum = alpha != nil && momentum == 0
        oneMinusMomentum = Float(1 - momentum)
    }

    let oneMinusMomentum: Float

    @inline(__always)
    mutating func chunk(_ i: Int, _ n: Int, _ g: V8) {
        var zv: V8
        if let alpha {
            zv = ld(x0, i, n) - ld(s, i, n) / (squareRoot8(ld(alpha, i, n)) + splat(eps))
        } else {
            zv = ld(x0, i, n) - ld(s, i, n)
        }
        if let z { st(z, i, n, zv) }
        st(w, i, n, copiesZWithoutMomentum ? zv : ld(w, i, n) * splat(momentum) + splat(oneMinusMomentum) * zv)
    }
}
