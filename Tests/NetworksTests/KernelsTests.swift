import Foundation
import Testing
@testable import Networks

// Layer-level checks of the hand-written kernels: forward values against plain Double loops, backward passes
// against central finite differences of L = Σ r ⊙ layer(x) for a random cotangent r. Linear and convolution
// layers are linear in each argument, so central differences are exact up to rounding; ReLU and max-pool inputs
// are kept away from kinks by a margin larger than the step.

/// Runs `linearForward` on arrays.
private func linearForward(_ x: [Float], batch: Int, _ w: [Float], _ b: [Float], out m: Int) -> [Float] {
    let n = x.count / batch
    let (xs, ws, bs) = (Scratch(x), Scratch(w), Scratch(b))
    let y = Scratch(repeating: Float.nan, count: batch * m)
    Kernels.linearForward(
        x: xs.pointer, batch: batch, inCount: n, weight: ws.pointer, bias: bs.pointer, outCount: m, y: y.pointer)
    return y.array
}

private func dotDouble(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

private func expectClose(
    _ analytic: Float, _ reference: Double, tolerance: Double, _ what: @autoclosure () -> String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let error = abs(Double(analytic) - reference)
    #expect(error <= tolerance, "\(what()): analytic \(analytic), reference \(reference)", sourceLocation: sourceLocation)
}

struct LinearLayerTests {
    /// Sizes chosen to hit every code path: tails of 8 and 16 columns, a remainder of 4 rows, batch 1 (outer
    /// product path), batch 2 (paired samples) and batch 3 (pair + single).
    static let cases: [(inputs: Int, outputs: Int, batch: Int)] = [
        (5, 3, 1), (21, 7, 1), (40, 8, 1), (21, 7, 2), (21, 7, 3), (40, 9, 3), (16, 4, 5),
    ]

    @Test("linear forward equals y = Wx + b computed in Double", arguments: cases)
    func forwardMatchesPlainLoops(inputs n: Int, outputs m: Int, batch: Int) {
        var rng = TestRNG(seed: UInt64(n * 100 + m * 10 + batch))
        let x = rng.uniforms(batch * n, -1, 1), w = rng.uniforms(m * n, -1, 1), b = rng.uniforms(m, -1, 1)
        let y = linearForward(x, batch: batch, w, b, out: m)
        for s in 0..<batch {
            for o in 0..<m {
                var reference = Double(b[o])
                for i in 0..<n { reference += Double(w[o * n + i]) * Double(x[s * n + i]) }
                expectClose(y[s * m + o], reference, tolerance: 1e-5, "y[\(s), \(o)]")
            }
        }
    }

    @Test("linear backward (dW, db, dx) matches central differences of Σ r·y", arguments: cases)
    func backwardMatchesFiniteDifferences(inputs n: Int, outputs m: Int, batch: Int) {
        var rng = TestRNG(seed: UInt64(7 + n * 100 + m * 10 + batch))
        let x = rng.uniforms(batch * n, -1, 1), w = rng.uniforms(m * n, -1, 1), b = rng.uniforms(m, -1, 1)
        var r = rng.uniforms(batch * m, -1, 1)
        // A block of four zero deltas exercises the dead-ReLU shortcut.
        if m >= 4 { for o in 0..<4 { r[o] = 0 } }
        let dwS = Scratch(repeating: Float.nan, count: m * n), dbS = Scratch(repeating: Float.nan, count: m)
        let dxS = Scratch(repeating: Float.nan, count: batch * n)
        let (xs, ws, rs) = (Scratch(x), Scratch(w), Scratch(r))
        Kernels.linearBackward(
            x: xs.pointer, batch: batch, inCount: n, weight: ws.pointer, outCount: m, delta: rs.pointer,
            weightGrad: dwS.pointer, biasGrad: dbS.pointer, inputGrad: dxS.pointer)
        let (dw, db, dx) = (dwS.array, dbS.array, dxS.array)
        func loss(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double { dotDouble(r, linearForward(x, batch: batch, w, b, out: m)) }
        let h: Float = 0.5
        for j in 0..<(m * n) {
            var plus = w, minus = w
            plus[j] += h; minus[j] -= h
            expectClose(dw[j], (loss(x, plus, b) - loss(x, minus, b)) / Double(2 * h), tolerance: 1e-4, "dW[\(j)]")
        }
        for j in 0..<m {
            var plus = b, minus = b
            plus[j] += h; minus[j] -= h
            expectClose(db[j], (loss(x, w, plus) - loss(x, w, minus)) / Double(2 * h), tolerance: 1e-4, "db[\(j)]")
        }
        for j in 0..<(batch * n) {
            var plus = x, minus = x
            plus[j] += h; minus[j] -= h
            expectClose(dx[j], (loss(plus, w, b) - loss(minus, w, b)) / Double(2 * h), tolerance: 1e-4, "dx[\(j)]")
        }
    }
}

struct ReLUTests {
    @Test("ReLU forward is max(x, 0) and its backward matches central differences away from 0")
    func reluForwardBackward() {
        var rng = TestRNG(seed: 11)
        // Values with |x| ≥ 0.1 (kinks farther than the step), 19 of them to cover the SIMD tail.
        var x = rng.uniforms(19, 0.1, 1).map { rng.next() & 1 == 0 ? $0 : -$0 }
        x[3] = 0  // exactly at the kink: PyTorch's ReLU gradient there is 0
        let r = rng.uniforms(19, -1, 1)
        func relu(_ v: [Float]) -> [Float] {
            let out = Scratch(v)
            Kernels.reluForward(out.pointer, count: v.count)
            return out.array
        }
        let y = relu(x)
        for i in 0..<x.count { #expect(y[i] == max(x[i], 0)) }
        let deltaS = Scratch(r), yS = Scratch(y)
        Kernels.reluBackward(delta: deltaS.pointer, activation: yS.pointer, count: x.count)
        let delta = deltaS.array
        #expect(delta[3] == 0)
        let h: Float = 0.01
        for i in 0..<x.count where i != 3 {
            var plus = x, minus = x
            plus[i] += h; minus[i] -= h
            let fd = (dotDouble(r, relu(plus)) - dotDouble(r, relu(minus))) / Double(2 * h)
            expectClose(delta[i], fd, tolerance: 1e-5, "dReLU[\(i)]")
        }
    }
}

/// Convolution = im2col + GEMM, run exactly as `ConvStage` does (padded column stride).
private struct ConvHarness {
    let inChannels: Int, outChannels: Int, height: Int, width: Int
    var depth: Int { inChannels * 9 }
    var pixels: Int { height * width }
    // Extra padding on purpose: padded columns must not leak.
    var columns: Int { Kernels.convColumnStride(pixels: pixels) + Kernels.gemmPixelBlock }

    func forward(_ x: [Float], _ w: [Float], _ b: [Float]) -> [Float] {
        let col = Scratch(repeating: Float(0), count: depth * columns)
        let raw = Scratch(repeating: Float.nan, count: outChannels * columns)
        let (xs, ws, bs) = (Scratch(x), Scratch(w), Scratch(b))
        Kernels.im2col(input: xs.pointer, channels: inChannels, height: height, width: width, col: col.pointer, colStride: columns)
        Kernels.convForwardGemm(
            weight: ws.pointer, bias: bs.pointer, outChannels: outChannels, depth: depth, col: col.pointer,
            columns: columns, out: raw.pointer)
        let all = raw.array
        var y: [Float] = []
        for o in 0..<outChannels { y += all[(o * columns)..<(o * columns + pixels)] }
        return y
    }

    var paddedChannels: Int { (inChannels + 7) & ~7 }

    /// Gradients of Σ r ⊙ conv(x) given r [out][H·W], through the channel-last backward kernel as `ConvStage`
    /// runs it (padded buffers start at zero, as the stage's border and padding channels are).
    func backward(_ x: [Float], _ w: [Float], _ r: [Float]) -> (dw: [Float], db: [Float], dx: [Float]) {
        let cp = paddedChannels
        let padded = (height + 2) * (width + 2) * cp
        let inputHWC = Scratch(repeating: Float(0), count: padded)
        let dInputHWC = Scratch(repeating: Float(0), count: padded)
        let weights = Scratch(repeating: Float(0), count: outChannels * 9 * cp)
        let dWeights = Scratch(repeating: Float(0), count: outChannels * 9 * cp)
        let dw = Scratch(repeating: Float.nan, count: outChannels * depth)
        let db = Scratch(repeating: Float(0), count: outChannels)
        let dx = Scratch(repeating: Float.nan, count: inChannels * pixels)
        let (xs, ws) = (Scratch(x), Scratch(w))
        Kernels.toPaddedHWC(xs.pointer, channels: inChannels, height: height, width: width, paddedChannels: cp, output: inputHWC.pointer)
        Kernels.permuteConvWeights(ws.pointer, outChannels: outChannels, inChannels: inChannels, paddedChannels: cp, output: weights.pointer)
        // Gradient lists: every non-zero output, position y·(W+2) + x.
        let positions = Scratch(repeating: Int32(-1), count: outChannels * pixels)
        let values = Scratch(repeating: Float.nan, count: outChannels * pixels)
        let counts = Scratch(repeating: Int32(0), count: outChannels)
        for o in 0..<outChannels {
            for y in 0..<height {
                for x in 0..<width where r[(o * height + y) * width + x] != 0 {
                    let e = Int(counts.buffer[o])
                    positions.buffer[o * pixels + e] = Int32(y * (width + 2) + x)
                    values.buffer[o * pixels + e] = r[(o * height + y) * width + x]
                    counts.buffer[o] += 1
                }
            }
        }
        Kernels.convBackwardSparse(
            positions: positions.pointer, values: values.pointer, counts: counts.pointer, listStride: pixels,
            outChannels: outChannels, width: width, paddedChannels: cp,
            inputHWC: inputHWC.pointer, weightGradPermuted: dWeights.pointer, biasGrad: db.pointer,
            weightsPermuted: weights.pointer, inputGradHWC: dInputHWC.pointer)
        Kernels.unpermuteConvWeights(dWeights.pointer, outChannels: outChannels, inChannels: inChannels, paddedChannels: cp, output: dw.pointer)
        Kernels.fromPaddedHWC(dInputHWC.pointer, channels: inChannels, height: height, width: width, paddedChannels: cp, output: dx.pointer)
        return (dw.array, db.array, dx.array)
    }
}

struct ConvolutionTests {
    @Test("conv 3×3 pad 1 on a 1×4×4 input equals a plain-loop convolution")
    func tinyConvolutionMatchesPlainLoops() {
        let conv = ConvHarness(inChannels: 1, outChannels: 4, height: 4, width: 4)
        let x: [Float] = (0..<16).map { Float($0) - 7.5 }
        var rng = TestRNG(seed: 3)
        let w = rng.uniforms(4 * 9, -1, 1), b = rng.uniforms(4, -1, 1)
        let y = conv.forward(x, w, b)
        // Hand loops: out[o, r, c] = b[o] + Σ_{ky,kx} w[o, 0, ky, kx]·x[r+ky−1, c+kx−1] (zero outside).
        for o in 0..<4 {
            for r in 0..<4 {
                for c in 0..<4 {
                    var s = Double(b[o])
                    for ky in 0..<3 {
                        for kx in 0..<3 {
                            let (rr, cc) = (r + ky - 1, c + kx - 1)
                            guard (0..<4).contains(rr), (0..<4).contains(cc) else { continue }
                            s += Double(w[o * 9 + ky * 3 + kx]) * Double(x[rr * 4 + cc])
                        }
                    }
                    expectClose(y[(o * 4 + r) * 4 + c], s, tolerance: 1e-5, "out[\(o), \(r), \(c)]")
                }
            }
        }
    }

    @Test("conv forward with an exact hand-computed value: all-ones 3×3 kernel sums each 3×3 neighbourhood")
    func onesKernelSumsNeighbourhood() {
        let conv = ConvHarness(inChannels: 1, outChannels: 4, height: 4, width: 4)
        let x: [Float] = (1...16).map(Float.init)  // rows 1 2 3 4 / 5 6 7 8 / 9 10 11 12 / 13 14 15 16
        var w = [Float](repeating: 0, count: 36)
        for j in 0..<9 { w[j] = 1 }
        let y = conv.forward(x, w, [0.5, 0, 0, 0])
        // Corner (0,0): 1+2+5+6 = 14; (1,1): 1+2+3+5+6+7+9+10+11 = 54; (3,3): 11+12+15+16 = 54; (0,3): 3+4+7+8 = 22.
        #expect(y[0] == 14.5)
        #expect(y[5] == 54.5)
        #expect(y[15] == 54.5)
        #expect(y[3] == 22.5)
        #expect(y[16..<64].allSatisfy { $0 == 0 })
    }

    static let shapes: [(inChannels: Int, outChannels: Int, height: Int, width: Int)] = [
        (1, 4, 4, 4), (2, 4, 6, 6), (3, 8, 5, 7), (2, 4, 8, 16),
    ]

    @Test("conv forward equals a direct Double convolution", arguments: shapes)
    func forwardMatchesDirectConvolution(inChannels: Int, outChannels: Int, height: Int, width: Int) {
        let conv = ConvHarness(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        var rng = TestRNG(seed: UInt64(inChannels * 1000 + height * 10 + width))
        let x = rng.uniforms(inChannels * height * width, -1, 1)
        let w = rng.uniforms(outChannels * inChannels * 9, -1, 1), b = rng.uniforms(outChannels, -1, 1)
        let y = conv.forward(x, w, b)
        let reference = referenceConv3x3(
            weight: w.map(Double.init), bias: b.map(Double.init), x.map(Double.init),
            inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        for i in 0..<y.count { expectClose(y[i], reference[i], tolerance: 1e-5, "out[\(i)]") }
    }

    static let backwardCases: [(inChannels: Int, outChannels: Int, height: Int, width: Int, sparse: Bool)] = [
        (1, 4, 4, 4, false), (2, 4, 6, 6, false), (3, 8, 5, 7, false), (2, 4, 8, 16, false), (16, 4, 4, 10, false),
        (3, 4, 8, 16, true), (16, 8, 6, 6, true), (20, 4, 4, 6, true),
    ]

    @Test("conv backward (dW, db, dx) matches central differences, for dense and mostly-zero output gradients",
          arguments: backwardCases)
    func backwardMatchesFiniteDifferences(inChannels: Int, outChannels: Int, height: Int, width: Int, sparse: Bool) {
        let conv = ConvHarness(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        var rng = TestRNG(seed: UInt64(99 + inChannels * 1000 + height * 10 + width))
        let x = rng.uniforms(inChannels * height * width, -1, 1)
        let w = rng.uniforms(outChannels * inChannels * 9, -1, 1), b = rng.uniforms(outChannels, -1, 1)
        // Sparse: about one output in eight non-zero, as behind ReLU + max-pool.
        let r = rng.uniforms(outChannels * height * width, -1, 1).map { sparse && rng.index(8) != 0 ? 0 : $0 }
        let (dw, db, dx) = conv.backward(x, w, r)
        func loss(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double { dotDouble(r, conv.forward(x, w, b)) }
        let h: Float = 0.5
        for j in 0..<w.count {
            var plus = w, minus = w
            plus[j] += h; minus[j] -= h
            expectClose(dw[j], (loss(x, plus, b) - loss(x, minus, b)) / Double(2 * h), tolerance: 2e-4, "dW[\(j)]")
        }
        for j in 0..<b.count {
            var plus = b, minus = b
            plus[j] += h; minus[j] -= h
            expectClose(db[j], (loss(x, w, plus) - loss(x, w, minus)) / Double(2 * h), tolerance: 2e-4, "db[\(j)]")
        }
        for j in 0..<x.count {
            var plus = x, minus = x
            plus[j] += h; minus[j] -= h
            expectClose(dx[j], (loss(plus, w, b) - loss(minus, w, b)) / Double(2 * h), tolerance: 2e-4, "dx[\(j)]")
        }
    }
}

/// ReLU + 2×2 max-pool as `ConvStage` runs it (planes with a padded stride).
private func reluMaxPool(_ raw: [Float], channels: Int, height: Int, width: Int) -> (pooled: [Float], argmax: [Int32]) {
    let stride = height * width + 8
    let padded = Scratch(repeating: Float(1e9), count: channels * stride)  // padding must never be read
    for c in 0..<channels {
        for p in 0..<(height * width) { padded.buffer[c * stride + p] = raw[c * height * width + p] }
    }
    let q = channels * (height / 2) * (width / 2)
    let pooled = Scratch(repeating: Float.nan, count: q)
    let argmax = Scratch(repeating: Int32(-1), count: q)
    Kernels.reluMaxPoolForward(
        raw: padded.pointer, channels: channels, height: height, width: width, rawStride: stride,
        pooled: pooled.pointer, argmax: argmax.pointer)
    return (pooled.array, argmax.array)
}

/// Gradient with respect to the raw (pre-ReLU) values: the per-channel lists of `gatherPooledGradients`
/// scattered back to dense CHW. Positions are y·(W+2) + x.
private func reluMaxPoolGradient(
    _ dPooled: [Float], pooled: [Float], argmax: [Int32], channels: Int, height: Int, width: Int
) -> [Float] {
    let q = (height / 2) * (width / 2)
    let positions = Scratch(repeating: Int32(-1), count: channels * q)
    let values = Scratch(repeating: Float.nan, count: channels * q)
    let counts = Scratch(repeating: Int32(-1), count: channels)
    let (dp, pp, ap) = (Scratch(dPooled), Scratch(pooled), Scratch(argmax))
    Kernels.gatherPooledGradients(
        dPooled: dp.pointer, pooled: pp.pointer, argmax: ap.pointer, channels: channels, windows: q,
        positions: positions.pointer, values: values.pointer, counts: counts.pointer)
    var out = [Float](repeating: 0, count: channels * height * width)
    for c in 0..<channels {
        for e in 0..<Int(counts.buffer[c]) {
            let position = Int(positions.buffer[c * q + e])
            let (y, x) = (position / (width + 2), position % (width + 2))
            #expect(y < height && x < width)
            out[(c * height + y) * width + x] += values.buffer[c * q + e]
        }
    }
    return out
}

struct MaxPoolTests {
    /// Pooled widths 2 (scalar path), 4 and 7 (4-wide SIMD, 7 with an overlapping last block), 10 (8-wide SIMD
    /// with an overlapping last block) and 16.
    static let shapes: [(channels: Int, height: Int, width: Int)] = [
        (2, 4, 4), (1, 2, 8), (2, 4, 14), (3, 6, 20), (2, 4, 32),
    ]

    @Test("ReLU + max-pool 2 forward equals max(0, window max) and backward matches central differences",
          arguments: shapes)
    func reluMaxPoolMatchesReferenceAndFiniteDifferences(channels: Int, height: Int, width: Int) {
        let count = channels * height * width
        var rng = TestRNG(seed: UInt64(channels * 100 + width))
        // Distinct values 0.01 apart (shuffled), half negative, none within 0.005 of the ReLU kink at 0: no
        // window has a tie and no value crosses 0 within the step.
        var values = (0..<count).map { Float($0) * 0.01 - Float(count) * 0.005 + 0.005 }
        values.shuffle(using: &rng)
        let (pooled, argmax) = reluMaxPool(values, channels: channels, height: height, width: width)
        let reference = maxPool2(values.map { max(Double($0), 0) }, channels: channels, height: height, width: width)
        for i in 0..<pooled.count { #expect(Double(pooled[i]) == reference[i], "pooled[\(i)]") }

        let r = rng.uniforms(pooled.count, -1, 1)
        let gradient = reluMaxPoolGradient(r, pooled: pooled, argmax: argmax, channels: channels, height: height, width: width)
        let h: Float = 0.002
        for j in 0..<count {
            var plus = values, minus = values
            plus[j] += h; minus[j] -= h
            let fd = (dotDouble(r, reluMaxPool(plus, channels: channels, height: height, width: width).pooled)
                - dotDouble(r, reluMaxPool(minus, channels: channels, height: height, width: width).pooled)) / Double(2 * h)
            expectClose(gradient[j], fd, tolerance: 1e-4, "dRaw[\(j)]")
        }
    }

    @Test("max-pool alone (positive inputs): the pooled value is the window maximum, the gradient goes to its position")
    func maxPoolOfPositiveInputs() {
        // One channel 2×4: windows [1 5 / 3 2] and [7 0.5 / 8 6]; maxima at (0, 1) and (1, 2).
        let raw: [Float] = [1, 5, 7, 0.5, 3, 2, 8, 6]
        let (pooled, argmax) = reluMaxPool(raw, channels: 1, height: 2, width: 4)
        #expect(pooled == [5, 8])
        #expect(argmax == [1, 1 * 6 + 2])  // y·(W+2) + x
        let gradient = reluMaxPoolGradient([10, 20], pooled: pooled, argmax: argmax, channels: 1, height: 2, width: 4)
        #expect(gradient == [0, 10, 0, 0, 0, 0, 20, 0])
    }

    @Test("max-pool ties route the gradient to the first maximum in row-major window order (PyTorch)")
    func tiesGoToFirstIndex() {
        // Window 1: all equal → index 0. Window 2: max 4 at (0,1) and (1,0) → (0,1).
        var raw = [Float](repeating: 0, count: 2 * 20)
        raw[0] = 3; raw[1] = 3; raw[20] = 3; raw[21] = 3
        raw[2] = 1; raw[3] = 4; raw[22] = 4; raw[23] = 2
        let (pooled, argmax) = reluMaxPool(raw, channels: 1, height: 2, width: 20)
        #expect(pooled[0] == 3 && argmax[0] == 0)
        #expect(pooled[1] == 4 && argmax[1] == 3)  // (0, 3), not (1, 2) = 1·22 + 2
        let gradient = reluMaxPoolGradient(
            [Float](repeating: 1, count: 10), pooled: pooled, argmax: argmax, channels: 1, height: 2, width: 20)
        #expect(gradient[0] == 1 && gradient[1] == 0 && gradient[20] == 0 && gradient[21] == 0)
        #expect(gradient[3] == 1 && gradient[22] == 0)
    }

    @Test("a window whose values are all ≤ 0 outputs 0 and passes no gradient (ReLU before the pool)")
    func nonPositiveWindowHasNoGradient() {
        let raw: [Float] = [-1, -0.5, -2, 0]
        let (pooled, argmax) = reluMaxPool(raw, channels: 1, height: 2, width: 2)
        #expect(pooled == [0])
        let gradient = reluMaxPoolGradient([5], pooled: pooled, argmax: argmax, channels: 1, height: 2, width: 2)
        #expect(gradient == [0, 0, 0, 0])
    }
}

/// Softmax cross-entropy on arrays; returns per-sample losses, predictions, gradient and Hessian factor.
private func crossEntropy(_ logits: [Float], labels: [Int32], classes: Int, scale: Float)
    -> (losses: [Float], predictions: [Int32], gradient: [Float], hessian: [Float], total: Float)
{
    let batch = labels.count
    let losses = Scratch(repeating: Float.nan, count: batch), predictions = Scratch(repeating: Int32(-1), count: batch)
    let gradient = Scratch(repeating: Float.nan, count: logits.count)
    let hessian = Scratch(repeating: Float.nan, count: logits.count)
    let (zs, ls) = (Scratch(logits), Scratch(labels))
    let total = Kernels.softmaxCrossEntropy(
        logits: zs.pointer, batch: batch, classes: classes, labels: ls.pointer, losses: losses.pointer,
        predictions: predictions.pointer, gradient: gradient.pointer, hessianFactor: hessian.pointer, scale: scale)
    return (losses.array, predictions.array, gradient.array, hessian.array, total)
}

/// Cross-entropy in Double: log Σ exp(z) − z_y (log-sum-exp stabilised).
private func referenceCrossEntropy(_ z: [Double], _ label: Int) -> Double {
    let m = z.max()!
    return m + log(z.map { exp($0 - m) }.reduce(0, +)) - z[label]
}

struct SoftmaxCrossEntropyTests {
    @Test("softmax CE losses equal the Double formula and the gradient (scaled by 1/B) matches central differences")
    func lossAndGradientMatchReference() {
        var rng = TestRNG(seed: 21)
        let classes = 7, batch = 3
        let logits = rng.uniforms(batch * classes, -3, 3)
        let labels: [Int32] = [0, 6, 3]
        let scale = 1 / Float(batch)
        let result = crossEntropy(logits, labels: labels, classes: classes, scale: scale)
        var sum = 0.0
        for b in 0..<batch {
            let z = logits[(b * classes)..<((b + 1) * classes)].map(Double.init)
            let reference = referenceCrossEntropy(z, Int(labels[b]))
            sum += reference
            expectClose(result.losses[b], reference, tolerance: 1e-6, "loss[\(b)]")
            for j in 0..<classes {
                let fd = centralDifference({ referenceCrossEntropy($0, Int(labels[b])) }, at: z, index: j, step: 1e-5)
                expectClose(result.gradient[b * classes + j], fd / Double(batch), tolerance: 1e-6, "dz[\(b), \(j)]")
                // Second derivative of CE w.r.t. z_j is p_j (1 − p_j).
                var plus = z, minus = z
                plus[j] += 1e-4; minus[j] -= 1e-4
                let second = (referenceCrossEntropy(plus, Int(labels[b])) - 2 * referenceCrossEntropy(z, Int(labels[b]))
                    + referenceCrossEntropy(minus, Int(labels[b]))) / 1e-8
                expectClose(result.hessian[b * classes + j], second / Double(batch), tolerance: 1e-4, "d²z[\(b), \(j)]")
            }
        }
        expectClose(result.total, sum, tolerance: 1e-5, "sum of losses")
    }

    @Test("CE is stable for huge logits: [500, 400] with label 1 gives loss 100 and gradient (1, −1), not NaN")
    func hugeLogitsAreStable() {
        let result = crossEntropy([500, 400, -1e30, 3e38], labels: [1, 1], classes: 2, scale: 1)
        #expect(result.losses[0] == 100)
        #expect(result.gradient[0] == 1 && result.gradient[1] == -1)
        // Second sample: logits (−1e30, 3e38), label 1 → loss 0 (p = 1), gradient 0.
        #expect(result.losses[1] == 0)
        #expect(result.gradient[2] == 0 && result.gradient[3] == 0)
        #expect(result.losses.allSatisfy { $0.isFinite } && result.gradient.allSatisfy { $0.isFinite })
    }

    @Test("predictions are the argmax of the logits, first index on ties")
    func predictionsTakeFirstMaximum() {
        let result = crossEntropy([1, 3, 3, 0, /**/ 2, 2, 2, 2, /**/ -5, -4, -6, -4.5], labels: [0, 0, 0], classes: 4, scale: 1)
        #expect(result.predictions == [1, 0, 1])
    }
}

struct DeadRowSkippingTests {
    /// dx of a batch-1 linear backward through a plain loop visiting every row (one FMA per term, ascending rows).
    func everyRow(_ w: [Float], _ d: [Float], m: Int, n: Int) -> [Float] {
        var dx = [Float](repeating: 0, count: n)
        for o in 0..<m { for i in 0..<n { dx[i] = dx[i].addingProduct(d[o], w[o * n + i]) } }
        return dx
    }

    func backward(_ w: [Float], _ d: [Float], m: Int, n: Int, weightsFinite: Bool) -> [Float] {
        let (ws, ds, xs) = (Scratch(w), Scratch(d), Scratch([Float](repeating: 1, count: n)))
        let db = Scratch(repeating: Float(0), count: m)
        let dx = Scratch(repeating: Float.nan, count: n)
        Kernels.linearBackward(x: xs.pointer, batch: 1, inCount: n, weight: ws.pointer, outCount: m, delta: ds.pointer,
                               weightGrad: nil, biasGrad: db.pointer, inputGrad: dx.pointer, weightsFinite: weightsFinite)
        return dx.array
    }

    @Test("Batch-1 input gradient with finite weights: skipping dead rows one by one (or in blocks of four) is bit-identical to visiting every row, for any pattern of dead rows and widths")
    func skippingIsExact() {
        var rng = TestRNG(seed: 77)
        for (m, n) in [(13, 20), (64, 33), (7, 8), (128, 2048)] {
            for deadFraction: Float in [0, 0.3, 0.5, 0.9, 1] {
                let w = rng.uniforms(m * n, -1, 1)
                let d = (0..<m).map { _ in rng.uniform(0, 1) < deadFraction ? 0 : rng.uniform(-1, 1) }
                let reference = everyRow(w, d, m: m, n: n).map(\.bitPattern)
                #expect(backward(w, d, m: m, n: n, weightsFinite: true).map(\.bitPattern) == reference, "\(m)×\(n) \(deadFraction)")
                #expect(backward(w, d, m: m, n: n, weightsFinite: false).map(\.bitPattern) == reference, "\(m)×\(n) \(deadFraction)")
            }
        }
    }

    @Test("An infinite weight makes its row's pre-activation non-finite, so the network does not take the row-by-row skip and a dead row inside a live block still yields NaN (0·∞), as before")
    func infiniteWeightIsNotSkipped() throws {
        let net = try Network(spec: .mlp(hidden: [8, 8]), input: InputShape(channels: 1, height: 1, width: 4), classes: 3)
        var rng = TestRNG(seed: 5)
        net.initialize(using: &rng)
        // layers.1.weight is [8, 8] at offset 4·8 + 8 = 40; row 0 gets −∞ in column 0 and a large negative bias so the
        // unit is dead, while rows 1–3 of its block stay live.
        // Hidden unit 0 of layer 0 is active (positive output), so row 0 of layer 1 gets −∞·(positive) = −∞: dead.
        for c in 0..<4 { net.parameters[c] = 0.1 }
        net.parameters[32] = 1
        let w1 = 40, b1 = w1 + 64
        for c in 0..<8 { net.parameters[w1 + c] = c == 0 ? -.infinity : 0.1 }
        net.parameters[b1] = -1
        for r in 1..<4 { net.parameters[b1 + r] = 10 }
        let loss = net.trainStep(inputs: [1, 1, 1, 1], labels: [0])
        #expect(loss.isFinite)
        // layers.0 gradients depend on dx of layers.1: NaN from 0·∞ (the step is then refused by the optimizer).
        #expect((0..<32).contains { net.gradients[$0].isNaN })
        let stage = try #require(net.stages[1] as? LinearStage)
        #expect(!stage.preactivationsFinite)
    }
}
