#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SIMDSupport

/// Owner of every buffer a network allocates: 64-byte aligned, zero-initialised, freed together.
final class Arena {
    private var blocks: [UnsafeMutableRawPointer] = []

    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        let raw = allocate(bytes: max(count, 1) * MemoryLayout<Float>.stride)
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    func int32s(_ count: Int) -> UnsafeMutablePointer<Int32> {
        let raw = allocate(bytes: max(count, 1) * MemoryLayout<Int32>.stride)
        return raw.bindMemory(to: Int32.self, capacity: max(count, 1))
    }

    /// Float buffers for the large per-parameter arrays, in one slab (2 MiB-aligned, transparent huge pages on
    /// Linux), buffer k starting `pageOffsets[k]` bytes past a 4 KiB boundary (see ``PageStagger``).
    func staggeredFloats(_ count: Int, pageOffsets: [Int]) -> [UnsafeMutablePointer<Float>] {
        let slab = StaggeredSlab(counts: Array(repeating: count, count: pageOffsets.count), pageOffsets: pageOffsets)
        blocks.append(slab.base)
        return slab.buffers
    }

    private func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        // Round up to whole cache lines so SIMD tails never touch another block.
        let size = (bytes + 63) & ~63
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        blocks.append(raw)
        return raw
    }

    deinit {
        for block in blocks { block.deallocate() }
    }
}

/// One step of a network's forward pass with its own preallocated activations (for `maxBatchSize` samples).
/// `output` holds the stage's output activations and `gradOutput` the gradient of the loss with respect to them.
protocol Stage: AnyObject {
    var inputCount: Int { get }
    var outputCount: Int { get }
    var output: UnsafeMutablePointer<Float> { get }
    var gradOutput: UnsafeMutablePointer<Float> { get }
    func forward(input: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>)
    /// Uses `gradOutput` (may modify it), writes this stage's parameter gradients (overwriting) and, if given,
    /// the gradient with respect to the input. With `factoredWeights` (batch 1) a linear stage leaves its weight
    /// gradient as the outer product `gradOutput` ⊗ `input` instead of writing it (other stages ignore the flag).
    func backward(
        input: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>,
        gradients: UnsafeMutablePointer<Float>, inputGrad: UnsafeMutablePointer<Float>?, factoredWeights: Bool
    )
}

/// Linear layer, optionally followed by ReLU (then `output` holds the post-ReLU activations).
final class LinearStage: Stage {
    let inputCount: Int
    let outputCount: Int
    let relu: Bool
    let weightOffset: Int
    let biasOffset: Int
    let output: UnsafeMutablePointer<Float>
    let gradOutput: UnsafeMutablePointer<Float>
    /// Whether every pre-activation of the last forward pass was finite (hence every weight is).
    private(set) var preactivationsFinite = false

    init(inputCount: Int, outputCount: Int, relu: Bool, weightOffset: Int, biasOffset: Int, maxBatch: Int, arena: Arena) {
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.relu = relu
        self.weightOffset = weightOffset
        self.biasOffset = biasOffset
        output = arena.floats(maxBatch * outputCount)
        gradOutput = arena.floats(maxBatch * outputCount)
    }

    func forward(input: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>) {
        Kernels.linearForward(
            x: input, batch: batch, inCount: inputCount,
            weight: parameters + weightOffset, bias: parameters + biasOffset, outCount: outputCount, y: output)
        // A non-finite weight makes its row's pre-activation non-finite (±∞·x, or 0·∞ = NaN), so finite
        // pre-activations prove every weight finite, which lets the backward skip dead rows one by one.
        preactivationsFinite = allFinite(output, count: batch * outputCount)
        if relu { Kernels.reluForward(output, count: batch * outputCount) }
    }

    func backward(
        input: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>,
        gradients: UnsafeMutablePointer<Float>, inputGrad: UnsafeMutablePointer<Float>?, factoredWeights: Bool
    ) {
        if relu { Kernels.reluBackward(delta: gradOutput, activation: output, count: batch * outputCount) }
        Kernels.linearBackward(
            x: input, batch: batch, inCount: inputCount, weight: parameters + weightOffset, outCount: outputCount,
            delta: gradOutput, weightGrad: factoredWeights ? nil : gradients + weightOffset,
            biasGrad: gradients + biasOffset, inputGrad: inputGrad, weightsFinite: preactivationsFinite)
    }
}

