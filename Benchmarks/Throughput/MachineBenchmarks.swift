import Foundation

/// Measures what one core of this machine can do: peak single-precision FMA throughput and memory bandwidth for
/// working sets that fit each cache level, for the roofline in docs/performance.md.
enum MachineBenchmarks {
    struct Result: Codable {
        var peakGflops: Double
        /// Elements per second of d = m / sqrt(x) on L1-resident SIMD8 data (exact sqrt and division, as faithful
        /// AdamW/RMSProp/Adam need them).
        var sqrtDivisionsPerSecond: Double
        var bandwidth: [BandwidthPoint]
        enum CodingKeys: String, CodingKey {
            case peakGflops = "peak_gflops_fp32", sqrtDivisionsPerSecond = "sqrt_divisions_per_second", bandwidth
        }
    }

    /// 8 independent chains of y = m / sqrt(y + c) on SIMD8 vectors (vsqrtps + vdivps, as the optimizer's kernels).
    @inline(never)
    static func sqrtDivisionKernel(iterations: Int, seed: Float) -> Float {
        var y0 = SIMD8<Float>(repeating: seed), y1 = y0 + 1, y2 = y0 + 2, y3 = y0 + 3
        var y4 = y0 + 4, y5 = y0 + 5, y6 = y0 + 6, y7 = y0 + 7
        let m = SIMD8<Float>(repeating: 1.5), c = SIMD8<Float>(repeating: 1)
        for _ in 0..<iterations {
            y0 = m / vectorSquareRoot(y0 + c); y1 = m / vectorSquareRoot(y1 + c)
            y2 = m / vectorSquareRoot(y2 + c); y3 = m / vectorSquareRoot(y3 + c)
            y4 = m / vectorSquareRoot(y4 + c); y5 = m / vectorSquareRoot(y5 + c)
            y6 = m / vectorSquareRoot(y6 + c); y7 = m / vectorSquareRoot(y7 + c)
        }
        return (y0 + y1 + y2 + y3 + y4 + y5 + y6 + y7).sum()
    }

    static func sqrtDivisions() -> Double {
        let iterations = 2_000_000
        var best = 0.0
        let clock = ContinuousClock()
        var sink: Float = 0
        for r in 0..<5 {
            let start = clock.now
            sink += sqrtDivisionKernel(iterations: iterations, seed: Float(r))
            best = max(best, Double(iterations * 64) / (clock.now - start).seconds)
        }
        if sink == .infinity { print("") }
        return best
    }

    struct BandwidthPoint: Codable {
        var workingSetBytes: Int
        var readGBps: Double
        var triadGBps: Double
        enum CodingKeys: String, CodingKey {
            case workingSetBytes = "working_set_bytes", readGBps = "read_gb_per_s", triadGBps = "triad_gb_per_s"
        }
    }

    /// 12 independent SIMD8 FMA chains (more than FMA latency × 2 pipes); 2 flops per multiply-add per lane.
    @inline(never)
    static func fmaKernel(iterations: Int, seed: Float) -> Float {
        var a0 = SIMD8<Float>(repeating: seed), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3
        var a4 = a0 + 4, a5 = a0 + 5, a6 = a0 + 6, a7 = a0 + 7
        var b0 = a0 * 0.5, b1 = a1 * 0.5, b2 = a2 * 0.5, b3 = a3 * 0.5
        let m = SIMD8<Float>(repeating: 0.999_999), c = SIMD8<Float>(repeating: 1e-7)
        for _ in 0..<iterations {
            a0 = a0.addingProduct(m, c); a1 = a1.addingProduct(m, c); a2 = a2.addingProduct(m, c)
            a3 = a3.addingProduct(m, c); a4 = a4.addingProduct(m, c); a5 = a5.addingProduct(m, c)
            a6 = a6.addingProduct(m, c); a7 = a7.addingProduct(m, c)
            b0 = b0.addingProduct(m, c); b1 = b1.addingProduct(m, c); b2 = b2.addingProduct(m, c)
            b3 = b3.addingProduct(m, c)
        }
        let s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + b0 + b1 + b2 + b3
        return s.sum()
    }

