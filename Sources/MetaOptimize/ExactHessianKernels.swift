// Kernels of the exact-Hessian MetaOptimize (spec metaoptimize-hessian.md §1.3): one pass over the weights that
// applies the faithful base update (the same direction structs and operation order as the Hessian-free pass) and
// carries the tangents X_w, X_m, X_v of every step-size column j forward with all Hessian terms. The faithful
// update is the base rule's own lanes (BaseRules/*.swift); their state slots are positional (s0, s1), while the
// tangents X_m, X_v are named by what they differentiate (first and second moment).

import RuleKernels
import SIMDSupport

/// A base rule's tangent of its direction, D^(j) = ḋ (spec §1.3 table), on 8 lanes.
protocol TangentRule {
    associatedtype Direction: BaseLanes
    var direction: Direction { get }
    static var usesTangentM: Bool { get }
    static var usesTangentV: Bool { get }
    /// Whether `tangent` reads the Hessian-vector product (false for Lion: no product is computed).
    static var readsProducts: Bool { get }
    /// D for one column. `g`, `d`, `q`, `s` are this step's faithful quantities; `hv` = (∇²f·X_w^(j)) for these
    /// lanes; `xm`, `xv` hold the OLD X_m, X_v on entry and the new ones on return.
    func tangent(g: V8, d: V8, q: V8, s: V8, hv: V8, xm: inout V8, xv: inout V8) -> V8
    /// The faithful direction and state update (bit-identical to `direction.direction(g:s0:s1:)`), with q and s.
    func step(g: V8, s0: inout V8, s1: inout V8) -> (d: V8, q: V8, s: V8)
}

/// A rule without a normaliser (SGD, SGDm, Lion): q and s are unused zeros and the step is the direction's own; no
/// moment tangent unless the rule says so.
protocol UnnormalisedTangentRule: TangentRule {}

extension UnnormalisedTangentRule {
    static var usesTangentM: Bool { false }
    static var usesTangentV: Bool { false }
    @inline(__always) func step(g: V8, s0: inout V8, s1: inout V8) -> (d: V8, q: V8, s: V8) {
        (direction.direction(g: g, s0: &s0, s1: &s1), V8(), V8())
    }
}

/// SGD: D = γ·Hv.
struct SGDTangent: UnnormalisedTangentRule {
    let direction = SGDRule.Lanes()
    let gamma: V8
    @inline(__always) func tangent(g: V8, d: V8, q: V8, s: V8, hv: V8, xm: inout V8, xv: inout V8) -> V8 {
        gamma * hv
    }
}

/// Faithful SGDm: D = γ·X_m (old); then X_m ← γ·(ρ·X_m + (1−ρ)·Hv). Its state slot s0 is m.
struct SGDmTangent: UnnormalisedTangentRule {
    let direction: SGDmRule.Faithful
    let gamma: V8
    static var usesTangentM: Bool { true }
    @inline(__always) func tangent(g: V8, d: V8, q: V8, s: V8, hv: V8, xm: inout V8, xv: inout V8) -> V8 {
        let result = gamma * xm
        xm = gamma * (direction.rho * xm + direction.oneMinusRho * hv)
        return result
    }
}

/// The second-moment half shared by RMSProp and AdamW (λ, μ, ε of the faithful rule): the step
/// v ← λ·v + g², q = μ·v + ε, s = √q, d = numerator/s (returned with q and r = 1/s), and the tangent
/// X_v ← γ·(λ·X_v + 2·g·Hv), D = numerator·r − d·(μ·X_v)·(r²/2) (new X_v).
struct NormalisedMoment {
    let lambda, mu, epsilon: V8
    @inline(__always) func step(numerator: V8, g: V8, v: inout V8) -> (d: V8, q: V8, s: V8) {
        v = lambda * v + g * g
        let q = mu * v + epsilon
        let s = squareRoot8(q)
        return (numerator / s, q, 1 / s)
    }
    @inline(__always) func tangent(numerator: V8, g: V8, d: V8, r: V8, hv: V8, gamma: V8, xv: inout V8) -> V8 {
        xv = gamma * (lambda * xv + 2 * g * hv)
        return numerator * r - d * (mu * xv) * (0.5 * r * r)
    }
}

