import SIMDSupport

/// The weight step of D-Adapt SGD and D-Adapt AdaGrad (dual averaging, spec §2.2–2.3): w ← μ·w + (1 − μ)·z with
/// z = x0 − s (SGD: formed here and kept as state) or z = x0 − s/(√α + eps) (AdaGrad: formed by its first pass,
/// where √α + eps is at hand, into a scratch buffer). D-Adapt AdaGrad writes w = z itself when μ = 0, as the
/// package does (not μ·w + z, whose signed zeros can differ).
struct DualAveragingStep: GradientPass {
    let w: UnsafeMutablePointer<Float>, z: UnsafeMutablePointer<Float>
    /// SGD's x0 and s (z is formed from them); nil when z already holds z (AdaGrad).
    let x0: UnsafeMutablePointer<Float>?, s: UnsafeMutablePointer<Float>?
    let momentum: Float, oneMinusMomentum: Float, copiesZWithoutMomentum: Bool

    /// D-Adapt SGD: z ← x0 − s, then the step.
    init(w: UnsafeMutablePointer<Float>, x0: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>,
         z: UnsafeMutablePointer<Float>, momentum: Double) {
        self.w = w; self.z = z; self.x0 = x0; self.s = s
        self.momentum = Float(momentum); oneMinusMomentum = Float(1 - momentum); copiesZWithoutMomentum = false
    }

    /// D-Adapt AdaGrad: `z` holds x0 − s/(√α + eps).
    init(w: UnsafeMutablePointer<Float>, formedZ z: UnsafeMutablePointer<Float>, momentum: Double) {
        self.w = w; self.z = z; x0 = nil; s = nil
        self.momentum = Float(momentum); oneMinusMomentum = Float(1 - momentum); copiesZWithoutMomentum = momentum == 0
    }

    @inline(__always)
    func chunk(_ i: Int, _ n: Int, _ g: V8) {
        var zv: V8
        if let x0, let s {
            zv = ld(x0, i, n) - ld(s, i, n)
            st(z, i, n, zv)
        } else {
            zv = ld(z, i, n)
        }
        st(w, i, n, copiesZWithoutMomentum ? zv : ld(w, i, n) * splat(momentum) + splat(oneMinusMomentum) * zv)
    }
}
