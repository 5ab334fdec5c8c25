import SIMDSupport

/// Standard (PyTorch) Adam's moment update and normalised direction, shared by the base rule AdamW and the meta
/// rule Adam in standard mode: m ← m + (1−ρ)·(x − m) (PyTorch's lerp); v ← λ·v + (1−λ)·x·x;
/// returns (m / (1−ρ^t)) / (sqrt(v) / sqrt(1−λ^t) + 1e-8). Coefficients rounded to Float32.
@usableFromInline package struct StandardAdamMoments {
    @usableFromInline let oneMinusRho: V8, lambda: V8, oneMinusLambda: V8
    @usableFromInline let biasCorrection1: V8, biasCorrection2Root: V8, epsilon: V8

    @inlinable package init(rho: Double, lambda: Double, rhoPower: Double, lambdaPower: Double) {
        oneMinusRho = V8(repeating: Float(1 - rho))
        self.lambda = V8(repeating: Float(lambda))
        oneMinusLambda = V8(repeating: Float(1 - lambda))
        biasCorrection1 = V8(repeating: Float(1 - rhoPower))
        biasCorrection2Root = V8(repeating: Float((1 - lambdaPower).squareRoot()))
        epsilon = V8(repeating: Float(1e-8))
    }

    @inlinable @inline(__always) package func direction(_ x: V8, m: inout V8, v: inout V8) -> V8 {
        m = m + oneMinusRho * (x - m)
        v = lambda * v + oneMinusLambda * x * x
        return (m / biasCorrection1) / (squareRoot8(v) / biasCorrection2Root + epsilon)
    }
}
