import SIMDSupport

/// e^x on 4 Float32 lanes, evaluated in double precision and rounded once to Float32.
///
/// Cody–Waite reduction x = n·ln2 + r (|r| ≤ ln2/2, two-part ln2 with FMA), Taylor polynomial of degree 12 for e^r
/// (truncation error < 2e-16 relative, Estrin evaluation), scaling by 2^n through the exponent bits. The double result is within a few
/// 1e-16 of e^x, so the Float32 result is the correctly rounded e^x except when e^x lies within ~1e-16 relative of
/// a rounding boundary (never observed in 3·10⁶ random arguments, against 0.06% 1-ulp differences for glibc's expf).
/// It is platform-independent and vectorised. x ≥ 88.73 gives +∞, x ≤ −104 gives 0.
@inlinable @inline(__always)
package func exp4(_ x: SIMD4<Float>) -> SIMD4<Float> {
    typealias D4 = SIMD4<Double>
    var d = D4(x)
    d = d.replacing(with: -104, where: d .< -104).replacing(with: 89, where: d .> 89)
    let n = (d * 1.4426950408889634).rounded(.toNearestOrEven)
    var r = d.addingProduct(-n, D4(repeating: 0.6931471805599453))
    r = r.addingProduct(-n, D4(repeating: 2.3190468138462996e-17))
    // Σ r^k/k!, k = 0…12, by Estrin's scheme (short dependency chains).
    let r2 = r * r, r4 = r2 * r2, r8 = r4 * r4
    let q0 = D4(repeating: 1.0).addingProduct(r, D4(repeating: 1.0))  // 1/0! + r/1!
    let q1 = D4(repeating: 0.5).addingProduct(r, D4(repeating: 0.16666666666666666))  // 1/2! + r/3!
    let q2 = D4(repeating: 0.041666666666666664).addingProduct(r, D4(repeating: 0.008333333333333333))  // 1/4! + r/5!
    let q3 = D4(repeating: 0.001388888888888889).addingProduct(r, D4(repeating: 0.0001984126984126984))  // 1/6! + r/7!
    let q4 = D4(repeating: 2.48015873015873e-05).addingProduct(r, D4(repeating: 2.7557319223985893e-06))  // 1/8! + r/9!
    let q5 = D4(repeating: 2.755731922398589e-07).addingProduct(r, D4(repeating: 2.505210838544172e-08))  // 1/10! + r/11!
    let s0 = q0.addingProduct(q1, r2), s1 = q2.addingProduct(q3, r2), s2 = q4.addingProduct(q5, r2)
    let t0 = s0.addingProduct(s1, r4)
    let t1 = s2.addingProduct(D4(repeating: 2.08767569878681e-09), r4)  // + r^12/12!
    let p = t0.addingProduct(t1, r8)
    // 2^n: n + 1023 lands in the low bits of (n + 1023 + 2^52); shifting them into the exponent field.
    let magic = n + D4(repeating: 4503599627370496.0 + 1023)
    let bits = unsafeBitCast(magic, to: SIMD4<UInt64>.self) &<< 52
    return SIMD4<Float>(p * unsafeBitCast(bits, to: D4.self))
}

/// e^x on 8 lanes (see ``exp4(_:)``).
@inlinable @inline(__always)
package func exp8(_ x: V8) -> V8 {
    V8(lowHalf: exp4(x.lowHalf), highHalf: exp4(x.highHalf))
}

/// The step size α = e^β for one β, exactly as the optimizer computes it for every group.
@inlinable
package func stepSizeFromLog(_ beta: Float) -> Float {
    exp4(SIMD4(repeating: beta))[0]
}

