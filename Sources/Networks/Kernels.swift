#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SIMDSupport

// Hand-written Float32 kernels. Every hot loop of the networks lives in this one file so that the optimiser can
// inline the SIMD helpers even in non-whole-module (debug `-O`) builds. Kernels never allocate; all buffers are
// owned by the caller. Summation orders are fixed, so results are bit-identical run to run.

// The SIMD helpers (load/store, sums, copies, dot, finiteness, outer product) come from SIMDSupport.


enum Kernels {

    // MARK: - Linear (fully connected) layer, PyTorch layout: weight [out, in] row-major, bias [out].

    /// Forward: `y[b, o] = bias[o] + Σ_i weight[o, i] · x[b, i]` for `b < batch`.
    /// Rows are processed four at a time (and samples two at a time) so each weight load feeds several FMAs.
    static func linearForward(
        x: UnsafePointer<Float>, batch: Int, inCount n: Int,
        weight w: UnsafePointer<Float>, bias: UnsafePointer<Float>, outCount m: Int,
        y: UnsafeMutablePointer<Float>
    ) {
        let n8 = n & ~7
        var o = 0
        while o + 4 <= m {
            let w0 = w + o * n, w1 = w0 + n, w2 = w1 + n, w3 = w2 + n
            var b = 0
            while b + 2 <= batch {
                let xa = x + b * n, xb = xa + n
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>(), c3 = SIMD8<Float>()
                var i = 0
                while i < n8 {
                    let va = load8(xa + i), vb = load8(xb + i)
                    let v0 = load8(w0 + i), v1 = load8(w1 + i), v2 = load8(w2 + i), v3 = load8(w3 + i)
                    a0 = a0.addingProduct(v0, va); c0 = c0.addingProduct(v0, vb)
                    a1 = a1.addingProduct(v1, va); c1 = c1.addingProduct(v1, vb)
                    a2 = a2.addingProduct(v2, va); c2 = c2.addingProduct(v2, vb)
                    a3 = a3.addingProduct(v3, va); c3 = c3.addingProduct(v3, vb)
                    i += 8
                }
                var s0 = horizontalSum(a0), s1 = horizontalSum(a1), s2 = horizontalSum(a2), s3 = horizontalSum(a3)
                var t0 = horizontalSum(c0), t1 = horizontalSum(c1), t2 = horizontalSum(c2), t3 = horizontalSum(c3)
                while i < n {
                    let va = xa[i], vb = xb[i]
                    s0 = s0.addingProduct(w0[i], va); t0 = t0.addingProduct(w0[i], vb)
                    s1 = s1.addingProduct(w1[i], va); t1 = t1.addingProduct(w1[i], vb)
                    s2 = s2.addingProduct(w2[i], va); t2 = t2.addingProduct(w2[i], vb)
                    s3 = s3.addingProduct(w3[i], va); t3 = t3.addingProduct(w3[i], vb)
                    i += 1
                }
                let ya = y + b * m + o, yb = ya + m
                ya[0] = bias[o] + s0; ya[1] = bias[o + 1] + s1; ya[2] = bias[o + 2] + s2; ya[3] = bias[o + 3] + s3
                yb[0] = bias[o] + t0; yb[1] = bias[o + 1] + t1; yb[2] = bias[o + 2] + t2; yb[3] = bias[o + 3] + t3
                b += 2
            }
            if b < batch {
                // One sample, four rows, two accumulators per row (eight independent FMA chains).
                let xa = x + b * n
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                var e0 = SIMD8<Float>(), e1 = SIMD8<Float>(), e2 = SIMD8<Float>(), e3 = SIMD8<Float>()
                var i = 0
                while i + 16 <= n {
                    let va = load8(xa + i), vb = load8(xa + i + 8)
                    a0 = a0.addingProduct(load8(w0 + i), va); e0 = e0.addingProduct(load8(w0 + i + 8), vb)
                    a1 = a1.addingProduct(load8(w1 + i), va); e1 = e1.addingProduct(load8(w1 + i + 8), vb)
                    a2 = a2.addingProduct(load8(w2 + i), va); e2 = e2.addingProduct(load8(w2 + i + 8), vb)
                    a3 = a3.addingProduct(load8(w3 + i), va); e3 = e3.addingProduct(load8(w3 + i + 8), vb)
                    i += 16
                }
                if i + 8 <= n {
                    let va = load8(xa + i)
                    a0 = a0.addingProduct(load8(w0 + i), va)
                    a1 = a1.addingProduct(load8(w1 + i), va)
                    a2 = a2.addingProduct(load8(w2 + i), va)
                    a3 = a3.addingProduct(load8(w3 + i), va)
                    i += 8
                }
                var s0 = horizontalSum(a0 + e0), s1 = horizontalSum(a1 + e1)
                var s2 = horizontalSum(a2 + e2), s3 = horizontalSum(a3 + e3)
                while i < n {
                    let va = xa[i]
                    s0 = s0.addingProduct(w0[i], va)
                    s1 = s1.addingProduct(w1[i], va)
                    s2 = s2.addingProduct(w2[i], va)
                    s3 = s3.addingProduct(w3[i], va)
                    i += 1
                }
                let ya = y + b * m + o
                ya[0] = bias[o] + s0; ya[1] = bias[o + 1] + s1; ya[2] = bias[o + 2] + s2; ya[3] = bias[o + 3] + s3
            }
            o += 4
        }
        while o < m {
            for b in 0..<batch {
                y[b * m + o] = bias[o] + dot(w + o * n, x + b * n, n)
            }
            o += 1
        }
    }