/// The faithful lanes of a rule with a bias-corrected second moment (RMSProp, AdamW): λ, μ, ε.
protocol NormalisedDirection: BaseLanes {
    var lambda: V8 { get }
    var mu: V8 { get }
    var epsilon: V8 { get }
}
extension RMSPropRule.Faithful: NormalisedDirection {}
extension AdamWRule.Faithful: NormalisedDirection {}

/// RMSProp and AdamW: a second-moment tangent X_v, the step and tangent through ``NormalisedMoment``.
protocol NormalisedTangentRule: TangentRule where Direction: NormalisedDirection {
    var gamma: V8 { get }
}

extension NormalisedTangentRule {
    static var usesTangentM: Bool { false }
    static var usesTangentV: Bool { true }
    @inline(__always) var moment: NormalisedMoment {
        NormalisedMoment(lambda: direction.lambda, mu: direction.mu, epsilon: direction.epsilon)
    }
}

/// Faithful RMSProp: X_v ← γ·(λ·X_v + 2·g·Hv); D = γ·Hv/s − d·(μ·X_v)/(2q) (new X_v). The step is the faithful
/// RMSProp update written out (same operations as `RMSPropRule.Faithful`); its one state slot s0 is v, and the
/// `s` passed to `tangent` is 1/√q.
struct RMSPropTangent: NormalisedTangentRule {
    let direction: RMSPropRule.Faithful
    let gamma: V8
    @inline(__always) func tangent(g: V8, d: V8, q: V8, s r: V8, hv: V8, xm: inout V8, xv: inout V8) -> V8 {
        moment.tangent(numerator: gamma * hv, g: g, d: d, r: r, hv: hv, gamma: gamma, xv: &xv)
    }
    @inline(__always) func step(g: V8, s0 v: inout V8, s1: inout V8) -> (d: V8, q: V8, s: V8) {
        moment.step(numerator: g, g: g, v: &v)
    }
}

/// Faithful AdamW: X_m ← γ·(ρ·X_m + Hv); X_v ← γ·(λ·X_v + 2·g·Hv); D = X_m/s − d·(μ·X_v)/(2q) (new X_m, X_v).
/// The step is the faithful AdamW update written out (same operations as `AdamWRule.Faithful`, so the same bits),
/// to share its square root with the tangent; s0 = m, s1 = v, and the `s` passed to `tangent` is r = 1/√q.
struct AdamWTangent: NormalisedTangentRule {
    let direction: AdamWRule.Faithful
    let gamma: V8
    static var usesTangentM: Bool { true }
    @inline(__always) func tangent(g: V8, d: V8, q: V8, s r: V8, hv: V8, xm: inout V8, xv: inout V8) -> V8 {
        xm = gamma * (direction.rho * xm + hv)
        return moment.tangent(numerator: xm, g: g, d: d, r: r, hv: hv, gamma: gamma, xv: &xv)
    }
    @inline(__always) func step(g: V8, s0 m: inout V8, s1 v: inout V8) -> (d: V8, q: V8, s: V8) {
        m = direction.rho * m + g
        return moment.step(numerator: m, g: g, v: &v)
    }
}

/// Faithful Adagrad (s ← s + g², d = g/√(s + ε)), the tangent derived as for RMSProp with λ = 1 and no bias
/// correction (docs/hessian.md): X_v ← γ·(X_v + 2·g·Hv); D = γ·Hv/√q − d·X_v/(2q), q = s + ε. Its one state slot
/// s0 is the sum of squares.
struct AdagradTangent: TangentRule {
    let direction = AdagradRule.Faithful()
    let gamma: V8
    static var usesTangentM: Bool { false }
    static var usesTangentV: Bool { true }
    @inline(__always) func tangent(g: V8, d: V8, q: V8, s: V8, hv: V8, xm: inout V8, xv: inout V8) -> V8 {
        xv = gamma * (xv + 2 * g * hv)
        return (gamma * hv) / s - d * xv / (2 * q)
    }
    @inline(__always) func normaliser(v: V8) -> (q: V8, s: V8) {
        let q = v + direction.epsilon
        return (q, squareRoot8(q))
    }
    @inline(__always) func step(g: V8, s0: inout V8, s1: inout V8) -> (d: V8, q: V8, s: V8) {
        let d = direction.direction(g: g, s0: &s0, s1: &s1)
        let (q, s) = normaliser(v: s0)
        return (d, q, s)
    }
}

