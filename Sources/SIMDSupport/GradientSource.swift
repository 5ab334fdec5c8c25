// The gradient of one step as the learning-rate-free competitors' fused passes read it: a dense buffer, except
// inside outer-product blocks (batch 1), whose elements are formed on the fly and never written; the generic pass
// runner over it, and the competitors' lane helpers. Everything is `@inlinable @inline(__always)`, so each pass's
// lane code is specialised and inlined into its caller's loop, in debug builds too.

/// A step's gradient: `dense` holds every element outside `blocks`; inside a block, element (r, c) is
/// rowFactors[r]·columnFactors[c] (one Float32 product; +0 for the whole row when rowFactors[r] == 0), exactly the
/// value ``OuterProduct/materialize(into:)`` would write. With no blocks it is the dense gradient.
///
/// Lane convention: a pass over `start ..< start + count` sees the same chunks of 8 (lane k = element start + 8j + k)
/// whether an element is stored or formed, so reductions sum in the same order as on the materialised gradient.
/// Requirements (the caller checks them before choosing the factored form): blocks sorted and disjoint, each with
/// `columns` a multiple of 8, and every pass range either containing a block whole, at a multiple of 8 from the
/// range's start, or not overlapping it.
@usableFromInline package struct GradientSource {
    @usableFromInline package let dense: UnsafePointer<Float>
    @usableFromInline package let blocks: UnsafeBufferPointer<OuterProduct>

    @inlinable package init(dense: UnsafePointer<Float>, blocks: UnsafeBufferPointer<OuterProduct>) {
        self.dense = dense
        self.blocks = blocks
    }

    /// The dense gradient `dense` (no blocks).
    @inlinable package init(dense: UnsafePointer<Float>) {
        self.init(dense: dense, blocks: UnsafeBufferPointer(start: nil, count: 0))
    }

    /// Runs `pass` over the chunks of `start ..< start + count` in order: ``GradientPass/chunk(_:_:_:)`` with `i`
    /// the index of the chunk's first element, `n` = 8, or for the last chunk the elements left (lanes n ..< 8 of
    /// `g` are 0), and `g` the gradient. Generic over the pass, so each pass's lane code is specialised and inlined
    /// in its caller's file (three copies: dense chunks, block rows, the tail).
    /// Returns the pass (its accumulators are this function's copy: kept in registers, where an `inout` pass would be
    /// stored back every chunk).
    @inlinable @inline(__always)
    package func run<P: GradientPass>(_ pass: P, from start: Int, count: Int) -> P {
        var local = pass
        var i = start
        let end = start + count
        for block in blocks {
            if block.offset + block.count <= i { continue }
            if block.offset >= end { break }
            while i < block.offset {
                local.chunk(i, 8, load8(dense + i))
                i &+= 8
            }
            let x = block.columnFactors
            for r in 0 ..< block.rows {
                let factor = block.rowFactors[r]
                let s = V8(repeating: factor)
                let zeroRow = factor == 0
                var c = 0
                while c < block.columns {
                    local.chunk(i, 8, zeroRow ? V8() : s * load8(x + c))
                    i &+= 8
                    c &+= 8
                }
            }
        }
        while i + 8 <= end {
            local.chunk(i, 8, load8(dense + i))
            i &+= 8
        }
        if i < end { local.chunk(i, end - i, loadPartial(dense, i, end - i)) }
        return local
    }

    /// ``run(_:from:count:)`` as a call of its own (specialised for the pass, never inlined). Inlined into a large
    /// caller, the runner can keep the pass in memory and store its accumulators every chunk; in a function of its
    /// own they stay in registers. Use it for passes with accumulators.
    @inlinable @inline(never)
    package func runApart<P: GradientPass>(_ pass: P, from start: Int, count: Int) -> P {
        run(pass, from: start, count: count)
    }

    /// Calls `body(e, g)` for the elements e = start, start + stride, … below start + count, g their gradient.
    @inlinable @inline(__always)
    package func forEachStrided(from start: Int, count: Int, stride: Int, _ body: (_ e: Int, _ g: Float) -> Void) {
        var e = start
        let end = start + count
        var b = 0
        var r = -1, c = 0  // row and column of e in block b once e is inside it (r = -1: not entered yet)
        while e < end {
            while b < blocks.count && blocks[b].offset + blocks[b].count <= e {
                b += 1
                r = -1
            }
            var value = dense[e]
            if b < blocks.count && e >= blocks[b].offset {
                let block = blocks[b]
                if r < 0 {
                    r = (e - block.offset) / block.columns
                    c = (e - block.offset) % block.columns
                }
                let f = block.rowFactors[r]
                value = f == 0 ? 0 : f * block.columnFactors[c]
                c += stride
                while c >= block.columns {
                    c -= block.columns
                    r += 1
                }
            }
            body(e, value)
            e += stride
        }
    }

    /// Σ g² over `start ..< start + count` in Float32, bit for bit ``dot(_:_:_:)`` of the materialised gradient with
    /// itself: even chunks into one 8-lane FMA accumulator, odd ones into another, then the scalar tail by FMA.
    @inlinable @inline(__always)
    package func sumOfSquares(from start: Int, count: Int) -> Float {
        let pass = run(SquaresPass(), from: start, count: count)
        var sum = horizontalSum(pass.acc0 + pass.acc1)
        for k in 0 ..< pass.tailCount { sum = sum.addingProduct(pass.tail[k], pass.tail[k]) }
        return sum
    }

    /// True when every element of `0 ..< count` outside the blocks is finite (the blocks' own products are the
    /// caller's to check).
    @inlinable
    package func denseIsFinite(count: Int) -> Bool {
        var position = 0
        for block in blocks {
            guard allFinite(dense + position, count: block.offset - position) else { return false }
            position = block.offset + block.count
        }
        return allFinite(dense + position, count: count - position)
    }
}