    /// Backward of a linear layer given `delta = ∂L/∂y` (already masked by any following activation):
    /// `weightGrad[o, i] = Σ_b delta[b, o]·x[b, i]`, `biasGrad[o] = Σ_b delta[b, o]` (both overwritten), and, when
    /// `inputGrad` is given, `inputGrad[b, i] = Σ_o delta[b, o]·weight[o, i]` (overwritten). A nil `weightGrad`
    /// (batch 1 only) leaves the weight gradient in factored form, `delta` ⊗ `x`.
    static func linearBackward(
        x: UnsafePointer<Float>, batch: Int, inCount n: Int,
        weight w: UnsafePointer<Float>, outCount m: Int,
        delta d: UnsafePointer<Float>,
        weightGrad dw: UnsafeMutablePointer<Float>?, biasGrad db: UnsafeMutablePointer<Float>,
        inputGrad dx: UnsafeMutablePointer<Float>?, weightsFinite: Bool = false
    ) {
        for o in 0..<m {
            var s: Float = 0
            for b in 0..<batch { s += d[b * m + o] }
            db[o] = s
        }
        if batch == 1 {
            linearBackwardSingle(x: x, inCount: n, weight: w, outCount: m, delta: d, weightGrad: dw, inputGrad: dx,
                                 weightsFinite: weightsFinite)
            return
        }
        guard let dw else { preconditionFailure("a factored weight gradient needs batch size 1") }
        linearWeightGradientBatch(x: x, batch: batch, inCount: n, outCount: m, delta: d, weightGrad: dw)
        if let dx {
            linearInputGradientBatch(batch: batch, inCount: n, weight: w, outCount: m, delta: d, inputGrad: dx,
                                     weightsFinite: weightsFinite)
        }
    }

    /// The batch-1 weight gradient as an explicit outer product: `out[r, c] = rowFactors[r]·columnFactors[c]`
    /// (one Float32 product), and exactly +0 for the whole row when `rowFactors[r] == 0` (a dead ReLU unit).
    /// This is the definition of ``OuterProductBlock``; optimizers that form the product on the fly use the same rule.
    static func outerProduct(
        rowFactors d: UnsafePointer<Float>, rows m: Int, columnFactors x: UnsafePointer<Float>, columns n: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        writeOuterProduct(rowFactors: d, rows: m, columnFactors: x, columns: n, into: out)
    }

    /// Batch-1 backward: the weight gradient `dW = δ xᵀ` (see `outerProduct`; skipped when `dw` is nil because the
    /// caller takes it in factored form) and `dx = Σ_o δ_o · W[o, :]`, accumulated from +0 over the rows in
    /// ascending order with one FMA per term, four rows per pass over dx.
    ///
    /// A row with δ_o = 0 adds exactly nothing when its weights are finite (acc + 0·w = acc, and acc is never −0), so
    /// such rows are skipped: with `weightsFinite` (the caller knows every weight is finite) each dead row is
    /// skipped on its own, bit-identical to visiting every row; otherwise only blocks of four dead rows are, and a
    /// dead row with an infinite weight inside a live block still turns dx into NaN, as 0·∞ does.
    private static func linearBackwardSingle(
        x: UnsafePointer<Float>, inCount n: Int, weight w: UnsafePointer<Float>, outCount m: Int,
        delta d: UnsafePointer<Float>, weightGrad dw: UnsafeMutablePointer<Float>?,
        inputGrad dx: UnsafeMutablePointer<Float>?, weightsFinite: Bool
    ) {
        if let dw { outerProduct(rowFactors: d, rows: m, columnFactors: x, columns: n, into: dw) }
        if let dx { inputGradientOneSample(dx: dx, inCount: n, weight: w, outCount: m, delta: d, weightsFinite: weightsFinite) }
    }

