import SIMDSupport

// The fused per-parameter pass of a base rule wrapped by MetaOptimize (spec §3.3, §3.7, §4.2), generic over the
// rule's lane math. A rule declares its lanes (``BaseLanes``) in its own file and calls ``runBasePass`` with them;
// because everything here is `@inlinable`, the pass is specialised and inlined for that rule in the caller's file,
// in debug and release builds alike. This one pass serves dense gradients, outer-product (factored) gradients and
// per-element step sizes.
//
// One pass per segment reads g, h, w (and the rule's state buffers) once and, in this order per element:
//   z += h·g                      (OLD trace, NEW gradient: the meta-gradient contribution)
//   d  = direction(g; s0, s1)     (updates the rule's state in the rule's order)
//   δ  = a·(d + κ·w)              (w before the update)
//   w ← w − δ
//   h ← γ(1 − κ·a)·h − δ
// Arithmetic mirrors the official PyTorch code operation by operation (separate multiply and add, no FMA
// contraction), with every scalar coefficient rounded to Float32 as PyTorch does when it multiplies a float32
// tensor. The last partial vector of a segment is processed as a zero-padded SIMD8 (padding contributes exactly 0).

/// The per-element state a rule keeps besides w and h: none, one or two Float32 buffers, named for checkpoints.
/// Declared once, by the rule's lanes; the optimizer allocates, exports and restores exactly these buffers.
public enum StateLayout: Sendable, Equatable {
    case none
    case one(String)
    case two(String, String)

    @inlinable public var count: Int {
        switch self { case .none: 0; case .one: 1; case .two: 2 }
    }

    @inlinable public var names: [String] {
        switch self { case .none: []; case .one(let a): [a]; case .two(let a, let b): [a, b] }
    }

    @inlinable @inline(__always) public var hasFirst: Bool { count >= 1 }
    @inlinable @inline(__always) public var hasSecond: Bool { count >= 2 }
}

/// A base rule's direction d and its per-element state update, on 8 lanes.
@usableFromInline package protocol BaseLanes {
    /// The rule's state buffers: `s0` is the first declared buffer, `s1` the second.
    static var state: StateLayout { get }
    /// Returns d; reads and writes the rule's state for these lanes (lanes of undeclared buffers hold 0 and are
    /// not stored).
    func direction(g: V8, s0: inout V8, s1: inout V8) -> V8
}

/// One contiguous run of parameters that shares a step-size group.
public struct Segment: Equatable, Sendable {
    public var offset: Int
    public var count: Int
    public var group: Int
    /// The parameters at flat indices `elements`, in step-size group `group`.
    public init(_ elements: Range<Int>, group: Int) {
        offset = elements.lowerBound
        count = elements.count
        self.group = group
    }
}

/// Raw pointers of one step's buffers (the flat parameter layout).
@usableFromInline package struct BaseBuffers {
    /// Weights, traces h and the rule's two per-weight state slots (written by the pass).
    @usableFromInline package var w, h, s0, s1: UnsafeMutablePointer<Float>
    /// Gradients (read only).
    @usableFromInline package var g: UnsafePointer<Float>
    @inlinable package init(w: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>,
                            s0: UnsafeMutablePointer<Float>, s1: UnsafeMutablePointer<Float>) {
        self.w = w; self.g = g; self.h = h; self.s0 = s0; self.s1 = s1
    }
}

/// Where the step sizes come from and where z goes.
@usableFromInline package struct BasePassPlan {
    /// Weightwise (per-element α and z) or segments (one α and one z per segment).
    @usableFromInline package var elementwise: Bool
    @usableFromInline package var segments: UnsafeMutableBufferPointer<Segment>
    /// exp(β) per group.
    @usableFromInline package var alpha: UnsafePointer<Float>
    /// z per group (output).
    @usableFromInline package var z: UnsafeMutablePointer<Float>
    @usableFromInline package var parameterCount: Int
    /// Schedule factor of this step.
    @usableFromInline package var factor: Float
    @usableFromInline package var gamma: Float
    @usableFromInline package var kappa: Float
    @inlinable package init(elementwise: Bool, segments: UnsafeMutableBufferPointer<Segment>,
                            alpha: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>, parameterCount: Int,
                            factor: Float, gamma: Float, kappa: Float) {
        self.elementwise = elementwise; self.segments = segments; self.alpha = alpha; self.z = z
        self.parameterCount = parameterCount; self.factor = factor; self.gamma = gamma; self.kappa = kappa
    }
}