/// Lion: sign has derivative 0, so D = 0 and no moment tangent is carried (spec §1.5). Its state slot s0 is m.
struct LionTangent: UnnormalisedTangentRule {
    let direction: LionRule.Lanes
    static var readsProducts: Bool { false }
    @inline(__always) func tangent(g: V8, d: V8, q: V8, s: V8, hv: V8, xm: inout V8, xv: inout V8) -> V8 { V8() }
}

extension TangentRule {
    static var readsProducts: Bool { true }
}

/// Raw pointers of one exact step: faithful buffers and the k tangent columns (column j at `j·n`).
struct ExactBuffers {
    var w: UnsafeMutablePointer<Float>
    var g: UnsafePointer<Float>
    /// The base rule's state slots, positional as its lanes declare them (`L.state`).
    var s0: UnsafeMutablePointer<Float>
    var s1: UnsafeMutablePointer<Float>
    var xw: UnsafeMutablePointer<Float>
    var xm: UnsafeMutablePointer<Float>
    var xv: UnsafeMutablePointer<Float>
    var hv: UnsafePointer<Float>
    /// The k×k multiplier M (row = group of the element, column = tangent column), row-major.
    var multiplier: UnsafePointer<Float>
    var n: Int
    var k: Int
    /// Scratch lanes: k meta-gradient accumulators (per segment), then k×k curvature accumulators (whole pass).
    var accumulators: UnsafeMutablePointer<V8>
    /// Whether to accumulate the curvature C (2×2 approximation with products).
    var curvature: Bool
}

/// The base update with tangents over one segment of `count` lanes from `i` (count ≤ 8 only for the tail).
@inline(__always)
func exactLanes<R: TangentRule>(_ rule: R, _ b: ExactBuffers, at i: Int, count: Int, group: Int,
                                a: V8, decay: V8, kappa: V8) {
    let full = count == 8
    @inline(__always) func load(_ p: UnsafeMutablePointer<Float>) -> V8 { full ? load8(p, i) : loadPartial(p, i, count) }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>, _ x: V8) {
        if full { store8(p, i, x) } else { storePartial(p, i, count, x) }
    }
    let g = full ? load8(b.g, i) : loadPartial(b.g, i, count)
    var w = load(b.w)
    var s0 = R.Direction.state.hasFirst ? load(b.s0) : V8()
    var s1 = R.Direction.state.hasSecond ? load(b.s1) : V8()
    let (d, q, s) = rule.step(g: g, s0: &s0, s1: &s1)
    let delta = a * (d + kappa * w)
    w = w - delta
    store(b.w, w)
    if R.Direction.state.hasFirst { store(b.s0, s0) }
    if R.Direction.state.hasSecond { store(b.s1, s1) }
    let row = b.multiplier + group * b.k
    let k = b.k
    for j in 0 ..< k {
        let offset = j * b.n
        let xwp = b.xw + offset
        let xw = load(xwp)
        let product = !(R.readsProducts || b.curvature) ? V8()
            : full ? load8(b.hv + offset, i) : loadPartial(b.hv + offset, i, count)
        let hv = R.readsProducts ? product : V8()
        b.accumulators[j] += xw * g
        if b.curvature {
            if k == 1 {
                // C reads the product even where the tangent does not (Lion with 2×2, spec §1.5).
                b.accumulators[1] += xw * product
            } else {
                for l in 0 ..< k {
                    let other = full ? load8(b.hv + l * b.n, i) : loadPartial(b.hv + l * b.n, i, count)
                    b.accumulators[k + j * k + l] += xw * other
                }
            }
        }
        var xm = R.usesTangentM ? load(b.xm + offset) : V8()
        var xv = R.usesTangentV ? load(b.xv + offset) : V8()
        let f = decay * xw - V8(repeating: row[j]) * delta
        let tangent = rule.tangent(g: g, d: d, q: q, s: s, hv: hv, xm: &xm, xv: &xv)
        store(xwp, f - a * tangent)
        if R.usesTangentM { store(b.xm + offset, xm) }
        if R.usesTangentV { store(b.xv + offset, xv) }
    }
}