    static func peakGflops() -> Double {
        let iterations = 20_000_000
        var best = 0.0
        let clock = ContinuousClock()
        var sink: Float = 0
        for r in 0..<5 {
            let start = clock.now
            sink += fmaKernel(iterations: iterations, seed: Float(r))
            let seconds = (clock.now - start).seconds
            best = max(best, Double(iterations) * 12 * 8 * 2 / seconds / 1e9)
        }
        if sink == .infinity { print("") }
        return best
    }

    @inline(never)
    static func readKernel(_ x: UnsafeBufferPointer<Float>) -> Float {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        let raw = UnsafeRawPointer(x.baseAddress!)
        var i = 0
        let n = x.count / 32 * 32
        while i < n {
            s0 += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            s1 += raw.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
            s2 += raw.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD8<Float>.self)
            s3 += raw.loadUnaligned(fromByteOffset: (i + 24) * 4, as: SIMD8<Float>.self)
            i += 32
        }
        return (s0 + s1 + s2 + s3).sum()
    }

    /// a = b + s·c (STREAM triad): 2 reads + 1 write per element (write-allocate traffic not counted).
    @inline(never)
    static func triadKernel(_ a: UnsafeMutableBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                            _ c: UnsafeBufferPointer<Float>) {
        let s = SIMD8<Float>(repeating: 1.0001)
        let pa = UnsafeMutableRawPointer(a.baseAddress!), pb = UnsafeRawPointer(b.baseAddress!)
        let pc = UnsafeRawPointer(c.baseAddress!)
        var i = 0
        while i + 8 <= a.count {
            let v = pb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                .addingProduct(s, pc.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
            pa.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
    }

    static func bandwidth(bytes: Int) -> BandwidthPoint {
        let n = bytes / 4
        let x = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
        let y = UnsafeMutableBufferPointer<Float>.allocate(capacity: n / 3)
        let z = UnsafeMutableBufferPointer<Float>.allocate(capacity: n / 3)
        let w = UnsafeMutableBufferPointer<Float>.allocate(capacity: n / 3)
        defer { x.deallocate(); y.deallocate(); z.deallocate(); w.deallocate() }
        for i in 0..<n { x[i] = Float(i & 1023) }
        for i in 0..<(n / 3) { y[i] = 1; z[i] = 2; w[i] = 0 }
        let target = 2_000_000_000 // bytes touched per measurement
        let repeats = max(1, target / bytes)
        let clock = ContinuousClock()
        var sink: Float = 0
        var bestRead = 0.0, bestTriad = 0.0
        for _ in 0..<5 {
            var start = clock.now
            for r in 0..<repeats {
                x[r % n] += 1   // the buffer changes between calls, so the read cannot be hoisted out of the loop
                sink += readKernel(UnsafeBufferPointer(x))
            }
            bestRead = max(bestRead, Double(repeats * n * 4) / (clock.now - start).seconds / 1e9)
            start = clock.now
            for r in 0..<repeats {
                y[r % (n / 3)] += 1
                triadKernel(w, UnsafeBufferPointer(y), UnsafeBufferPointer(z))
            }
            bestTriad = max(bestTriad, Double(repeats * (n / 3) * 12) / (clock.now - start).seconds / 1e9)
        }
        if sink == .infinity { print("") }
        return BandwidthPoint(workingSetBytes: bytes, readGBps: bestRead, triadGBps: bestTriad)
    }

    static func run() -> Result {
        let sizes = [16 << 10, 192 << 10, 384 << 10, 2 << 20, 6 << 20, 12 << 20, 48 << 20, 256 << 20]
        return Result(peakGflops: peakGflops(), sqrtDivisionsPerSecond: sqrtDivisions(),
                      bandwidth: sizes.map(bandwidth(bytes:)))
    }
}

#if arch(x86_64) || arch(arm64)
// LLVM's vector square root (one vsqrtps); SIMD8<Float>.squareRoot() is lowered to 8 scalar square roots.
@_silgen_name("llvm.sqrt.v4f32")
func _benchmarkVectorSquareRoot4(_ x: SIMD4<Float>) -> SIMD4<Float>
@inline(__always)
func vectorSquareRoot(_ x: SIMD8<Float>) -> SIMD8<Float> {
    SIMD8(lowHalf: _benchmarkVectorSquareRoot4(x.lowHalf), highHalf: _benchmarkVectorSquareRoot4(x.highHalf))
}
#else
@inline(__always)
func vectorSquareRoot(_ x: SIMD8<Float>) -> SIMD8<Float> { x.squareRoot() }
#endif