    /// One sample's `dx = Σ_o δ_o · W[o, :]` (see `linearBackwardSingle` for the order and the dead-row rules).
    private static func inputGradientOneSample(
        dx: UnsafeMutablePointer<Float>, inCount n: Int, weight w: UnsafePointer<Float>, outCount m: Int,
        delta d: UnsafePointer<Float>, weightsFinite: Bool
    ) {
        zeroFloats(dx, n)
        if weightsFinite {
            // Live rows only, gathered four at a time.
            var o = 0
            var r0 = 0, r1 = 0, r2 = 0, r3 = 0
            var k = 0
            while o < m {
                if d[o] != 0 {
                    switch k {
                    case 0: r0 = o
                    case 1: r1 = o
                    case 2: r2 = o
                    default: r3 = o
                    }
                    k += 1
                    if k == 4 {
                        addFourRows(dx, n, w, d, r0, r1, r2, r3)
                        k = 0
                    }
                }
                o += 1
            }
            if k > 0 { addOneRow(dx, n, w, d, r0) }
            if k > 1 { addOneRow(dx, n, w, d, r1) }
            if k > 2 { addOneRow(dx, n, w, d, r2) }
            return
        }
        var o = 0
        while o + 4 <= m {
            if d[o] == 0 && d[o + 1] == 0 && d[o + 2] == 0 && d[o + 3] == 0 {
                o += 4
                continue
            }
            addFourRows(dx, n, w, d, o, o + 1, o + 2, o + 3)
            o += 4
        }
        while o < m {
            if d[o] != 0 { addOneRow(dx, n, w, d, o) }
            o += 1
        }
    }

    /// dx[i] += δ_a·W[a, i] + δ_b·W[b, i] + δ_c·W[c, i] + δ_d·W[d, i], one FMA per term, in that order.
    @inline(__always)
    private static func addFourRows(
        _ dx: UnsafeMutablePointer<Float>, _ n: Int, _ w: UnsafePointer<Float>, _ d: UnsafePointer<Float>,
        _ a: Int, _ b: Int, _ c: Int, _ e: Int
    ) {
        let g0 = d[a], g1 = d[b], g2 = d[c], g3 = d[e]
        let s0 = splat(g0), s1 = splat(g1), s2 = splat(g2), s3 = splat(g3)
        let w0 = w + a * n, w1 = w + b * n, w2 = w + c * n, w3 = w + e * n
        let n8 = n & ~7
        var i = 0
        while i < n8 {
            var acc = load8(dx + i)
            acc = acc.addingProduct(s0, load8(w0 + i))
            acc = acc.addingProduct(s1, load8(w1 + i))
            acc = acc.addingProduct(s2, load8(w2 + i))
            acc = acc.addingProduct(s3, load8(w3 + i))
            store8(acc, dx + i)
            i += 8
        }
        while i < n {
            var acc = dx[i]
            acc = acc.addingProduct(g0, w0[i])
            acc = acc.addingProduct(g1, w1[i])
            acc = acc.addingProduct(g2, w2[i])
            acc = acc.addingProduct(g3, w3[i])
            dx[i] = acc
            i += 1
        }
    }

    /// dx[i] += δ_o·W[o, i].
    @inline(__always)
    private static func addOneRow(
        _ dx: UnsafeMutablePointer<Float>, _ n: Int, _ w: UnsafePointer<Float>, _ d: UnsafePointer<Float>, _ o: Int
    ) {
        let g = d[o]
        let s = splat(g)
        let wr = w + o * n
        let n8 = n & ~7
        var i = 0
        while i < n8 {
            store8(load8(dx + i).addingProduct(s, load8(wr + i)), dx + i)
            i += 8
        }
        while i < n {
            dx[i] = dx[i].addingProduct(g, wr[i])
            i += 1
        }
    }

    /// `dW[o, i] = Σ_b δ[b, o]·x[b, i]`, four rows × 16 columns per register block, batch inside.
    private static func linearWeightGradientBatch(
        x: UnsafePointer<Float>, batch: Int, inCount n: Int, outCount m: Int,
        delta d: UnsafePointer<Float>, weightGrad dw: UnsafeMutablePointer<Float>
    ) {
        var o = 0
        while o + 4 <= m {
            let r0 = dw + o * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n
            var i = 0
            while i + 16 <= n {
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                var e0 = SIMD8<Float>(), e1 = SIMD8<Float>(), e2 = SIMD8<Float>(), e3 = SIMD8<Float>()
                for b in 0..<batch {
                    let xb = x + b * n + i
                    let va = load8(xb), vb = load8(xb + 8)
                    let db = d + b * m + o
                    let s0 = splat(db[0]), s1 = splat(db[1]), s2 = splat(db[2]), s3 = splat(db[3])
                    a0 = a0.addingProduct(s0, va); e0 = e0.addingProduct(s0, vb)
                    a1 = a1.addingProduct(s1, va); e1 = e1.addingProduct(s1, vb)
                    a2 = a2.addingProduct(s2, va); e2 = e2.addingProduct(s2, vb)
                    a3 = a3.addingProduct(s3, va); e3 = e3.addingProduct(s3, vb)
                }
                store8(a0, r0 + i); store8(e0, r0 + i + 8)
                store8(a1, r1 + i); store8(e1, r1 + i + 8)
                store8(a2, r2 + i); store8(e2, r2 + i + 8)
                store8(a3, r3 + i); store8(e3, r3 + i + 8)
                i += 16
            }
            while i < n {
                var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                for b in 0..<batch {
                    let xv = x[b * n + i]
                    let db = d + b * m + o
                    s0 = s0.addingProduct(db[0], xv)
                    s1 = s1.addingProduct(db[1], xv)
                    s2 = s2.addingProduct(db[2], xv)
                    s3 = s3.addingProduct(db[3], xv)
                }
                r0[i] = s0; r1[i] = s1; r2[i] = s2; r3[i] = s3
                i += 1
            }
            o += 4
        }
        while o < m {
            let r = dw + o * n
            var i = 0
            while i + 8 <= n {
                var a = SIMD8<Float>()
                for b in 0..<batch {
                    a = a.addingProduct(splat(d[b * m + o]), load8(x + b * n + i))
                }
                store8(a, r + i)
                i += 8
            }
            while i < n {
                var s: Float = 0
                for b in 0..<batch { s = s.addingProduct(d[b * m + o], x[b * n + i]) }
                r[i] = s
                i += 1
            }
            o += 1
        }
    }