/// Where the pass finds this step's gradient g and Hessian-vector products Hv^(l) of the 8 lanes at a flat index:
/// the dense buffers, or one row of an outer-product block whose values it forms in registers.
protocol ExactLaneSource {
    func gradient(at i: Int) -> V8
    /// (∇²f·X_w^(l)) at `i`.
    func product(_ l: Int, at i: Int) -> V8
}

/// g and Hv read from the dense buffers (`hv` column l at `l·n`).
struct DenseLaneSource: ExactLaneSource {
    let g: UnsafePointer<Float>
    let hv: UnsafePointer<Float>
    let n: Int
    @inline(__always) func gradient(at i: Int) -> V8 { load8(g, i) }
    @inline(__always) func product(_ l: Int, at i: Int) -> V8 { load8(hv + l * n, i) }
}

/// One row of an outer-product block at batch 1: g = δ[r]·x (``OuterProduct``) and, per column l,
/// Hv^(l) = R{δ}^(l)[r]·x + δ[r]·R{x}^(l) (``OuterProductTangent``), formed from the factors: the values the dense
/// buffers would hold, bit for bit. `rows` holds the k columns' ``OuterProductTangentRow`` of this row.
struct RowLaneSource: ExactLaneSource {
    /// Flat index of the row's first element.
    let rowStart: Int
    let x: UnsafePointer<Float>
    let gradientFactor: V8
    let zeroGradient: Bool
    let rows: UnsafePointer<OuterProductTangentRow>
    @inline(__always) func gradient(at i: Int) -> V8 {
        zeroGradient ? V8() : gradientFactor * load8(x, i - rowStart)
    }
    @inline(__always) func product(_ l: Int, at i: Int) -> V8 {
        let c = i - rowStart
        return rows[l].lanes(x: load8(x, c), at: c)
    }
}

/// The factored inputs of one exact step at batch 1: the gradient's outer-product blocks and, for each of the k
/// columns, the matching tangent blocks (column j's block b at `tangents[j·blocks.count + b]`).
struct ExactFactors {
    var blocks: UnsafeBufferPointer<OuterProduct>
    var tangents: UnsafePointer<OuterProductTangent>
    /// k scratch rows.
    var rows: UnsafeMutablePointer<OuterProductTangentRow>
}

/// The faithful base update of the full vector at `i` with gradient `g` (w and the rule's state loaded, updated,
/// stored); returns d, q, s and the decrement δ = a·(d + κ·w) for the tangent updates.
@inline(__always)
func faithfulVector<R: TangentRule>(_ rule: R, _ b: ExactBuffers, at i: Int, g: V8, a: V8, kappa: V8)
    -> (d: V8, q: V8, s: V8, delta: V8)
{
    var w = load8(b.w, i)
    var s0 = R.Direction.state.hasFirst ? load8(b.s0, i) : V8()
    var s1 = R.Direction.state.hasSecond ? load8(b.s1, i) : V8()
    let (d, q, s) = rule.step(g: g, s0: &s0, s1: &s1)
    let delta = a * (d + kappa * w)
    w = w - delta
    store8(b.w, i, w)
    if R.Direction.state.hasFirst { store8(b.s0, i, s0) }
    if R.Direction.state.hasSecond { store8(b.s1, i, s1) }
    return (d, q, s, delta)
}

