import Foundation

// Meta rules on β (spec §3.4 faithful, §4.2 standard), vectorised over step-size groups. Each pass reads the
// current β, m̄, v̄ and z and writes the NEXT β, m̄, v̄ and α = exp(β) into separate buffers, so the caller can
// commit the whole update only when every new value is finite.

/// A meta rule on 8 groups: returns the new β and updates m̄, v̄ for these lanes.
protocol MetaUpdate {
    static var usesFirstMoment: Bool { get }
    static var usesSecondMoment: Bool { get }
    func update(z: V8, beta: V8, m: inout V8, v: inout V8) -> V8
}

/// Coefficients shared by every meta rule: (1 − η·κ̄) and η, rounded to Float32.
struct MetaCommon {
    let shrink: V8
    let eta: V8
    init(eta: Double, metaWeightDecay: Double) {
        shrink = V8(repeating: Float(1 - eta * metaWeightDecay))
        self.eta = V8(repeating: Float(eta))
    }
}

/// SGD (also hypergradient and IDBD): β ← (1 − η·κ̄)·β − η·z.
struct SGDMeta: MetaUpdate {
    static var usesFirstMoment: Bool { false }
    static var usesSecondMoment: Bool { false }
    let common: MetaCommon
    @inline(__always) func update(z: V8, beta: V8, m: inout V8, v: inout V8) -> V8 {
        common.shrink * beta - common.eta * z
    }
}

/// Faithful RMSProp: v̄ ← λ̄·v̄ + z²; β ← (1 − η·κ̄)·β − η·z / sqrt(μ̄·v̄ + ε).
struct RMSPropFaithfulMeta: MetaUpdate {
    static var usesFirstMoment: Bool { false }
    static var usesSecondMoment: Bool { true }
    let common: MetaCommon
    let lambda: V8, mu: V8, epsilon: V8
    init(common: MetaCommon, lambda: Double, mu: Double) {
        self.common = common
        self.lambda = V8(repeating: Float(lambda))
        self.mu = V8(repeating: Float(mu))
        epsilon = V8(repeating: Float(1e-10))
    }
    @inline(__always) func update(z: V8, beta: V8, m: inout V8, v: inout V8) -> V8 {
        v = lambda * v + z * z
        return common.shrink * beta - (common.eta * z) / (mu * v + epsilon).squareRoot()
    }
}

/// Faithful Adam: m̄ ← ρ̄·m̄ + z (sum); v̄ ← λ̄·v̄ + z²; β ← (1 − η·κ̄)·β − η·m̄ / sqrt(μ̄·v̄ + ε).
struct AdamFaithfulMeta: MetaUpdate {
    static var usesFirstMoment: Bool { true }
    static var usesSecondMoment: Bool { true }
    let common: MetaCommon
    let rho: V8, lambda: V8, mu: V8, epsilon: V8
    init(common: MetaCommon, rho: Double, lambda: Double, mu: Double) {
        self.common = common
        self.rho = V8(repeating: Float(rho))
        self.lambda = V8(repeating: Float(lambda))
        self.mu = V8(repeating: Float(mu))
        epsilon = V8(repeating: Float(1e-10))
    }
    @inline(__always) func update(z: V8, beta: V8, m: inout V8, v: inout V8) -> V8 {
        m = rho * m + z
        v = lambda * v + z * z
        return common.shrink * beta - (common.eta * m) / (mu * v + epsilon).squareRoot()
    }
}

/// MNM: m̄ ← ρ̄·m̄ + z; v̄ ← λ̄·v̄ + m̄²; β ← (1 − η·κ̄)·β − η·m̄ / sqrt(μ̄·v̄ + ε) (same in both modes).
struct MNMMeta: MetaUpdate {
    static var usesFirstMoment: Bool { true }
    static var usesSecondMoment: Bool { true }
    let common: MetaCommon
    let rho: V8, lambda: V8, mu: V8, epsilon: V8
    init(common: MetaCommon, rho: Double, lambda: Double, mu: Double) {
        self.common = common
        self.rho = V8(repeating: Float(rho))
        self.lambda = V8(repeating: Float(lambda))
        self.mu = V8(repeating: Float(mu))
        epsilon = V8(repeating: Float(1e-10))
    }
    @inline(__always) func update(z: V8, beta: V8, m: inout V8, v: inout V8) -> V8 {
        m = rho * m + z
        v = lambda * v + m * m
        return common.shrink * beta - (common.eta * m) / (mu * v + epsilon).squareRoot()
    }
}

/// Lion (both modes): β ← (1 − η·κ̄)·β − η·sign(c̄·m̄ + (1−c̄)·z) with the previous m̄; then m̄ ← ρ̄·m̄ + (1−ρ̄)·z.
struct LionMeta: MetaUpdate {
    static var usesFirstMoment: Bool { true }
    static var usesSecondMoment: Bool { false }
    let common: MetaCommon
    let c: V8, oneMinusC: V8, rho: V8, oneMinusRho: V8
    init(common: MetaCommon, interpolation: Double, rho: Double) {
        self.common = common
        c = V8(repeating: Float(interpolation))
        oneMinusC = V8(repeating: Float(1 - interpolation))
        self.rho = V8(repeating: Float(rho))
        oneMinusRho = V8(repeating: Float(1 - rho))
    }
    @inline(__always) func update(z: V8, beta: V8, m: inout V8, v: inout V8) -> V8 {
        let next = common.shrink * beta - common.eta * sign8(c * m + oneMinusC * z)
        m = rho * m + oneMinusRho * z
        return next
    }
}

