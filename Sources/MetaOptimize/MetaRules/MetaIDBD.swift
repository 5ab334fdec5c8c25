import RuleKernels
import SIMDSupport

enum IDBDMetaRule: MetaRuleDefinition {
    static let info = RuleInfo(name: "idbd",
                               summary: "idbd: Sutton's IDBD (base sgd, weightwise, needs the diagonal Hessian; γ forced to 1)")
    static var forcedGamma: Double? { 1 }
    static var usesDiagonalHessian: Bool { true }
    typealias Faithful = SGDMetaRule.Lanes
    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ common: MetaCommon,
                     _ powers: inout BiasCorrectionPowers, _ b: MetaBuffers) -> Bool {
        SGDMetaRule.pass(mode, c, common, &powers, b)
    }

    static func validate(_ r: OptimizerConfiguration, hasDiagonalHessian: Bool) throws {
        guard r.base == .sgd else {
            throw OptimizerError.incompatible(field: "base", expected: "sgd (meta idbd requires base SGD)",
                                              found: r.base.rawValue)
        }
        guard r.granularity == .weightwise else {
            throw OptimizerError.incompatible(
                field: "granularity", expected: "weightwise (meta idbd requires one step size per weight)",
                found: r.granularity.description)
        }
        guard hasDiagonalHessian else {
            throw OptimizerError.incompatible(
                field: "meta", expected: "a caller-supplied diagonal Hessian for meta idbd",
                found: "idbd without a diagonal Hessian")
        }
    }
}

extension MetaOptimizer {
    /// IDBD order: z = h·g, β ← β − η·z (meta SGD), then the base SGD update with the new α and the
    /// Hessian-decayed trace h ← γ·max(0, 1 − α·(κ + H_ii))·h − δ (γ = 1 after resolution).
    func idbdStep(_ b: BaseBuffers, hessian: UnsafePointer<Float>, factor: Float, t: Int) -> Bool {
        elementwiseProducts(h: h, g: b.g, z: z, count: parameterCount)
        var powers = metaPowers
        guard metaRule.pass(configuration.mode, configuration, metaCommon, &powers, metaBuffers) else {
            return diverge(at: t, .nonFiniteStepSize)
        }
        swap(&beta, &nextBeta)
        swap(&alpha, &nextAlpha)
        idbdBasePass(b, hessian: hessian, alpha: alpha, count: parameterCount, factor: factor, gamma: gammaF,
                     kappa: kappaF)
        stepsTaken = t
        return true
    }
}

/// IDBD base pass (spec §6.3, generalised): SGD direction, a = alpha[i]·factor (alpha already holds the NEW
/// exp(β)), δ = a·(g + κw), w ← w − δ, h ← γ·max(0, 1 − a·(κ + H_ii))·h − δ.
private func idbdBasePass(
    _ b: BaseBuffers, hessian: UnsafePointer<Float>, alpha: UnsafePointer<Float>, count: Int, factor: Float,
    gamma: Float, kappa: Float
) {
    let fv = V8(repeating: factor), gv = V8(repeating: gamma), kv = V8(repeating: kappa), one = V8(repeating: 1)
    @inline(__always) func lanes(g: V8, w: inout V8, h: inout V8, a: V8, hess: V8) {
        let delta = a * (g + kv * w)
        w = w - delta
        let decay = gv * pointwiseMax(V8(), one - a * (kv + hess))
        h = decay * h - delta
    }
    var i = 0
    while i + 8 <= count {
        var w = load8(b.w, i), h = load8(b.h, i)
        lanes(g: load8(b.g, i), w: &w, h: &h, a: load8(alpha, i) * fv, hess: load8(hessian, i))
        store8(b.w, i, w)
        store8(b.h, i, h)
        i += 8
    }
    if i < count {
        let n = count - i
        var w = loadPartial(b.w, i, n), h = loadPartial(b.h, i, n)
        lanes(g: loadPartial(b.g, i, n), w: &w, h: &h, a: loadPartial(alpha, i, n) * fv,
              hess: loadPartial(hessian, i, n))
        storePartial(b.w, i, n, w)
        storePartial(b.h, i, n, h)
    }
}

/// Elementwise z = h·g (IDBD computes z before any update).
private func elementwiseProducts(h: UnsafePointer<Float>, g: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>,
                                 count: Int) {
    var i = 0
    while i + 8 <= count {
        store8(z, i, load8(h, i) * load8(g, i))
        i += 8
    }
    while i < count {
        z[i] = h[i] * g[i]
        i += 1
    }
}

extension MetaRule {
    /// IDBD (spec §6.3): base SGD, weightwise step sizes, γ forced to 1, a caller-supplied diagonal Hessian in the
    /// trace decay, and IDBD's order (meta update first, then the base update with the new α).
    public static let idbd = MetaRule(definition: IDBDMetaRule.self)
}