/// The tangent update of column j's 8 lanes at `i` (its buffers at `offset` = j·n) once the faithful update is
/// done: X_w ← decay·X_w − m·δ − a·D with D the rule's tangent of its direction, and X_m, X_v as the rule updates them.
@inline(__always)
func exactColumn<R: TangentRule>(_ rule: R, _ b: ExactBuffers, at i: Int, offset: Int, xw: V8, hv: V8, g: V8, d: V8,
                                 q: V8, s: V8, delta: V8, m: V8, a: V8, decay: V8) {
    var xm = R.usesTangentM ? load8(b.xm + offset, i) : V8()
    var xv = R.usesTangentV ? load8(b.xv + offset, i) : V8()
    let f = decay * xw - m * delta
    let tangent = rule.tangent(g: g, d: d, q: q, s: s, hv: hv, xm: &xm, xv: &xv)
    store8(b.xw + offset, i, f - a * tangent)
    if R.usesTangentM { store8(b.xm + offset, i, xm) }
    if R.usesTangentV { store8(b.xv + offset, i, xv) }
}

/// ``exactLanes(_:_:at:count:group:a:decay:kappa:)`` for one column (k = 1, M = 1 or its one entry `b1`), with the
/// z and C accumulators in registers and full vectors only.
@inline(__always)
func exactVectorSingle<R: TangentRule, S: ExactLaneSource>(
    _ rule: R, _ b: ExactBuffers, _ source: S, at i: Int, a: V8, decay: V8, kappa: V8, b1: V8, curvature: Bool,
    zAcc: inout V8, cAcc: inout V8
) {
    let g = source.gradient(at: i)
    let (d, q, s, delta) = faithfulVector(rule, b, at: i, g: g, a: a, kappa: kappa)
    let xw = load8(b.xw, i)
    let product = R.readsProducts || curvature ? source.product(0, at: i) : V8()
    zAcc += xw * g
    // C reads the product even where the tangent does not (Lion with 2×2, spec §1.5), as the k > 1 pass does.
    if curvature { cAcc += xw * product }
    exactColumn(rule, b, at: i, offset: 0, xw: xw, hv: R.readsProducts ? product : V8(), g: g, d: d, q: q, s: s,
                delta: delta, m: b1, a: a, decay: decay)
}

/// The k = 2 accumulators (z_0, z_1, C row-major), in registers during a run.
struct PairAccumulators {
    var z0, z1, c00, c01, c10, c11: V8
}

/// ``exactVectorMulti(_:_:_:at:row:a:decay:kappa:)`` for k = 2: each product formed once per vector, the
/// accumulators in registers; every accumulator receives the same terms in the same order, so the same bits.
@inline(__always)
func exactVectorPair<R: TangentRule, S: ExactLaneSource>(
    _ rule: R, _ b: ExactBuffers, _ source: S, at i: Int, row: UnsafePointer<Float>, a: V8, decay: V8, kappa: V8,
    acc: inout PairAccumulators
) {
    let g = source.gradient(at: i)
    let (d, q, s, delta) = faithfulVector(rule, b, at: i, g: g, a: a, kappa: kappa)
    let needed = R.readsProducts || b.curvature
    let p0 = needed ? source.product(0, at: i) : V8(), p1 = needed ? source.product(1, at: i) : V8()
    let xw0 = load8(b.xw, i), xw1 = load8(b.xw + b.n, i)
    acc.z0 += xw0 * g
    if b.curvature {
        acc.c00 += xw0 * p0
        acc.c01 += xw0 * p1
    }
    exactColumn(rule, b, at: i, offset: 0, xw: xw0, hv: R.readsProducts ? p0 : V8(), g: g, d: d, q: q, s: s,
                delta: delta, m: V8(repeating: row[0]), a: a, decay: decay)
    acc.z1 += xw1 * g
    if b.curvature {
        acc.c10 += xw1 * p0
        acc.c11 += xw1 * p1
    }
    exactColumn(rule, b, at: i, offset: b.n, xw: xw1, hv: R.readsProducts ? p1 : V8(), g: g, d: d, q: q, s: s,
                delta: delta, m: V8(repeating: row[1]), a: a, decay: decay)
}

