#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SIMDSupport

/// Exact Hessian-vector products H·V of the mean softmax cross-entropy loss of a ``Network``'s last
/// `trainStep`, by Pearlmutter's R-operator: one R-forward pass (the directional derivative of every activation
/// along V) and one R-backward pass (the directional derivative of every gradient). Spec
/// `metaoptimize-hessian.md` §4.
///
/// The product is taken at the network's current parameters on the batch of its last `trainStep` (dense or
/// factored, same result): it reuses that pass's activations, ReLU masks (a > 0 strictly, as the gradient pass),
/// max-pool argmax indices and backward quantities, so call it after `trainStep` and before the parameters change.
/// Models: `linear`, `mlp:…` (ReLU) and `simple-cnn` (its convolution stages with plain loops, visiting only the
/// pooled windows' argmax pixels, where the tangent is non-zero).
///
/// Every buffer is allocated in `init`; ``product(inputs:batchSize:vector:into:)`` allocates nothing. Not
/// thread-safe: one instance per network, used from the network's thread.
public final class HessianVectorProduct {
    public let network: Network
    private let arena = Arena()
    private let stages: [any Stage]
    /// R{h_l} per column and stage (R of the stage's output activations, masked by the ReLU), [maxBatch][outputCount]
    /// at `column · stages.count + l`.
    private let rOutput: [UnsafeMutablePointer<Float>]
    /// R{δ_l} per column and stage (R of the masked gradient of the stage's output), same shape and indexing.
    private let rDelta: [UnsafeMutablePointer<Float>]
    private let probabilities: UnsafeMutablePointer<Float>
    /// Number of products whose factors can be held at once (``factoredProduct(inputs:vector:column:into:)``).
    public let columns: Int
    /// Per column, one block per linear layer's weight tensor (the network's `outerProductBlocks`, same order):
    /// where ``factoredProduct(inputs:vector:column:into:)`` leaves the product as R{δ}·xᵀ + δ·R{x}ᵀ. The pointers
    /// are fixed for this instance's lifetime.
    public let tangentBlocks: [[OuterProductTangent]]

    /// Prepares the buffers for `network` (its `maxBatchSize`) and `columns` factored products held at once.
    /// Throws for models without an R-operator.
    public init(network: Network, columns: Int = 1) throws(NetworkError) {
        for stage in network.stages where !(stage is LinearStage) && !(stage is ConvStage) {
            throw .hessianVectorProductUnsupported(network.spec)
        }
        precondition(columns >= 1, "columns \(columns) < 1")
        self.network = network
        self.columns = columns
        let stages = network.stages
        self.stages = stages
        let batch = network.maxBatchSize
        let perColumn = (0..<columns).flatMap { _ in stages }
        rOutput = perColumn.map { [arena] in arena.floats(batch * $0.outputCount) }
        rDelta = perColumn.map { [arena] in arena.floats(batch * $0.outputCount) }
        probabilities = arena.floats(batch * network.classes)
        tangentBlocks = (0..<columns).map { [rOutput, rDelta] j in
            stages.indices.compactMap { l -> OuterProductTangent? in
                guard let s = stages[l] as? LinearStage else { return nil }
                let base = j * stages.count
                return OuterProductTangent(
                    offset: s.weightOffset, rows: s.outputCount, columns: s.inputCount,
                    rowTangents: UnsafePointer(rDelta[base + l]),
                    columnTangents: l == 0 ? nil : UnsafePointer(rOutput[base + l - 1]))
            }
        }
    }

    /// Writes H·V into `result` (length `parameterCount`, the parameters' layout), where H = ∇²f is the Hessian of
    /// the mean loss f of the network's last `trainStep` at the current parameters.
    /// - Parameters:
    ///   - inputs: the samples of that `trainStep` (same values, same batch size).
    ///   - vector: V, `parameterCount` values in the parameters' layout (weights and biases).
    /// - Precondition: `batchSize` is that of the last `trainStep`; `result` does not overlap `vector`.
    public func product(inputs: UnsafeBufferPointer<Float>, batchSize: Int, vector: UnsafePointer<Float>,
                        into result: UnsafeMutablePointer<Float>) {
        evaluate(inputs: inputs, batchSize: batchSize, vector: vector, column: 0, factored: false, into: result)
    }