    /// `dx[b, i] = Σ_o δ[b, o]·W[o, i]`, sample by sample, four weight rows per pass.
    private static func linearInputGradientBatch(
        batch: Int, inCount n: Int, weight w: UnsafePointer<Float>, outCount m: Int,
        delta d: UnsafePointer<Float>, inputGrad dx: UnsafeMutablePointer<Float>, weightsFinite: Bool
    ) {
        for b in 0..<batch {
            inputGradientOneSample(dx: dx + b * n, inCount: n, weight: w, outCount: m, delta: d + b * m,
                                   weightsFinite: weightsFinite)
        }
    }

    /// `output[i] = input[i]²`.
    static func square(_ input: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count {
            let v = load8(input + i)
            store8(v * v, output + i)
            i += 8
        }
        while i < count {
            output[i] = input[i] * input[i]
            i += 1
        }
    }

    // MARK: - ReLU

    /// `v ← max(v, 0)` in place.
    static func reluForward(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let zero = SIMD8<Float>()
        while i + 8 <= count {
            let v = load8(values + i)
            store8(v.replacing(with: zero, where: v .< zero), values + i)
            i += 8
        }
        while i < count {
            if values[i] < 0 { values[i] = 0 }
            i += 1
        }
    }

    /// ReLU backward from the ReLU's output: `delta ← activation > 0 ? delta : 0` (PyTorch's convention: the
    /// gradient at exactly 0 is 0).
    static func reluBackward(
        delta: UnsafeMutablePointer<Float>, activation: UnsafePointer<Float>, count: Int
    ) {
        var i = 0
        let zero = SIMD8<Float>()
        while i + 8 <= count {
            let a = load8(activation + i)
            let g = load8(delta + i)
            store8(g.replacing(with: zero, where: a .<= zero), delta + i)
            i += 8
        }
        while i < count {
            if activation[i] <= 0 { delta[i] = 0 }
            i += 1
        }
    }

    // MARK: - Softmax cross-entropy

    /// Per-sample softmax cross-entropy with log-sum-exp stabilisation:
    /// `loss_b = log Σ_j exp(z_j − max z) − (z_y − max z)`; `prediction_b` = first index of the maximum logit.
    /// When `gradient` is given it receives `scale · (softmax(z) − onehot(y))`; when `hessianFactor` is given it
    /// receives `scale · p_j (1 − p_j)`. Returns Σ_b loss_b.
    static func softmaxCrossEntropy(
        logits: UnsafePointer<Float>, batch: Int, classes k: Int, labels: UnsafePointer<Int32>,
        losses: UnsafeMutablePointer<Float>, predictions: UnsafeMutablePointer<Int32>,
        gradient: UnsafeMutablePointer<Float>?, hessianFactor: UnsafeMutablePointer<Float>?, scale: Float
    ) -> Float {
        var total: Float = 0
        for b in 0..<batch {
            let z = logits + b * k
            var best = 0
            var maxValue = z[0]
            for j in 1..<k where z[j] > maxValue {
                maxValue = z[j]
                best = j
            }
            var sum: Float = 0
            for j in 0..<k { sum += exp(z[j] - maxValue) }
            let logSum = log(sum)
            let label = Int(labels[b])
            let loss = logSum - (z[label] - maxValue)
            losses[b] = loss
            predictions[b] = Int32(best)
            total += loss
            if gradient != nil || hessianFactor != nil {
                for j in 0..<k {
                    let p = exp((z[j] - maxValue) - logSum)
                    if let gradient { gradient[b * k + j] = scale * (j == label ? p - 1 : p) }
                    if let hessianFactor { hessianFactor[b * k + j] = scale * (p * (1 - p)) }
                }
            }
        }
        return total
    }

    // MARK: - 3×3 convolution, stride 1, zero padding 1 (as im2col + GEMM)