/// ``exactLanes(_:_:at:count:group:a:decay:kappa:)`` for a full vector of 8 lanes and any k (no partial loads).
@inline(__always)
func exactVectorMulti<R: TangentRule, S: ExactLaneSource>(
    _ rule: R, _ b: ExactBuffers, _ source: S, at i: Int, row: UnsafePointer<Float>, a: V8, decay: V8, kappa: V8
) {
    let g = source.gradient(at: i)
    let (d, q, s, delta) = faithfulVector(rule, b, at: i, g: g, a: a, kappa: kappa)
    let k = b.k, n = b.n
    let acc = b.accumulators
    var offset = 0
    for j in 0 ..< k {
        let xw = load8(b.xw + offset, i)
        let hv = R.readsProducts ? source.product(j, at: i) : V8()
        acc[j] += xw * g
        if b.curvature {
            let cRow = acc + k + j * k
            for l in 0 ..< k { cRow[l] += xw * source.product(l, at: i) }
        }
        exactColumn(rule, b, at: i, offset: offset, xw: xw, hv: hv, g: g, d: d, q: q, s: s, delta: delta,
                    m: V8(repeating: row[j]), a: a, decay: decay)
        offset += n
    }
}

/// The step size, decay and M row of one segment, and the k = 1 register accumulators.
struct ExactSegmentPlan {
    let a, decay, kappa, b1: V8
    let row: UnsafePointer<Float>
    let single: Bool
    let curvature: Bool
}

/// Full vectors `from ..< to` (a multiple of 8 apart) of one segment, reading `source`.
@inline(__always)
func exactRun<R: TangentRule, S: ExactLaneSource>(
    _ rule: R, _ b: ExactBuffers, _ source: S, from: Int, to end: Int, _ p: ExactSegmentPlan,
    zAcc: inout V8, cAcc: inout V8
) {
    var i = from
    if p.single {
        // Local accumulators, so that they stay in registers (the callers' may live in memory).
        var z = zAcc, c = cAcc
        defer { zAcc = z; cAcc = c }
        while i < end {
            exactVectorSingle(rule, b, source, at: i, a: p.a, decay: p.decay, kappa: p.kappa, b1: p.b1,
                              curvature: p.curvature, zAcc: &z, cAcc: &c)
            i += 8
        }
    } else if b.k == 2 {
        // Local accumulators in registers, from and back to the pass's (z per segment, C per pass).
        let m = b.accumulators
        var acc = PairAccumulators(z0: m[0], z1: m[1], c00: m[2], c01: m[3], c10: m[4], c11: m[5])
        defer { (m[0], m[1], m[2], m[3], m[4], m[5]) = (acc.z0, acc.z1, acc.c00, acc.c01, acc.c10, acc.c11) }
        while i < end {
            exactVectorPair(rule, b, source, at: i, row: p.row, a: p.a, decay: p.decay, kappa: p.kappa, acc: &acc)
            i += 8
        }
    } else {
        while i < end {
            exactVectorMulti(rule, b, source, at: i, row: p.row, a: p.a, decay: p.decay, kappa: p.kappa)
            i += 8
        }
    }
}

/// How one row of a block forms its Hessian-vector product for one column (k = 1), decided once per row: exactly
/// +0, R{δ}·x (first layer) or fma(δ, R{x}, R{δ}·x) — the ``OuterProductTangent`` definition, without per-lane
/// branches.
protocol RowProductForm {
    static func product(rowTangent: V8, rowFactor: V8, x: V8, rx: UnsafePointer<Float>, at c: Int) -> V8
}
enum ZeroRowProduct: RowProductForm {
    @inline(__always) static func product(rowTangent: V8, rowFactor: V8, x: V8, rx: UnsafePointer<Float>, at c: Int) -> V8 { V8() }
}
enum FirstLayerRowProduct: RowProductForm {
    @inline(__always) static func product(rowTangent: V8, rowFactor: V8, x: V8, rx: UnsafePointer<Float>, at c: Int) -> V8 {
        rowTangent * x
    }
}
enum FullRowProduct: RowProductForm {
    @inline(__always) static func product(rowTangent: V8, rowFactor: V8, x: V8, rx: UnsafePointer<Float>, at c: Int) -> V8 {
        (rowTangent * x).addingProduct(rowFactor, load8(rx + c))
    }
}

