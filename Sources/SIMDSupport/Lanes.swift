#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The SIMD layer shared by Networks and MetaOptimize (an internal target: `package` access only, except the
// outer-product type both modules hand over). Everything here is `@inlinable @inline(__always)`, so the callers'
// hot loops compile as if the helpers were written in place — also in debug builds, where these modules are
// optimised (`-O`). Summation orders are fixed: results are bit-identical run to run and platform to platform.

/// Eight Float32 lanes: the vector width of every hot loop (AVX2 on x86-64).
public typealias V8 = SIMD8<Float>

@inlinable @inline(__always)
package func load8(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }

@inlinable @inline(__always)
package func load8(_ p: UnsafeMutablePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }

@inlinable @inline(__always)
package func load8(_ p: UnsafePointer<Float>, _ i: Int) -> V8 { load8(p + i) }

@inlinable @inline(__always)
package func load8(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> V8 { load8(p + i) }

@inlinable @inline(__always)
package func store8(_ v: V8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self)
}

@inlinable @inline(__always)
package func store8(_ p: UnsafeMutablePointer<Float>, _ i: Int, _ v: V8) { store8(v, p + i) }

/// The first `n` (< 8) values at `p + i`, the other lanes 0 (a zero-padded tail vector).
@inlinable @inline(__always)
package func loadPartial(_ p: UnsafePointer<Float>, _ i: Int, _ n: Int) -> V8 {
    var v = V8()
    for k in 0 ..< n { v[k] = p[i + k] }
    return v
}

@inlinable @inline(__always)
package func loadPartial(_ p: UnsafeMutablePointer<Float>, _ i: Int, _ n: Int) -> V8 {
    loadPartial(UnsafePointer(p), i, n)
}

/// Stores the first `n` lanes of `v` at `p + i`.
@inlinable @inline(__always)
package func storePartial(_ p: UnsafeMutablePointer<Float>, _ i: Int, _ n: Int, _ v: V8) {
    for k in 0 ..< n { p[i + k] = v[k] }
}

@inlinable @inline(__always)
package func splat(_ x: Float) -> V8 { V8(repeating: x) }

/// Fixed-order horizontal sum ((0+4)+(2+6)) + ((1+5)+(3+7)).
@inlinable @inline(__always)
package func horizontalSum(_ v: V8) -> Float {
    let q = v.lowHalf + v.highHalf
    let p = q.lowHalf + q.highHalf
    return p[0] + p[1]
}

/// sign(x) with sign(0) = 0 (and 0 for NaN lanes).
@inlinable @inline(__always)
package func sign8(_ x: V8) -> V8 {
    let zero = V8()
    return zero.replacing(with: 1, where: x .> zero).replacing(with: -1, where: x .< zero)
}

#if arch(x86_64) || arch(arm64)
/// LLVM's vector square root (correctly rounded, like the scalar one). The standard library's
/// `SIMD8<Float>.squareRoot()` is lowered lane by lane to scalar square roots, several times slower; two 4-lane
/// intrinsic calls are merged by LLVM into one 8-lane `vsqrtps`.
@_silgen_name("llvm.sqrt.v4f32")
@usableFromInline
func _vectorSquareRoot4(_ x: SIMD4<Float>) -> SIMD4<Float>

@inlinable @inline(__always)
package func squareRoot8(_ x: V8) -> V8 {
    V8(lowHalf: _vectorSquareRoot4(x.lowHalf), highHalf: _vectorSquareRoot4(x.highHalf))
}
#else
@inlinable @inline(__always)
package func squareRoot8(_ x: V8) -> V8 { x.squareRoot() }
#endif

@inlinable @inline(__always)
package func zeroFloats(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i + 8 <= count {
        store8(V8(), p + i)
        i += 8
    }
    while i < count {
        p[i] = 0
        i += 1
    }
}

@inlinable @inline(__always)
package func copyFloats(_ destination: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, _ count: Int) {
    var i = 0
    while i + 8 <= count {
        store8(load8(source + i), destination + i)
        i += 8
    }
    while i < count {
        destination[i] = source[i]
        i += 1
    }
}

@inlinable @inline(__always)
package func addFloats(_ destination: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, _ count: Int) {
    var i = 0
    while i + 8 <= count {
        store8(load8(destination + i) + load8(source + i), destination + i)
        i += 8
    }
    while i < count {
        destination[i] += source[i]
        i += 1
    }
}

/// Dot product of two length-`count` vectors: two FMA accumulators of 8 lanes, then the scalar tail by FMA.
@inlinable @inline(__always)
package func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    var acc0 = V8(), acc1 = V8()
    var i = 0
    while i + 16 <= count {
        acc0 = acc0.addingProduct(load8(a + i), load8(b + i))
        acc1 = acc1.addingProduct(load8(a + i + 8), load8(b + i + 8))
        i += 16
    }
    if i + 8 <= count {
        acc0 = acc0.addingProduct(load8(a + i), load8(b + i))
        i += 8
    }
    var sum = horizontalSum(acc0 + acc1)
    while i < count {
        sum = sum.addingProduct(a[i], b[i])
        i += 1
    }
    return sum
}

/// True when every value is finite. Four independent accumulators of x·0 (NaN for ±∞ and NaN inputs).
@inlinable @inline(__always)
package func allFinite(_ p: UnsafePointer<Float>, count: Int) -> Bool {
    var a0 = V8(), a1 = V8(), a2 = V8(), a3 = V8()
    let zero = V8()
    var i = 0
    while i + 32 <= count {
        a0 += load8(p, i) * zero
        a1 += load8(p, i + 8) * zero
        a2 += load8(p, i + 16) * zero
        a3 += load8(p, i + 24) * zero
        i += 32
    }
    while i + 8 <= count {
        a0 += load8(p, i) * zero
        i += 8
    }
    var tail: Float = 0
    while i < count {
        tail += p[i] * 0
        i += 1
    }
    return (horizontalSum((a0 + a1) + (a2 + a3)) + tail) == 0
}