    /// H·V at batch size 1 with the linear layers' weight blocks left factored: writes every element of `result`
    /// outside `tangentBlocks[column]` (biases, convolution tensors) and keeps R{δ} and R{x} of each linear layer in
    /// that column's buffers, so that element (r, c) of a block is the ``OuterProductTangent`` definition applied to
    /// them and the gradient's factors δ (the layer's `gradOutput`) and x — value for value what
    /// ``product(inputs:batchSize:vector:into:)`` writes there. The factors stay valid until the next product of
    /// the same column.
    /// - Precondition: the last `trainStep` had batch size 1; `column < columns`; `result` does not overlap `vector`.
    public func factoredProduct(inputs: UnsafeBufferPointer<Float>, vector: UnsafePointer<Float>, column: Int,
                                into result: UnsafeMutablePointer<Float>) {
        precondition(column >= 0 && column < columns, "column \(column) not in 0..<\(columns)")
        evaluate(inputs: inputs, batchSize: 1, vector: vector, column: column, factored: true, into: result)
    }

    private func evaluate(inputs: UnsafeBufferPointer<Float>, batchSize: Int, vector: UnsafePointer<Float>,
                          column: Int, factored: Bool, into result: UnsafeMutablePointer<Float>) {
        let batch = batchSize
        precondition(batch >= 1 && batch <= network.maxBatchSize, "batchSize \(batch) not in 1...\(network.maxBatchSize)")
        precondition(inputs.count >= batch * network.input.count, "inputs: need \(batch * network.input.count) values")
        let x0 = inputs.baseAddress!
        let w = UnsafePointer(network.parameters.baseAddress!)
        let count = stages.count
        let k = network.classes
        // This column's R buffers: stage l's at base + l.
        let base = column * count
        // R-forward: R{a_l} = W_l·R{x_l} + V_l·x_l + c_l; R{h_l} = mask_l ⊙ R{a_l}.
        for l in 0..<count {
            let x = l == 0 ? x0 : UnsafePointer(stages[l - 1].output)
            let rx: UnsafePointer<Float>? = l == 0 ? nil : UnsafePointer(rOutput[base + l - 1])
            if let conv = stages[l] as? ConvStage {
                ConvTangents.forward(conv, x: x, rx: rx, batch: batch, weights: w, vector: vector, out: rOutput[base + l])
                continue
            }
            let s = stages[l] as! LinearStage
            HessianKernels.rForward(
                x: x, rx: rx, batch: batch, inCount: s.inputCount, weight: w + s.weightOffset,
                vWeight: vector + s.weightOffset, vBias: vector + s.biasOffset, outCount: s.outputCount,
                mask: s.relu ? UnsafePointer(s.output) : nil, out: rOutput[base + l])
        }
        // Head: R{e_b} = p_b ⊙ (R{u_b} − ⟨p_b, R{u_b}⟩) / B.
        let logits = UnsafePointer(stages[count - 1].output)
        HessianKernels.softmax(logits: logits, batch: batch, classes: k, into: probabilities)
        HessianKernels.softmaxTangent(
            probabilities: probabilities, rLogits: rOutput[base + count - 1], batch: batch, classes: k,
            scale: 1 / Float(batch), into: rDelta[base + count - 1])
        // R-backward: R{gW_l} = R{δ_l}·x_lᵀ + δ_l·R{x_l}ᵀ; R{gb_l} = Σ_b R{δ_l};
        // R{δ_(l−1)} = mask ⊙ (W_lᵀ·R{δ_l} + V_lᵀ·δ_l).
        var l = count - 1
        while l >= 0 {
            let x = l == 0 ? x0 : UnsafePointer(stages[l - 1].output)
            let rx: UnsafePointer<Float>? = l == 0 ? nil : UnsafePointer(rOutput[base + l - 1])
            if let conv = stages[l] as? ConvStage {
                ConvTangents.backward(conv, x: x, rx: rx, batch: batch, weights: w, vector: vector,
                                      rGradPooled: UnsafePointer(rDelta[base + l]), result: result,
                                      rGradInput: l > 0 ? rDelta[base + l - 1] : nil)
                l -= 1
                continue
            }
            let s = stages[l] as! LinearStage
            let delta = UnsafePointer(s.gradOutput), rd = UnsafePointer(rDelta[base + l])
            HessianKernels.weightTangent(
                rDelta: rd, x: x, delta: delta, rx: rx, batch: batch, inCount: s.inputCount, outCount: s.outputCount,
                weightOut: factored ? nil : result + s.weightOffset, biasOut: result + s.biasOffset)
            if l > 0 {
                // A linear stage masks by its ReLU output; a conv stage's pooling and ReLU act in its backward.
                let previous = stages[l - 1] as? LinearStage
                HessianKernels.inputTangent(
                    rDelta: rd, delta: delta, batch: batch, inCount: s.inputCount, weight: w + s.weightOffset,
                    vWeight: vector + s.weightOffset, outCount: s.outputCount,
                    mask: previous?.relu == true ? UnsafePointer(previous!.output) : nil, out: rDelta[base + l - 1])
            }
            l -= 1
        }
    }