/// One row of a block with one column (k = 1): its factors in registers, the product's form fixed by `P`.
struct SingleRowLaneSource<P: RowProductForm>: ExactLaneSource {
    let rowStart: Int
    let x: UnsafePointer<Float>
    let rx: UnsafePointer<Float>
    let gradientFactor, rowTangent, rowFactor: V8
    let zeroGradient: Bool
    @inline(__always) func gradient(at i: Int) -> V8 {
        zeroGradient ? V8() : gradientFactor * load8(x, i - rowStart)
    }
    @inline(__always) func product(_ l: Int, at i: Int) -> V8 {
        let c = i - rowStart
        return P.product(rowTangent: rowTangent, rowFactor: rowFactor, x: load8(x, c), rx: rx, at: c)
    }
}

/// Rows `firstRow ..< endRow` of gradient block `index` (whole rows of whole vectors), g and Hv formed per row.
@inline(__always)
func exactBlockRows<R: TangentRule>(
    _ rule: R, _ b: ExactBuffers, _ f: ExactFactors, block index: Int, firstRow: Int, endRow: Int,
    _ p: ExactSegmentPlan, zAcc: inout V8, cAcc: inout V8
) {
    let block = f.blocks[index]
    let n = block.columns
    let count = f.blocks.count
    for r in firstRow ..< endRow {
        let factor = block.rowFactors[r]
        let start = block.offset + r * n
        @inline(__always) func run<S: ExactLaneSource>(_ source: S) {
            exactRun(rule, b, source, from: start, to: start + n, p, zAcc: &zAcc, cAcc: &cAcc)
        }
        if b.k == 1 {
            let row = OuterProductTangentRow(f.tangents[index], delta: block.rowFactors, row: r)
            let rx = row.columnTangents ?? block.columnFactors
            @inline(__always) func source<P: RowProductForm>(_: P.Type) -> SingleRowLaneSource<P> {
                SingleRowLaneSource<P>(rowStart: start, x: block.columnFactors, rx: rx,
                                       gradientFactor: V8(repeating: factor), rowTangent: row.rowTangent,
                                       rowFactor: row.rowFactor, zeroGradient: factor == 0)
            }
            if row.isZero {
                run(source(ZeroRowProduct.self))
            } else if row.columnTangents == nil {
                run(source(FirstLayerRowProduct.self))
            } else {
                run(source(FullRowProduct.self))
            }
            continue
        }
        for j in 0 ..< b.k { f.rows[j] = OuterProductTangentRow(f.tangents[j * count + index], delta: block.rowFactors, row: r) }
        run(RowLaneSource(rowStart: start, x: block.columnFactors, gradientFactor: V8(repeating: factor),
                          zeroGradient: factor == 0, rows: UnsafePointer(f.rows)))
    }
}