/// One fused base pass over all parameters: per-element step sizes, segments on a dense gradient, or segments on
/// a gradient partly given as outer products (`blocks` non-empty: sorted, disjoint, aligned as
/// ``outerProductsAlign(_:segments:)`` checks).
@inlinable @inline(__always)
package func runBasePass<L: BaseLanes>(_ lanes: L, _ b: BaseBuffers, _ plan: BasePassPlan,
                                       _ blocks: UnsafeBufferPointer<OuterProduct>) {
    if plan.elementwise {
        precondition(blocks.isEmpty)
        fusedElementwise(lanes, b, alpha: plan.alpha, z: plan.z, count: plan.parameterCount, factor: plan.factor,
                         gamma: plan.gamma, kappa: plan.kappa)
        return
    }
    for s in plan.segments {
        let a = plan.alpha[s.group] * plan.factor
        let decay = plan.gamma * (1 - plan.kappa * a)
        plan.z[s.group] = fusedSegment(lanes, b, blocks, offset: s.offset, count: s.count, a: a, decay: decay,
                                       kappa: plan.kappa)
    }
}

/// One element-group of 8 lanes: the fused update. Returns h_old·g (the z contribution).
@inlinable @inline(__always)
package func fusedLanes<L: BaseLanes>(
    _ lanes: L, g: V8, w: inout V8, h: inout V8, s0: inout V8, s1: inout V8, a: V8, decay: V8, kappa: V8
) -> V8 {
    let hg = h * g
    let d = lanes.direction(g: g, s0: &s0, s1: &s1)
    let delta = a * (d + kappa * w)
    w = w - delta
    h = decay * h - delta
    return hg
}

/// The fused update of the 8 elements at `i` with gradient `g`: loads w, h and the rule's state, updates, stores
/// them back. Returns h_old·g.
@inlinable @inline(__always)
package func fusedVector<L: BaseLanes>(_ lanes: L, _ b: BaseBuffers, at i: Int, g: V8, a: V8, decay: V8,
                                       kappa: V8) -> V8 {
    var w = load8(b.w, i), h = load8(b.h, i)
    var s0 = L.state.hasFirst ? load8(b.s0, i) : V8()
    var s1 = L.state.hasSecond ? load8(b.s1, i) : V8()
    let hg = fusedLanes(lanes, g: g, w: &w, h: &h, s0: &s0, s1: &s1, a: a, decay: decay, kappa: kappa)
    store8(b.w, i, w)
    store8(b.h, i, h)
    if L.state.hasFirst { store8(b.s0, i, s0) }
    if L.state.hasSecond { store8(b.s1, i, s1) }
    return hg
}

/// The fused update of the `n` (< 8) elements at `i`, as a zero-padded vector; `a` per lane. Returns h_old·g.
@inlinable @inline(__always)
package func fusedTail<L: BaseLanes>(_ lanes: L, _ b: BaseBuffers, at i: Int, count n: Int, a: V8, decay: V8,
                                     kappa: V8) -> V8 {
    let g = loadPartial(b.g, i, n)
    var w = loadPartial(b.w, i, n), h = loadPartial(b.h, i, n)
    var s0 = L.state.hasFirst ? loadPartial(b.s0, i, n) : V8()
    var s1 = L.state.hasSecond ? loadPartial(b.s1, i, n) : V8()
    let hg = fusedLanes(lanes, g: g, w: &w, h: &h, s0: &s0, s1: &s1, a: a, decay: decay, kappa: kappa)
    storePartial(b.w, i, n, w)
    storePartial(b.h, i, n, h)
    if L.state.hasFirst { storePartial(b.s0, i, n, s0) }
    if L.state.hasSecond { storePartial(b.s1, i, n, s1) }
    return hg
}

/// Fused update of `count` elements from `offset` that all use step size `a`, with the gradient read from `b.g`;
/// adds h_old·g into the lanes of `acc`. Lane k of `acc` receives the elements offset + 8j + k, so a segment
/// processed as consecutive runs whose boundaries are multiples of 8 from its start accumulates exactly as one
/// run; only the last run of a segment may end in a partial vector.
@inlinable @inline(__always)
package func fusedDenseRun<L: BaseLanes>(
    _ lanes: L, _ b: BaseBuffers, offset: Int, count: Int, a av: V8, decay dv: V8, kappa kv: V8, acc: inout V8
) {
    var i = offset
    let end = offset + count
    while i + 8 <= end {
        acc += fusedVector(lanes, b, at: i, g: load8(b.g, i), a: av, decay: dv, kappa: kv)
        i += 8
    }
    if i < end { acc += fusedTail(lanes, b, at: i, count: end - i, a: av, decay: dv, kappa: kv) }
}