    /// Array convenience for tests: H·V for `vector` on the last `trainStep`'s `inputs`.
    public func product(inputs: [Float], batchSize: Int, vector: [Float]) -> [Float] {
        precondition(vector.count == network.parameterCount, "vector: expected \(network.parameterCount) values")
        var result = [Float](repeating: 0, count: network.parameterCount)
        inputs.withUnsafeBufferPointer { x in
            vector.withUnsafeBufferPointer { v in
                result.withUnsafeMutableBufferPointer { r in
                    product(inputs: x, batchSize: batchSize, vector: v.baseAddress!, into: r.baseAddress!)
                }
            }
        }
        return result
    }
}

/// The R-operator's layer kernels (SIMD8, fixed summation order, no allocation).
enum HessianKernels {
    /// `out[b, o] = c[o] + V[o,:]·x[b] + W[o,:]·rx[b]` (the W term only when `rx` is given), then zero where
    /// `mask[b, o] <= 0` (the stage's post-ReLU output).
    static func rForward(
        x: UnsafePointer<Float>, rx: UnsafePointer<Float>?, batch: Int, inCount n: Int, weight: UnsafePointer<Float>,
        vWeight: UnsafePointer<Float>, vBias: UnsafePointer<Float>, outCount m: Int, mask: UnsafePointer<Float>?,
        out: UnsafeMutablePointer<Float>
    ) {
        for b in 0..<batch {
            let xb = x + b * n
            let ob = out + b * m
            let mb = mask.map { $0 + b * m }
            for o in 0..<m {
                if let mb, mb[o] <= 0 {
                    ob[o] = 0
                    continue
                }
                var s = vBias[o] + dot(vWeight + o * n, xb, n)
                if let rx { s += dot(weight + o * n, rx + b * n, n) }
                ob[o] = s
            }
        }
    }

    /// Softmax of each row of `logits` (the loss pass's formula: exp((z − max) − log Σ exp(z − max))).
    static func softmax(logits: UnsafePointer<Float>, batch: Int, classes k: Int, into p: UnsafeMutablePointer<Float>) {
        for b in 0..<batch {
            let z = logits + b * k
            var maxValue = z[0]
            for j in 1..<k where z[j] > maxValue { maxValue = z[j] }
            var sum: Float = 0
            for j in 0..<k { sum += exp(z[j] - maxValue) }
            let logSum = log(sum)
            for j in 0..<k { p[b * k + j] = exp((z[j] - maxValue) - logSum) }
        }
    }

    /// `out[b, j] = scale · p[b, j] · (ru[b, j] − ⟨p_b, ru_b⟩)`, the mean accumulated in Double.
    static func softmaxTangent(
        probabilities p: UnsafePointer<Float>, rLogits ru: UnsafePointer<Float>, batch: Int, classes k: Int,
        scale: Float, into out: UnsafeMutablePointer<Float>
    ) {
        for b in 0..<batch {
            var mean = 0.0
            for j in 0..<k { mean += Double(p[b * k + j]) * Double(ru[b * k + j]) }
            let mf = Float(mean)
            for j in 0..<k { out[b * k + j] = scale * (p[b * k + j] * (ru[b * k + j] - mf)) }
        }
    }