/// The whole exact base pass: every segment with its group's step size a = α·factor, decay γ·(1 − κ·a). Also
/// computes, from the OLD tangents, z_j = Σ over all weights of X_w^(j)·g (into `z`: 8 lanes per segment from its
/// start, the pairwise horizontal sum, segments added in order — the Hessian-free pass's order, so with X_w^(j)
/// zero outside block j it is bit-identical to the Hessian-free z) and, when `b.curvature`,
/// C[j][l] = Σ X_w^(j)·Hv^(l) (into `c`). With `factors` (batch 1, blocks aligned with the segments as
/// `outerProductsAlign` checks), the rows of the outer-product blocks form g and Hv in registers instead of
/// reading `b.g` and `b.hv`: the same values in the same lanes and order, so the same bits.
func exactBasePass<R: TangentRule>(_ rule: R, _ p: ExactPass) {
    let b = p.buffers, factors = p.factors, z = p.z
    let (alpha, factor, gamma, kappa) = (p.alpha, p.factor, p.gamma, p.kappa)
    let k = b.k
    let dense = DenseLaneSource(g: b.g, hv: b.hv, n: b.n)
    let blocks = factors?.blocks ?? UnsafeBufferPointer(start: nil, count: 0)
    for j in 0 ..< k { z[j] = 0 }
    for j in 0 ..< k * k { b.accumulators[k + j] = V8() }
    for s in p.segments {
        for j in 0 ..< k { b.accumulators[j] = V8() }
        defer { for j in 0 ..< k { z[j] += horizontalSum(b.accumulators[j]) } }
        let a = alpha[s.group] * factor
        let plan = ExactSegmentPlan(a: V8(repeating: a), decay: V8(repeating: gamma * (1 - kappa * a)),
                                    kappa: V8(repeating: kappa), b1: V8(repeating: b.multiplier[0]),
                                    row: UnsafePointer(b.multiplier + s.group * k), single: k == 1,
                                    curvature: b.curvature)
        // k = 1: one column, the accumulators in registers (the same lanes and order).
        var zAcc = V8(), cAcc = V8()
        var position = s.offset
        let end = s.offset + s.count
        for (index, block) in blocks.enumerated() {
            let blockEnd = block.offset + block.rows * block.columns
            if blockEnd <= position { continue }
            if block.offset >= end { break }
            let start = max(block.offset, position), stop = min(blockEnd, end)
            exactRun(rule, b, dense, from: position, to: start, plan, zAcc: &zAcc, cAcc: &cAcc)
            exactBlockRows(rule, b, factors!, block: index, firstRow: (start - block.offset) / block.columns,
                           endRow: (stop - block.offset) / block.columns, plan, zAcc: &zAcc, cAcc: &cAcc)
            position = stop
        }
        let vectorEnd = position + (end - position) / 8 * 8
        exactRun(rule, b, dense, from: position, to: vectorEnd, plan, zAcc: &zAcc, cAcc: &cAcc)
        if k == 1 {
            b.accumulators[0] += zAcc
            b.accumulators[1] += cAcc
        }
        if vectorEnd < end {
            exactLanes(rule, b, at: vectorEnd, count: end - vectorEnd, group: s.group, a: plan.a, decay: plan.decay,
                       kappa: plan.kappa)
        }
    }
    if b.curvature { for j in 0 ..< k * k { p.c[j] = horizontalSum(b.accumulators[k + j]) } }
}

/// The base kernels of the exact mode (specialised here, in the same file as the generic pass).
enum ExactBaseKernel {
    case sgd(SGDTangent)
    case sgdm(SGDmTangent)
    case rmsprop(RMSPropTangent)
    case adamw(AdamWTangent)
    case adagrad(AdagradTangent)
    case lion(LionTangent)
}

/// One exact base pass's buffers and plan: α per group, this step's schedule factor, γ, κ; z and C (outputs);
/// the factored inputs at batch 1, or nil (dense g and Hv).
struct ExactPass {
    var buffers: ExactBuffers
    var segments: UnsafeMutableBufferPointer<Segment>
    var alpha: UnsafePointer<Float>
    var factor, gamma, kappa: Float
    var z, c: UnsafeMutablePointer<Float>
    var factors: ExactFactors?
}

func runExactBasePass(_ kernel: ExactBaseKernel, _ p: ExactPass) {
    switch kernel {
    case .sgd(let r): exactBasePass(r, p)
    case .sgdm(let r): exactBasePass(r, p)
    case .rmsprop(let r): exactBasePass(r, p)
    case .adamw(let r): exactBasePass(r, p)
    case .adagrad(let r): exactBasePass(r, p)
    case .lion(let r): exactBasePass(r, p)
    }
}