/// Conv 3×3 (stride 1, zero padding 1) → ReLU → max-pool 2×2, on C×H×W inputs (H, W even).
///
/// Forward: im2col + register-blocked GEMM (pixel rows padded to `columns`), then fused ReLU + max-pool that
/// records the argmax of each window. Backward: only the argmax pixels of windows with a positive output carry a
/// gradient (at most one pixel in four); they are listed per channel and the convolution backward visits only
/// them, on a channel-last, zero-bordered copy of the input (see `Kernels.convBackwardSparse`).
final class ConvStage: Stage {
    let inChannels: Int
    let outChannels: Int
    let height: Int
    let width: Int
    let depth: Int            // inChannels · 9
    let pixels: Int           // height · width
    let columns: Int          // row stride of col/raw: ≥ pixels, a multiple of the GEMM's pixel block
    let paddedChannels: Int   // inChannels rounded up to a multiple of 8 (channel-last layouts)
    let weightOffset: Int
    let biasOffset: Int
    let inputCount: Int
    let outputCount: Int
    let col: UnsafeMutablePointer<Float>             // [depth][columns], one sample
    let raw: UnsafeMutablePointer<Float>             // [outChannels][columns] pre-activation, one sample
    let output: UnsafeMutablePointer<Float>          // [maxBatch][outChannels][H/2][W/2]
    let argmax: UnsafeMutablePointer<Int32>          // same shape as output
    let gradOutput: UnsafeMutablePointer<Float>      // same shape as output
    let positions: UnsafeMutablePointer<Int32>       // [outChannels][H/2·W/2] gradient lists, one sample
    let values: UnsafeMutablePointer<Float>          // same
    let counts: UnsafeMutablePointer<Int32>          // [outChannels]
    let inputHWC: UnsafeMutablePointer<Float>        // [(H+2)·(W+2)][paddedChannels], zero border
    let weightGradPermuted: UnsafeMutablePointer<Float>        // [outChannels][9][paddedChannels]
    let weightsPermuted: UnsafeMutablePointer<Float>?          // same, only if the input gradient is needed
    let inputGradHWC: UnsafeMutablePointer<Float>?             // like inputHWC, only if the input gradient is needed

    init(
        inChannels: Int, outChannels: Int, height: Int, width: Int, weightOffset: Int, biasOffset: Int,
        needsInputGradient: Bool, maxBatch: Int, arena: Arena
    ) {
        precondition(outChannels % 4 == 0 && height % 2 == 0 && width % 2 == 0)
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.height = height
        self.width = width
        depth = inChannels * 9
        pixels = height * width
        columns = Kernels.convColumnStride(pixels: pixels)
        paddedChannels = (inChannels + 7) & ~7
        self.weightOffset = weightOffset
        self.biasOffset = biasOffset
        inputCount = inChannels * pixels
        outputCount = outChannels * pixels / 4
        col = arena.floats(depth * columns)
        raw = arena.floats(outChannels * columns)
        output = arena.floats(maxBatch * outputCount)
        argmax = arena.int32s(maxBatch * outputCount)
        gradOutput = arena.floats(maxBatch * outputCount)
        positions = arena.int32s(outputCount)
        values = arena.floats(outputCount)
        counts = arena.int32s(outChannels)
        let paddedImage = (height + 2) * (width + 2) * paddedChannels
        inputHWC = arena.floats(paddedImage)
        weightGradPermuted = arena.floats(outChannels * 9 * paddedChannels)
        weightsPermuted = needsInputGradient ? arena.floats(outChannels * 9 * paddedChannels) : nil
        inputGradHWC = needsInputGradient ? arena.floats(paddedImage) : nil
    }

    func forward(input: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>) {
        for b in 0..<batch {
            Kernels.im2col(
                input: input + b * inputCount, channels: inChannels, height: height, width: width,
                col: col, colStride: columns)
            Kernels.convForwardGemm(
                weight: parameters + weightOffset, bias: parameters + biasOffset, outChannels: outChannels,
                depth: depth, col: col, columns: columns, out: raw)
            Kernels.reluMaxPoolForward(
                raw: raw, channels: outChannels, height: height, width: width, rawStride: columns,
                pooled: output + b * outputCount, argmax: argmax + b * outputCount)
        }
    }

    func backward(
        input: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>,
        gradients: UnsafeMutablePointer<Float>, inputGrad: UnsafeMutablePointer<Float>?, factoredWeights: Bool
    ) {
        let permutedCount = outChannels * 9 * paddedChannels
        zeroFloats(weightGradPermuted, permutedCount)
        zeroFloats(gradients + biasOffset, outChannels)
        let weights = inputGrad == nil ? nil : weightsPermuted
        if let weights {
            Kernels.permuteConvWeights(
                parameters + weightOffset, outChannels: outChannels, inChannels: inChannels,
                paddedChannels: paddedChannels, output: weights)
        }
        let paddedImage = (height + 2) * (width + 2) * paddedChannels
        for b in 0..<batch {
            Kernels.gatherPooledGradients(
                dPooled: gradOutput + b * outputCount, pooled: output + b * outputCount,
                argmax: argmax + b * outputCount, channels: outChannels, windows: pixels / 4,
                positions: positions, values: values, counts: counts)
            Kernels.toPaddedHWC(
                input + b * inputCount, channels: inChannels, height: height, width: width,
                paddedChannels: paddedChannels, output: inputHWC)
            let inputGradient = weights == nil ? nil : inputGradHWC
            if let inputGradient { zeroFloats(inputGradient, paddedImage) }
            Kernels.convBackwardSparse(
                positions: positions, values: values, counts: counts, listStride: pixels / 4,
                outChannels: outChannels, width: width, paddedChannels: paddedChannels,
                inputHWC: inputHWC, weightGradPermuted: weightGradPermuted, biasGrad: gradients + biasOffset,
                weightsPermuted: weights, inputGradHWC: inputGradient)
            if let inputGrad, let inputGradient {
                Kernels.fromPaddedHWC(
                    inputGradient, channels: inChannels, height: height, width: width,
                    paddedChannels: paddedChannels, output: inputGrad + b * inputCount)
            }
        }
        Kernels.unpermuteConvWeights(
            weightGradPermuted, outChannels: outChannels, inChannels: inChannels, paddedChannels: paddedChannels,
            output: gradients + weightOffset)
    }
}