    /// im2col for a 3×3 kernel with padding 1: `col[(ci·3 + ky)·3 + kx, y·W + x] = in[ci, y + ky − 1, x + kx − 1]`
    /// (0 outside the image). Rows have stride `colStride` ≥ H·W; columns ≥ H·W are left untouched.
    static func im2col(
        input: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
        col: UnsafeMutablePointer<Float>, colStride: Int
    ) {
        let plane = h * w
        for ci in 0..<c {
            let source = input + ci * plane
            for ky in 0..<3 {
                let dy = ky - 1
                let yStart = max(0, -dy), yEnd = min(h, h - dy)
                for kx in 0..<3 {
                    let dx = kx - 1
                    let row = col + ((ci * 3 + ky) * 3 + kx) * colStride
                    // Rows outside the image are zero.
                    if yStart > 0 { zeroFloats(row, yStart * w) }
                    if yEnd < h { zeroFloats(row + yEnd * w, (h - yEnd) * w) }
                    // Valid rows: one contiguous shifted copy; the first (dx = −1) or last (dx = +1) element of each
                    // row wraps around to the neighbouring image row and is zeroed afterwards.
                    var begin = yStart * w, end = yEnd * w
                    if dx < 0 { begin += 1 }
                    if dx > 0 { end -= 1 }
                    if end > begin {
                        copyFloats(row + begin, source + begin + dy * w + dx, end - begin)
                    }
                    if dx != 0 {
                        let column = dx < 0 ? 0 : w - 1
                        var y = yStart
                        while y < yEnd {
                            row[y * w + column] = 0
                            y += 1
                        }
                    }
                }
            }
        }
    }

    /// Pixels per register block of `convForwardGemm`.
    static let gemmPixelBlock = 24

    /// Row stride of the im2col and pre-activation buffers for `pixels` pixels: a multiple of the GEMM's 24-pixel
    /// block, nudged off multiples of 64 floats (256 bytes) so that consecutive rows do not all map to the same L1
    /// sets (4 KiB aliasing at 32×32 = 1024 pixels).
    static func convColumnStride(pixels: Int) -> Int {
        let rounded = (pixels + gemmPixelBlock - 1) / gemmPixelBlock * gemmPixelBlock
        return rounded % 64 == 0 ? rounded + gemmPixelBlock : rounded
    }

    /// `out[o, p] = bias[o] + Σ_k weight[o, k]·col[k, p]` for o < m, p < n, accumulated from the bias in
    /// ascending k with one FMA per term. Requires m % 4 == 0, n % 24 == 0; `col` and `out` have row stride n.
    /// Register block: 4 output channels × 24 pixels (12 accumulators, enough independent FMA chains to cover
    /// the FMA latency on both pipes).
    static func convForwardGemm(
        weight w: UnsafePointer<Float>, bias: UnsafePointer<Float>, outChannels m: Int, depth k: Int,
        col: UnsafePointer<Float>, columns n: Int, out: UnsafeMutablePointer<Float>
    ) {
        precondition(m % 4 == 0 && n % gemmPixelBlock == 0)
        var p = 0
        while p < n {
            var o = 0
            while o < m {
                let w0 = w + o * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k
                let b0 = splat(bias[o]), b1 = splat(bias[o + 1]), b2 = splat(bias[o + 2]), b3 = splat(bias[o + 3])
                var a00 = b0, a01 = b0, a02 = b0, a10 = b1, a11 = b1, a12 = b1
                var a20 = b2, a21 = b2, a22 = b2, a30 = b3, a31 = b3, a32 = b3
                var c = col + p
                for kk in 0..<k {
                    let v0 = load8(c), v1 = load8(c + 8), v2 = load8(c + 16)
                    let s0 = splat(w0[kk])
                    a00 = a00.addingProduct(s0, v0); a01 = a01.addingProduct(s0, v1); a02 = a02.addingProduct(s0, v2)
                    let s1 = splat(w1[kk])
                    a10 = a10.addingProduct(s1, v0); a11 = a11.addingProduct(s1, v1); a12 = a12.addingProduct(s1, v2)
                    let s2 = splat(w2[kk])
                    a20 = a20.addingProduct(s2, v0); a21 = a21.addingProduct(s2, v1); a22 = a22.addingProduct(s2, v2)
                    let s3 = splat(w3[kk])
                    a30 = a30.addingProduct(s3, v0); a31 = a31.addingProduct(s3, v1); a32 = a32.addingProduct(s3, v2)
                    c += n
                }
                let r = out + o * n + p
                store8(a00, r); store8(a01, r + 8); store8(a02, r + 16)
                store8(a10, r + n); store8(a11, r + n + 8); store8(a12, r + n + 16)
                store8(a20, r + 2 * n); store8(a21, r + 2 * n + 8); store8(a22, r + 2 * n + 16)
                store8(a30, r + 3 * n); store8(a31, r + 3 * n + 8); store8(a32, r + 3 * n + 16)
                o += 4
            }
            p += gemmPixelBlock
        }
    }

    // MARK: - 3×3 convolution backward, driven by the non-zero output gradients
    //
    // Behind ReLU + 2×2 max-pooling at most one output in four (and in practice about one in eight) has a
    // non-zero gradient, so the backward pass visits only those outputs. For each, the nine taps of a 3×3 window
    // are three contiguous runs of 3·C' floats when the input is stored channel-last with a zero border
    // ("padded HWC", C' = channels rounded up to a multiple of 8), so each tap row is a few SIMD8 FMAs.