/// Fused update of rows `firstRow ..< endRow` of an outer-product block, forming each gradient vector on the fly
/// as rowFactor·columnFactors (+0 for a row whose factor is 0), exactly the values the dense gradient would hold.
/// `block.columns` is a multiple of 8 (checked by the caller), so every row is whole vectors.
@inlinable @inline(__always)
package func fusedOuterProductRows<L: BaseLanes>(
    _ lanes: L, _ b: BaseBuffers, _ block: OuterProduct, firstRow: Int, endRow: Int,
    a av: V8, decay dv: V8, kappa kv: V8, acc: inout V8
) {
    let n = block.columns
    let x = block.columnFactors
    for r in firstRow ..< endRow {
        let factor = block.rowFactors[r]
        let s = V8(repeating: factor)
        let zeroRow = factor == 0
        var i = block.offset + r * n
        var c = 0
        while c < n {
            acc += fusedVector(lanes, b, at: i, g: zeroRow ? V8() : s * load8(x, c), a: av, decay: dv, kappa: kv)
            i += 8
            c += 8
        }
    }
}

/// Fused update of `count` elements from `offset` that all use step size `a`; dense runs read `b.g`, rows of the
/// outer-product blocks inside the segment form their gradient from the factors: same lanes, same order, same sum.
/// Returns Σ h_old·g over the segment.
@inlinable @inline(__always)
package func fusedSegment<L: BaseLanes>(
    _ lanes: L, _ b: BaseBuffers, _ blocks: UnsafeBufferPointer<OuterProduct>, offset: Int, count: Int,
    a: Float, decay: Float, kappa: Float
) -> Float {
    let av = V8(repeating: a), dv = V8(repeating: decay), kv = V8(repeating: kappa)
    var acc = V8()
    var position = offset
    let end = offset + count
    for block in blocks {
        let blockEnd = block.offset + block.rows * block.columns
        if blockEnd <= position { continue }
        if block.offset >= end { break }
        let start = max(block.offset, position), stop = min(blockEnd, end)
        if start > position {
            fusedDenseRun(lanes, b, offset: position, count: start - position, a: av, decay: dv, kappa: kv, acc: &acc)
        }
        fusedOuterProductRows(lanes, b, block, firstRow: (start - block.offset) / block.columns,
                              endRow: (stop - block.offset) / block.columns, a: av, decay: dv, kappa: kv, acc: &acc)
        position = stop
    }
    if position < end {
        fusedDenseRun(lanes, b, offset: position, count: end - position, a: av, decay: dv, kappa: kv, acc: &acc)
    }
    return horizontalSum(acc)
}

/// Fused update with one step size per element (weightwise): a = alpha[i]·factor, decay = γ·(1 − κ·a);
/// writes z[i] = h_old[i]·g[i].
@inlinable @inline(__always)
package func fusedElementwise<L: BaseLanes>(
    _ lanes: L, _ b: BaseBuffers, alpha: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>, count: Int,
    factor: Float, gamma: Float, kappa: Float
) {
    let fv = V8(repeating: factor), gv = V8(repeating: gamma), kv = V8(repeating: kappa), one = V8(repeating: 1)
    var i = 0
    while i + 8 <= count {
        let a = load8(alpha, i) * fv
        store8(z, i, fusedVector(lanes, b, at: i, g: load8(b.g, i), a: a, decay: gv * (one - kv * a), kappa: kv))
        i += 8
    }
    if i < count {
        let n = count - i
        let a = loadPartial(alpha, i, n) * fv
        storePartial(z, i, n, fusedTail(lanes, b, at: i, count: n, a: a, decay: gv * (one - kv * a), kappa: kv))
    }
}

/// True when every segment can be processed run by run with the lanes of a single pass: each part of a block
/// inside a segment is whole rows of whole vectors (columns a multiple of 8) starting a multiple of 8 elements
/// after the segment's start.
package func outerProductsAlign(_ blocks: UnsafeBufferPointer<OuterProduct>,
                                segments: UnsafeMutableBufferPointer<Segment>) -> Bool {
    for block in blocks where block.columns % 8 != 0 { return false }
    for s in segments {
        let end = s.offset + s.count
        for block in blocks {
            let blockEnd = block.offset + block.rows * block.columns
            if blockEnd <= s.offset || block.offset >= end { continue }
            let start = max(block.offset, s.offset), stop = min(blockEnd, end)
            if (start - s.offset) % 8 != 0 || (start - block.offset) % block.columns != 0
                || (stop - block.offset) % block.columns != 0 {
                return false
            }
        }
    }
    return true
}

/// One base pass's buffers and plan, handed to a rule so that all it does is choose its lanes: `step.run(lanes)`.
@usableFromInline package struct BaseStep {
    @usableFromInline package let buffers: BaseBuffers
    @usableFromInline package let plan: BasePassPlan
    @usableFromInline package let blocks: UnsafeBufferPointer<OuterProduct>
    @inlinable package init(buffers: BaseBuffers, plan: BasePassPlan, blocks: UnsafeBufferPointer<OuterProduct>) {
        self.buffers = buffers; self.plan = plan; self.blocks = blocks
    }
    /// Runs the fused pass with `lanes` (specialised for them in the caller's file).
    @inlinable @inline(__always) package func run<L: BaseLanes>(_ lanes: L) { runBasePass(lanes, buffers, plan, blocks) }
}