    /// `weightOut[o, i] = Σ_b rDelta[b, o]·x[b, i] + delta[b, o]·rx[b, i]` (the second term only with `rx`; at
    /// batch 1 the ``OuterProductTangent`` definition), `biasOut[o] = Σ_b rDelta[b, o]` (both overwritten; the
    /// weights only when `weightOut` is given).
    static func weightTangent(
        rDelta rd: UnsafePointer<Float>, x: UnsafePointer<Float>, delta d: UnsafePointer<Float>,
        rx: UnsafePointer<Float>?, batch: Int, inCount n: Int, outCount m: Int,
        weightOut: UnsafeMutablePointer<Float>?, biasOut: UnsafeMutablePointer<Float>
    ) {
        for o in 0..<m {
            var s: Float = 0
            for b in 0..<batch { s += rd[b * m + o] }
            biasOut[o] = s
        }
        guard let weightOut else { return }
        let n8 = n & ~7
        for o in 0..<m {
            let row = weightOut + o * n
            var first = true
            for b in 0..<batch {
                let r = rd[b * m + o]
                let dd = rx == nil ? 0 : d[b * m + o]
                if r == 0 && dd == 0 { continue }
                let xb = x + b * n
                let vr = SIMD8<Float>(repeating: r), vd = SIMD8<Float>(repeating: dd)
                var i = 0
                if let rx {
                    let rxb = rx + b * n
                    if first {
                        while i < n8 {
                            store8((vr * load8(xb + i)).addingProduct(vd, load8(rxb + i)), row + i)
                            i += 8
                        }
                        while i < n { row[i] = r * xb[i] + dd * rxb[i]; i += 1 }
                    } else {
                        while i < n8 {
                            store8(load8(row + i).addingProduct(vr, load8(xb + i)).addingProduct(vd, load8(rxb + i)), row + i)
                            i += 8
                        }
                        while i < n { row[i] += r * xb[i] + dd * rxb[i]; i += 1 }
                    }
                } else if first {
                    while i < n8 { store8(vr * load8(xb + i), row + i); i += 8 }
                    while i < n { row[i] = r * xb[i]; i += 1 }
                } else {
                    while i < n8 { store8(load8(row + i).addingProduct(vr, load8(xb + i)), row + i); i += 8 }
                    while i < n { row[i] += r * xb[i]; i += 1 }
                }
                first = false
            }
            if first { zeroFloats(row, n) }
        }
    }

    /// `out[b, i] = Σ_o W[o, i]·rDelta[b, o] + V[o, i]·delta[b, o]`, then zero where `mask[b, i] <= 0`.
    static func inputTangent(
        rDelta rd: UnsafePointer<Float>, delta d: UnsafePointer<Float>, batch: Int, inCount n: Int,
        weight: UnsafePointer<Float>, vWeight: UnsafePointer<Float>, outCount m: Int, mask: UnsafePointer<Float>?,
        out: UnsafeMutablePointer<Float>
    ) {
        let n8 = n & ~7
        for b in 0..<batch {
            let ob = out + b * n
            zeroFloats(ob, n)
            for o in 0..<m {
                let r = rd[b * m + o], dd = d[b * m + o]
                if r == 0 && dd == 0 { continue }
                let wr = weight + o * n, vr = vWeight + o * n
                let sr = SIMD8<Float>(repeating: r), sd = SIMD8<Float>(repeating: dd)
                var i = 0
                while i < n8 {
                    store8(load8(ob + i).addingProduct(sr, load8(wr + i)).addingProduct(sd, load8(vr + i)), ob + i)
                    i += 8
                }
                while i < n { ob[i] += r * wr[i] + dd * vr[i]; i += 1 }
            }
            if let mask {
                let mb = mask + b * n
                for i in 0..<n where mb[i] <= 0 { ob[i] = 0 }
            }
        }
    }
}

/// The R-operator of a conv 3×3 (pad 1) → ReLU → max-pool 2×2 stage (spec §4, SimpleCNN). Only the argmax pixel of
/// a window whose pooled value is positive carries a tangent (the gradient pass's mask and indices), so every loop
/// visits those pixels only. Plain loops, fixed order; not tuned for speed.
enum ConvTangents {
    /// (y, x) of the argmax position y·(W+2) + x.
    @inline(__always)
    static func pixel(_ position: Int32, width: Int) -> (Int, Int) {
        let p = Int(position)
        return (p / (width + 2), p % (width + 2))
    }