    /// CHW → zero-padded HWC: `out[((y+1)·(W+2) + x+1)·cp + c] = in[c, y, x]`. Writes only interior pixels and
    /// channels < `channels`; the border and the padding channels must be zero already (and stay zero).
    static func toPaddedHWC(
        _ input: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int, paddedChannels cp: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        forEachPaddedHWCRow(channels: c, height: h, width: w, paddedChannels: cp) { chw, padded in
            copyStrided(input + chw, stride: 1, to: output + padded, stride: cp, count: w)
        }
    }

    /// Zero-padded HWC → CHW (interior pixels, channels < `channels`).
    static func fromPaddedHWC(
        _ input: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int, paddedChannels cp: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        forEachPaddedHWCRow(channels: c, height: h, width: w, paddedChannels: cp) { chw, padded in
            copyStrided(input + padded, stride: cp, to: output + chw, stride: 1, count: w)
        }
    }

    /// `count` floats from `source` to `target`, the k-th `sourceStride`·k and `targetStride`·k floats in.
    @inline(__always)
    private static func copyStrided(_ source: UnsafePointer<Float>, stride sourceStride: Int,
                                    to target: UnsafeMutablePointer<Float>, stride targetStride: Int, count: Int) {
        var source = source, target = target
        for _ in 0..<count {
            target[0] = source[0]
            source += sourceStride
            target += targetStride
        }
    }

    /// Calls `row(chw, padded)` for every (channel, image row): the offset of the row's first pixel in the CHW
    /// layout and in the zero-padded HWC layout (whose pixels are `cp` floats apart).
    @inline(__always)
    private static func forEachPaddedHWCRow(
        channels c: Int, height h: Int, width w: Int, paddedChannels cp: Int, _ row: (Int, Int) -> Void
    ) {
        let rowStride = (w + 2) * cp
        for ci in 0..<c {
            for y in 0..<h { row(ci * h * w + y * w, (y + 1) * rowStride + cp + ci) }
        }
    }

    /// Conv weights [m][c][3][3] → tap-major [m][3][3][cp] (channels ≥ c left untouched, i.e. zero).
    static func permuteConvWeights(
        _ weight: UnsafePointer<Float>, outChannels m: Int, inChannels c: Int, paddedChannels cp: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        for o in 0..<m {
            for ci in 0..<c {
                let source = weight + (o * c + ci) * 9
                let target = output + o * 9 * cp + ci
                for t in 0..<9 { target[t * cp] = source[t] }
            }
        }
    }

    /// Inverse of `permuteConvWeights` (overwrites `output` [m][c][3][3]).
    static func unpermuteConvWeights(
        _ permuted: UnsafePointer<Float>, outChannels m: Int, inChannels c: Int, paddedChannels cp: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        for o in 0..<m {
            for ci in 0..<c {
                let source = permuted + o * 9 * cp + ci
                let target = output + (o * c + ci) * 9
                for t in 0..<9 { target[t] = source[t * cp] }
            }
        }
    }