/// Standard RMSProp on β: v̄ ← λ̄·v̄ + (1−λ̄)·z·z; β ← (1 − η·κ̄)·β − η·z / (sqrt(v̄) + 1e-8).
struct RMSPropStandardMeta: MetaUpdate {
    static var usesFirstMoment: Bool { false }
    static var usesSecondMoment: Bool { true }
    let common: MetaCommon
    let lambda: V8, oneMinusLambda: V8, epsilon: V8
    init(common: MetaCommon, lambda: Double) {
        self.common = common
        self.lambda = V8(repeating: Float(lambda))
        oneMinusLambda = V8(repeating: Float(1 - lambda))
        epsilon = V8(repeating: Float(1e-8))
    }
    @inline(__always) func update(z: V8, beta: V8, m: inout V8, v: inout V8) -> V8 {
        v = lambda * v + oneMinusLambda * z * z
        return common.shrink * beta - common.eta * (z / (v.squareRoot() + epsilon))
    }
}

/// Standard Adam on β: m̄ ← m̄ + (1−ρ̄)·(z − m̄); v̄ ← λ̄·v̄ + (1−λ̄)·z·z;
/// β ← (1 − η·κ̄)·β − η·(m̄/(1−ρ̄^t)) / (sqrt(v̄)/sqrt(1−λ̄^t) + 1e-8).
struct AdamStandardMeta: MetaUpdate {
    static var usesFirstMoment: Bool { true }
    static var usesSecondMoment: Bool { true }
    let common: MetaCommon
    let oneMinusRho: V8, lambda: V8, oneMinusLambda: V8, biasCorrection1: V8, biasCorrection2Root: V8, epsilon: V8
    init(common: MetaCommon, rho: Double, lambda: Double, rhoPower: Double, lambdaPower: Double) {
        self.common = common
        oneMinusRho = V8(repeating: Float(1 - rho))
        self.lambda = V8(repeating: Float(lambda))
        oneMinusLambda = V8(repeating: Float(1 - lambda))
        biasCorrection1 = V8(repeating: Float(1 - rhoPower))
        biasCorrection2Root = V8(repeating: Float((1 - lambdaPower).squareRoot()))
        epsilon = V8(repeating: Float(1e-8))
    }
    @inline(__always) func update(z: V8, beta: V8, m: inout V8, v: inout V8) -> V8 {
        m = m + oneMinusRho * (z - m)
        v = lambda * v + oneMinusLambda * z * z
        return common.shrink * beta
            - common.eta * ((m / biasCorrection1) / (v.squareRoot() / biasCorrection2Root + epsilon))
    }
}

/// Current and next meta state buffers (all of length `count` = number of groups).
struct MetaBuffers {
    var z: UnsafePointer<Float>
    var beta: UnsafePointer<Float>
    var m: UnsafePointer<Float>
    var v: UnsafePointer<Float>
    var nextBeta: UnsafeMutablePointer<Float>
    var nextM: UnsafeMutablePointer<Float>
    var nextV: UnsafeMutablePointer<Float>
    var nextAlpha: UnsafeMutablePointer<Float>
    var count: Int
}

/// Runs a meta rule over every group, writing next β, m̄, v̄ and α = exp(β). Returns true when every new value
/// (β, α, and the moments the rule uses) is finite.
@inline(__always)
func metaPass<M: MetaUpdate>(_ rule: M, _ b: MetaBuffers) -> Bool {
    var witness = V8()
    let zero = V8()
    var i = 0
    while i < b.count {
        let n = min(8, b.count - i)
        let full = n == 8
        let z = full ? load8(b.z, i) : loadPartial(b.z, i, n)
        let beta = full ? load8(b.beta, i) : loadPartial(b.beta, i, n)
        var m = M.usesFirstMoment ? (full ? load8(b.m, i) : loadPartial(b.m, i, n)) : V8()
        var v = M.usesSecondMoment ? (full ? load8(b.v, i) : loadPartial(b.v, i, n)) : V8()
        let next = rule.update(z: z, beta: beta, m: &m, v: &v)
        var alpha = V8()
        for k in 0 ..< n { alpha[k] = exp(next[k]) }
        witness += ((next * zero + alpha * zero) + (m * zero + v * zero))
        if full {
            store8(b.nextBeta, i, next)
            store8(b.nextAlpha, i, alpha)
            if M.usesFirstMoment { store8(b.nextM, i, m) }
            if M.usesSecondMoment { store8(b.nextV, i, v) }
        } else {
            storePartial(b.nextBeta, i, n, next)
            storePartial(b.nextAlpha, i, n, alpha)
            if M.usesFirstMoment { storePartial(b.nextM, i, n, m) }
            if M.usesSecondMoment { storePartial(b.nextV, i, n, v) }
        }
        i += 8
    }
    return horizontalSum(witness) == 0
}