/// The per-chunk work of one fused pass over a ``GradientSource``: the lanes of elements i ..< i + n (n = 8 except for
/// a range's last chunk, whose lanes n ..< 8 of `g` are 0). Implementations mark `chunk` `@inline(__always)`.
@usableFromInline package protocol GradientPass {
    mutating func chunk(_ i: Int, _ n: Int, _ g: V8)
}

/// ``GradientSource/sumOfSquares(from:count:)``'s accumulators.
@usableFromInline package struct SquaresPass: GradientPass {
    @usableFromInline var acc0 = V8(), acc1 = V8(), tail = V8(), tailCount = 0, even = true
    @inlinable init() {}
    @inlinable @inline(__always)
    package mutating func chunk(_ i: Int, _ n: Int, _ g: V8) {
        if n < 8 {
            tail = g
            tailCount = n
        } else if even {
            acc0 = acc0.addingProduct(g, g)
        } else {
            acc1 = acc1.addingProduct(g, g)
        }
        even.toggle()
    }
}

/// Runs `pass` over the chunks of `start ..< start + count` as ``GradientSource/run(_:from:count:)`` does, for a pass
/// that reads no gradient (`g` is 0). Returns the pass.
@inlinable @inline(__always)
package func runWithoutGradient<P: GradientPass>(_ pass: P, from start: Int, count: Int) -> P {
    var local = pass
    var i = start
    let end = start + count
    while i + 8 <= end {
        local.chunk(i, 8, V8())
        i &+= 8
    }
    if i < end { local.chunk(i, end - i, V8()) }
    return local
}

// Lane helpers of the competitors' passes: loads and stores of a chunk of n ≤ 8 elements, and lane functions.

/// Eight lanes at `p + i`, or the first `n` with the rest 0. The tail is an out-of-line call, so the compiler keeps
/// the full-chunk path a plain vector load (instead of merging both paths into a chain of blends).
@inlinable @inline(__always)
package func ld(_ p: UnsafePointer<Float>, _ i: Int, _ n: Int) -> V8 { n == 8 ? load8(p + i) : tailLoad(p, i, n) }

@inlinable @inline(__always)
package func ld(_ p: UnsafeMutablePointer<Float>, _ i: Int, _ n: Int) -> V8 { ld(UnsafePointer(p), i, n) }

@inlinable @inline(__always)
package func st(_ p: UnsafeMutablePointer<Float>, _ i: Int, _ n: Int, _ v: V8) {
    if n == 8 { store8(v, p + i) } else { tailStore(p, i, n, v) }
}

@inline(never) @usableFromInline
func tailLoad(_ p: UnsafePointer<Float>, _ i: Int, _ n: Int) -> V8 { loadPartial(p, i, n) }

@inline(never) @usableFromInline
func tailStore(_ p: UnsafeMutablePointer<Float>, _ i: Int, _ n: Int, _ v: V8) { storePartial(p, i, n, v) }

/// 1 in the first `n` lanes, 0 in the others (masks the tail of a reduction).
@inlinable @inline(__always)
package func laneMask(_ n: Int) -> V8 {
    if n == 8 { return V8(repeating: 1) }
    var v = V8()
    for k in 0 ..< n { v[k] = 1 }
    return v
}

@inlinable @inline(__always)
package func abs8(_ x: V8) -> V8 { x.replacing(with: -x, where: x .< 0) }

@inlinable @inline(__always)
package func max8(_ a: V8, _ b: V8) -> V8 { a.replacing(with: b, where: b .> a) }

/// PyTorch's `lerp(a, b, w)` in Float32: `a + w·(b − a)` for |w| < 0.5, else `b − (b − a)·(1 − w)`.
@inlinable @inline(__always)
package func lerp8(_ a: V8, _ b: V8, _ w: Float) -> V8 {
    abs(w) < 0.5 ? a + V8(repeating: w) * (b - a) : b - (b - a) * V8(repeating: 1 - w)
}

/// L2 weight decay added to the gradient (the coupled convention of the competitors' packages): g + wd·w in Float32,
/// or g when off (then w is not read).
@usableFromInline package struct CoupledDecay {
    @usableFromInline let isOn: Bool
    @usableFromInline let wd: Float

    @inlinable package init(_ wd: Double, isOn: Bool) {
        self.isOn = isOn
        self.wd = Float(wd)
    }

    @inlinable @inline(__always)
    package func callAsFunction(_ g: V8, _ w: @autoclosure () -> V8) -> V8 { isOn ? g + splat(wd) * w() : g }
}