    /// Backward of a 3×3 convolution (stride 1, zero padding 1) for one sample, driven by lists of the outputs
    /// with a (possibly) non-zero gradient. For output channel `o`, entries `e < counts[o]` at
    /// `o·listStride + e` give `positions` = y·(W+2) + x of the output pixel (y, x) — the top-left tap of its
    /// window in the zero-bordered input — and `values` = ∂L/∂out[o, y, x]. Accumulates:
    /// - `weightGradPermuted[o][ky][kx][c] += Σ_e g_e · in[c, y+ky−1, x+kx−1]` (tap-major layout),
    /// - `biasGrad[o] += Σ_e g_e`,
    /// - if `inputGradHWC` is given: `inputGradHWC[(y+ky)·(W+2) + x+kx][c] += g_e · W[o][ky][kx][c]` (padded HWC;
    ///   the border collects the contributions of the zero padding and is to be ignored).
    /// `inputHWC` is the input in padded HWC; `weightsPermuted` the weights in tap-major layout. Entries are
    /// visited in list order, so the summation order is fixed.
    static func convBackwardSparse(
        positions: UnsafePointer<Int32>, values: UnsafePointer<Float>, counts: UnsafePointer<Int32>, listStride: Int,
        outChannels m: Int, width w: Int, paddedChannels cp: Int,
        inputHWC: UnsafePointer<Float>, weightGradPermuted dwp: UnsafeMutablePointer<Float>,
        biasGrad db: UnsafeMutablePointer<Float>,
        weightsPermuted wp: UnsafePointer<Float>?, inputGradHWC dih: UnsafeMutablePointer<Float>?
    ) {
        let rowStride = (w &+ 2) &* cp
        let span = 3 &* cp  // one row of three taps, all channels
        for o in 0..<m {
            let count = Int(counts[o])
            let position = positions + o &* listStride
            let value = values + o &* listStride
            let dwo = dwp + o &* 9 &* cp
            var biasSum: Float = 0
            for e in 0..<count { biasSum += value[e] }
            db[o] += biasSum
            if cp == 8 {
                // All nine taps × 8 channels in nine registers.
                var a0 = load8(dwo), a1 = load8(dwo + 8), a2 = load8(dwo + 16)
                var a3 = load8(dwo + 24), a4 = load8(dwo + 32), a5 = load8(dwo + 40)
                var a6 = load8(dwo + 48), a7 = load8(dwo + 56), a8 = load8(dwo + 64)
                for e in 0..<count {
                    let s = splat(value[e])
                    let r0 = inputHWC + Int(position[e]) &* 8, r1 = r0 + rowStride, r2 = r1 + rowStride
                    a0 = a0.addingProduct(s, load8(r0)); a1 = a1.addingProduct(s, load8(r0 + 8))
                    a2 = a2.addingProduct(s, load8(r0 + 16)); a3 = a3.addingProduct(s, load8(r1))
                    a4 = a4.addingProduct(s, load8(r1 + 8)); a5 = a5.addingProduct(s, load8(r1 + 16))
                    a6 = a6.addingProduct(s, load8(r2)); a7 = a7.addingProduct(s, load8(r2 + 8))
                    a8 = a8.addingProduct(s, load8(r2 + 16))
                }
                store8(a0, dwo); store8(a1, dwo + 8); store8(a2, dwo + 16)
                store8(a3, dwo + 24); store8(a4, dwo + 32); store8(a5, dwo + 40)
                store8(a6, dwo + 48); store8(a7, dwo + 56); store8(a8, dwo + 64)
            } else if cp == 16 {
                // One tap row (3 taps × 16 channels) in six registers per pass.
                for ky in 0..<3 {
                    let t = dwo + ky &* 48
                    var a0 = load8(t), a1 = load8(t + 8), a2 = load8(t + 16)
                    var a3 = load8(t + 24), a4 = load8(t + 32), a5 = load8(t + 40)
                    let rowBase = inputHWC + ky &* rowStride
                    for e in 0..<count {
                        let s = splat(value[e])
                        let r = rowBase + Int(position[e]) &* 16
                        a0 = a0.addingProduct(s, load8(r)); a1 = a1.addingProduct(s, load8(r + 8))
                        a2 = a2.addingProduct(s, load8(r + 16)); a3 = a3.addingProduct(s, load8(r + 24))
                        a4 = a4.addingProduct(s, load8(r + 32)); a5 = a5.addingProduct(s, load8(r + 40))
                    }
                    store8(a0, t); store8(a1, t + 8); store8(a2, t + 16)
                    store8(a3, t + 24); store8(a4, t + 32); store8(a5, t + 40)
                }
            } else {
                for e in 0..<count {
                    accumulateWindow(splat(value[e]), into: dwo, rowStride: span,
                                     from: inputHWC + Int(position[e]) &* cp, rowStride: rowStride, span: span)
                }
            }
            guard let wp, let dih else { continue }
            let wpo = wp + o &* 9 &* cp
            for e in 0..<count {
                accumulateWindow(splat(value[e]), into: dih + Int(position[e]) &* cp, rowStride: rowStride,
                                 from: wpo, rowStride: span, span: span)
            }
        }
    }

    /// `target[r][i] += s · source[r][i]` over the three rows r of a 3×3 window (rows `span` floats wide, a
    /// multiple of 8) whose rows lie `targetRowStride` and `sourceRowStride` floats apart.
    @inline(__always)
    static func accumulateWindow(
        _ s: SIMD8<Float>, into target: UnsafeMutablePointer<Float>, rowStride targetRowStride: Int,
        from source: UnsafePointer<Float>, rowStride sourceRowStride: Int, span: Int
    ) {
        var target = target, source = source
        for _ in 0..<3 {
            var i = 0
            while i < span {
                store8(load8(target + i).addingProduct(s, load8(source + i)), target + i)
                i &+= 8
            }
            source += sourceRowStride
            target += targetRowStride
        }
    }

    // MARK: - ReLU followed by 2×2 max-pooling (stride 2)