    /// Calls `body(k, at)` for every tap of output channel `o`'s 3×3 kernel (pad 1) at pixel (y, x) that falls inside
    /// the image, in the order input channel, ky, kx: k is the kernel element's index in the weight tensor, `at`
    /// the input pixel's index in one sample.
    @inline(__always)
    static func forEachTap(_ s: ConvStage, output o: Int, y py: Int, x px: Int, _ body: (_ k: Int, _ at: Int) -> Void) {
        let (c, h, w) = (s.inChannels, s.height, s.width)
        for ci in 0..<c {
            for ky in 0..<3 {
                let y = py + ky - 1
                guard y >= 0 && y < h else { continue }
                for kx in 0..<3 {
                    let xx = px + kx - 1
                    guard xx >= 0 && xx < w else { continue }
                    body(((o * c + ci) * 3 + ky) * 3 + kx, (ci * h + y) * w + xx)
                }
            }
        }
    }

    /// Rp[o, window] = pooled > 0 ? c[o] + Σ V[o]·patch(x) + Σ W[o]·patch(rx) at the argmax pixel : 0.
    static func forward(_ s: ConvStage, x: UnsafePointer<Float>, rx: UnsafePointer<Float>?, batch: Int,
                        weights: UnsafePointer<Float>, vector: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let (c, h, w) = (s.inChannels, s.height, s.width)
        let windows = s.pixels / 4
        let wt = weights + s.weightOffset, vt = vector + s.weightOffset, cb = vector + s.biasOffset
        for b in 0..<batch {
            let input = x + b * s.inputCount
            let rInput = rx.map { $0 + b * s.inputCount }
            for o in 0..<s.outChannels {
                for q in 0..<windows {
                    let index = b * s.outputCount + o * windows + q
                    guard s.output[index] > 0 else { out[index] = 0; continue }
                    let (py, px) = pixel(s.argmax[index], width: w)
                    var sum = cb[o]
                    forEachTap(s, output: o, y: py, x: px) { k, at in
                        sum += vt[k] * input[at]
                        if let rInput { sum += wt[k] * rInput[at] }
                    }
                    out[index] = sum
                }
            }
        }
    }

    /// R{gW}[o,ci,ky,kx] = Σ Rga·patch(x) + ga·patch(rx); R{gb}[o] = Σ Rga; and, when `rGradInput` is given,
    /// R{g_input} = Σ Rga·W + ga·V scattered over each argmax pixel's 3×3 window (ga = dPooled, Rga = R{dPooled}
    /// at the windows with a positive pooled value).
    static func backward(_ s: ConvStage, x: UnsafePointer<Float>, rx: UnsafePointer<Float>?, batch: Int,
                         weights: UnsafePointer<Float>, vector: UnsafePointer<Float>, rGradPooled: UnsafePointer<Float>,
                         result: UnsafeMutablePointer<Float>, rGradInput: UnsafeMutablePointer<Float>?) {
        let (c, h, w) = (s.inChannels, s.height, s.width)
        let windows = s.pixels / 4
        let wt = weights + s.weightOffset, vt = vector + s.weightOffset
        let gw = result + s.weightOffset, gb = result + s.biasOffset
        zeroFloats(gw, s.outChannels * c * 9)
        zeroFloats(gb, s.outChannels)
        if let rGradInput { zeroFloats(rGradInput, batch * s.inputCount) }
        for b in 0..<batch {
            let input = x + b * s.inputCount
            let rInput = rx.map { $0 + b * s.inputCount }
            let rGrad = rGradInput.map { $0 + b * s.inputCount }
            for o in 0..<s.outChannels {
                for q in 0..<windows {
                    let index = b * s.outputCount + o * windows + q
                    guard s.output[index] > 0 else { continue }
                    let rga = rGradPooled[index], ga = s.gradOutput[index]
                    let (py, px) = pixel(s.argmax[index], width: w)
                    gb[o] += rga
                    forEachTap(s, output: o, y: py, x: px) { k, at in
                        var term = rga * input[at]
                        if let rInput { term += ga * rInput[at] }
                        gw[k] += term
                        if let rGrad { rGrad[at] += rga * wt[k] + ga * vt[k] }
                    }
                }
            }
        }
    }
}