    /// ReLU of the maximum of four 2×2-window taps per lane (top-left, top-right, bottom-left, bottom-right) and the
    /// flat index of the winning tap: `base` for top-left, +1, +rowStep, +rowStep+1 (the first maximum wins ties).
    /// Concrete SIMD8 types on purpose: generic SIMD code misses the standard library's vector fast paths.
    @inline(__always)
    static func maxPoolWindows(
        _ a0: SIMD8<Float>, _ a1: SIMD8<Float>, _ a2: SIMD8<Float>, _ a3: SIMD8<Float>, base: SIMD8<Int32>, rowStep: Int32
    ) -> (SIMD8<Float>, SIMD8<Int32>) {
        var value = a0
        var index = base
        var mask = a1 .> value
        value.replace(with: a1, where: mask)
        index.replace(with: base &+ 1, where: mask)
        mask = a2 .> value
        value.replace(with: a2, where: mask)
        index.replace(with: base &+ rowStep, where: mask)
        mask = a3 .> value
        value.replace(with: a3, where: mask)
        index.replace(with: base &+ (rowStep + 1), where: mask)
        value.replace(with: SIMD8<Float>(), where: value .<= SIMD8<Float>())
        return (value, index)
    }
    /// `pooled[c, py, px] = max(0, max of raw[c, 2py..2py+1, 2px..2px+1])`; `argmax` stores the position
    /// y·(W+2) + x of the first maximal raw value (window scanned row by row, as PyTorch), i.e. the top-left tap of
    /// that pixel's 3×3 window in a zero-bordered (W+2)-wide plane (see `convBackwardSparse`). `raw` planes have
    /// stride `rawStride`.
    static func reluMaxPoolForward(
        raw: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int, rawStride: Int,
        pooled: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>
    ) {
        let ph = h / 2, pw = w / 2
        let lane = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        let lane4 = SIMD4<Int32>(0, 2, 4, 6)
        let w32 = Int32(w)
        for ci in 0..<c {
            let plane = raw + ci * rawStride
            let out = pooled + ci * ph * pw
            let arg = argmax + ci * ph * pw
            for py in 0..<ph {
                let row0 = plane + 2 * py * w, row1 = row0 + w
                let rowBase = Int32(2 * py * (w + 2))
                if pw >= 8 {
                    // Eight windows at a time (deinterleave even/odd columns of two rows); the last block is
                    // shifted left to end at the row's end, recomputing some windows with identical results.
                    var px = 0
                    while true {
                        let start = min(px, pw - 8)
                        let r0 = UnsafeRawPointer(row0 + 2 * start).loadUnaligned(as: SIMD16<Float>.self)
                        let r1 = UnsafeRawPointer(row1 + 2 * start).loadUnaligned(as: SIMD16<Float>.self)
                        let a0 = r0.evenHalf, a1 = r0.oddHalf, a2 = r1.evenHalf, a3 = r1.oddHalf
                        let base = lane &+ (rowBase &+ Int32(2 * start))
                        let (value, index) = maxPoolWindows(a0, a1, a2, a3, base: base, rowStep: w32 + 2)
                        store8(value, out + py * pw + start)
                        UnsafeMutableRawPointer(arg + py * pw + start).storeBytes(of: index, as: SIMD8<Int32>.self)
                        if start == pw - 8 { break }
                        px += 8
                    }
                } else if pw >= 4 {
                    // Four windows at a time, same scheme.
                    var px = 0
                    while true {
                        let start = min(px, pw - 4)
                        let r0 = load8(row0 + 2 * start), r1 = load8(row1 + 2 * start)
                        // The eight-lane kernel on four windows (upper lanes zero, results discarded).
                        func widen(_ v: SIMD4<Float>) -> SIMD8<Float> { SIMD8(lowHalf: v, highHalf: SIMD4()) }
                        let base4 = lane4 &+ (rowBase &+ Int32(2 * start))
                        let (value8, index8) = maxPoolWindows(widen(r0.evenHalf), widen(r0.oddHalf), widen(r1.evenHalf),
                                                              widen(r1.oddHalf), base: SIMD8(lowHalf: base4, highHalf: base4),
                                                              rowStep: w32 + 2)
                        let value = value8.lowHalf, index = index8.lowHalf
                        UnsafeMutableRawPointer(out + py * pw + start).storeBytes(of: value, as: SIMD4<Float>.self)
                        UnsafeMutableRawPointer(arg + py * pw + start).storeBytes(of: index, as: SIMD4<Int32>.self)
                        if start == pw - 4 { break }
                        px += 4
                    }
                } else {
                    for px in 0..<pw {
                        let i0 = 2 * py * w + 2 * px
                        let p0 = 2 * py * (w + 2) + 2 * px
                        var best = p0
                        var value = plane[i0]
                        if plane[i0 + 1] > value { value = plane[i0 + 1]; best = p0 + 1 }
                        if plane[i0 + w] > value { value = plane[i0 + w]; best = p0 + w + 2 }
                        if plane[i0 + w + 1] > value { value = plane[i0 + w + 1]; best = p0 + w + 3 }
                        out[py * pw + px] = value > 0 ? value : 0
                        arg[py * pw + px] = Int32(best)
                    }
                }
            }
        }
    }

    /// Backward of `reluMaxPoolForward` as lists for `convBackwardSparse`: for each channel, the windows whose
    /// pooled value is positive (ReLU active), in window order, with their argmax position and `dPooled`
    /// (`positions`/`values` at `c·q + e`, `e < counts[c]`, q = pooled windows per channel). Windows with a pooled
    /// value of 0 pass no gradient. Branch-free compaction (the positive/zero pattern is unpredictable).
    static func gatherPooledGradients(
        dPooled: UnsafePointer<Float>, pooled: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
        channels c: Int, windows q: Int,
        positions: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>, counts: UnsafeMutablePointer<Int32>
    ) {
        for ci in 0..<c {
            let base = ci &* q
            var n = base
            for j in base..<(base &+ q) {
                positions[n] = argmax[j]
                values[n] = dPooled[j]
                // Pooled values are +0 or positive (ReLU), so "positive" is "bit pattern non-zero":
                // (b | −b) has its top bit set exactly when b ≠ 0. No branch.
                let bits = pooled[j].bitPattern
                n &+= Int((bits | (0 &- bits)) >> 31)
            }
            counts[ci] = Int32(n &- base)
        }
    }
}
