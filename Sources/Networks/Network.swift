import SIMDSupport

/// A classifier (`linear`, `mlp:…` or `simple-cnn`) with softmax cross-entropy loss, hand-written forward and
/// backward passes and all buffers preallocated at init (no allocation per step).
///
/// Parameters live in ONE contiguous Float32 buffer (`parameters`) holding every tensor in PyTorch
/// `named_parameters()` order and PyTorch memory layout (see `parameterInfo`); `gradients` has the same layout.
/// `parameters` is the truth: an optimizer may update it in place between steps.
///
/// Not thread-safe: use one network per run, from one thread at a time.
public final class Network {
    public let spec: ModelSpec
    public let input: InputShape
    public let classes: Int
    /// Largest batch accepted by `trainStep` and `evaluate`.
    public let maxBatchSize: Int
    /// Tensors in PyTorch `named_parameters()` order with their offsets into `parameters` and `gradients`.
    public let parameterInfo: [ParameterInfo]
    /// Total number of Float32 parameters (= `parameters.count`).
    public let parameterCount: Int
    /// Canonical parameter buffer (owned by the network, allocated once).
    public let parameters: UnsafeMutableBufferPointer<Float>
    /// Gradient of the mean loss of the last `trainStep`, same layout as `parameters`. After a step with
    /// `weightGradients: .outerProducts` the regions of `outerProductBlocks` are stale (see
    /// `gradientsAreFactored` and `materializeOuterProducts()`).
    public let gradients: UnsafeMutableBufferPointer<Float>
    /// Whether `trainStep` also computes `diagonalHessian` (linear model only).
    public let computesDiagonalHessian: Bool
    /// One block per linear layer's weight tensor, in parameter order: where its batch-1 gradient lives in factored
    /// form after `trainStep(…, weightGradients: .outerProducts)`. The factor pointers are fixed for the network's
    /// lifetime; their contents describe the last such step.
    public let outerProductBlocks: [OuterProductBlock]

    private let arena: Arena
    let stages: [any Stage]
    private let losses: UnsafeMutablePointer<Float>
    private let predictions: UnsafeMutablePointer<Int32>
    private let hessian: UnsafeMutablePointer<Float>?
    private let hessianFactor: UnsafeMutablePointer<Float>?
    private let squaredInput: UnsafeMutablePointer<Float>?
    /// The sample of the last factored step (the column factors of the first layer when it is linear).
    private let inputCopy: UnsafeMutablePointer<Float>
    /// Batch size of the last forward pass (0 before the first).
    private(set) var lastBatchSize = 0
    /// True after a factored `trainStep`: the `outerProductBlocks` regions of `gradients` are stale.
    public private(set) var gradientsAreFactored = false

    /// Builds the network with all parameters zero (call `initialize(using:)` or `loadWeights(from:)`).
    /// - Parameters:
    ///   - spec: the architecture.
    ///   - input: shape of one sample (C×H×W; flat models use C·H·W inputs).
    ///   - classes: number of output classes (≥ 2).
    ///   - maxBatchSize: largest batch that will be passed (activations are preallocated for it).
    ///   - computeDiagonalHessian: linear model only; makes `trainStep` also fill `diagonalHessian`.
    public init(
        spec: ModelSpec, input: InputShape, classes: Int, maxBatchSize: Int = 1,
        computeDiagonalHessian: Bool = false
    ) throws(NetworkError) {
        guard input.channels > 0, input.height > 0, input.width > 0 else { throw .invalidInputShape(input) }
        guard classes >= 2 else { throw .invalidClassCount(classes) }
        guard maxBatchSize >= 1 else { throw .invalidMaxBatchSize(maxBatchSize) }
        if case .mlp(let hidden) = spec {
            guard !hidden.isEmpty, hidden.allSatisfy({ $0 > 0 }) else {
                throw .invalidSpec(text: spec.description, reason: "hidden widths must be positive and at least one")
            }
        }
        if spec == .simpleCNN, input.height % 4 != 0 || input.width % 4 != 0 {
            throw .inputNotDivisibleBy4(input)
        }
        if computeDiagonalHessian, spec != .linear { throw .diagonalHessianUnsupported(spec) }

        self.spec = spec
        self.input = input
        self.classes = classes
        self.maxBatchSize = maxBatchSize
        self.computesDiagonalHessian = computeDiagonalHessian

        let arena = Arena()
        var infos: [ParameterInfo] = []
        var offset = 0
        func addTensor(_ name: String, _ shape: [Int], fanIn: Int) -> Int {
            let info = ParameterInfo(name: name, shape: shape, offset: offset, fanIn: fanIn)
            infos.append(info)
            offset += info.count
            return info.offset
        }
        var stages: [any Stage] = []
        let inputCount = input.count
        switch spec {
        case .linear:
            let w = addTensor("fc.weight", [classes, inputCount], fanIn: inputCount)
            let b = addTensor("fc.bias", [classes], fanIn: inputCount)
            stages.append(LinearStage(
                inputCount: inputCount, outputCount: classes, relu: false, weightOffset: w, biasOffset: b,
                maxBatch: maxBatchSize, arena: arena))
        case .mlp(let hidden):
            let widths = [inputCount] + hidden + [classes]
            for layer in 0..<(widths.count - 1) {
                let (n, m) = (widths[layer], widths[layer + 1])
                let w = addTensor("layers.\(layer).weight", [m, n], fanIn: n)
                let b = addTensor("layers.\(layer).bias", [m], fanIn: n)
                stages.append(LinearStage(
                    inputCount: n, outputCount: m, relu: layer < widths.count - 2, weightOffset: w, biasOffset: b,
                    maxBatch: maxBatchSize, arena: arena))
            }
        case .simpleCNN:
            let (c, h, wd) = (input.channels, input.height, input.width)
            let w1 = addTensor("conv1.weight", [16, c, 3, 3], fanIn: c * 9)
            let b1 = addTensor("conv1.bias", [16], fanIn: c * 9)
            let w2 = addTensor("conv2.weight", [32, 16, 3, 3], fanIn: 16 * 9)
            let b2 = addTensor("conv2.bias", [32], fanIn: 16 * 9)
            let flat = 32 * (h / 4) * (wd / 4)
            let w3 = addTensor("fc1.weight", [128, flat], fanIn: flat)
            let b3 = addTensor("fc1.bias", [128], fanIn: flat)
            let w4 = addTensor("fc2.weight", [classes, 128], fanIn: 128)
            let b4 = addTensor("fc2.bias", [classes], fanIn: 128)
            stages.append(ConvStage(
                inChannels: c, outChannels: 16, height: h, width: wd, weightOffset: w1, biasOffset: b1,
                needsInputGradient: false, maxBatch: maxBatchSize, arena: arena))
            stages.append(ConvStage(
                inChannels: 16, outChannels: 32, height: h / 2, width: wd / 2, weightOffset: w2, biasOffset: b2,
                needsInputGradient: true, maxBatch: maxBatchSize, arena: arena))
            stages.append(LinearStage(
                inputCount: flat, outputCount: 128, relu: true, weightOffset: w3, biasOffset: b3,
                maxBatch: maxBatchSize, arena: arena))
            stages.append(LinearStage(
                inputCount: 128, outputCount: classes, relu: false, weightOffset: w4, biasOffset: b4,
                maxBatch: maxBatchSize, arena: arena))
        }
        parameterInfo = infos
        parameterCount = offset
        let inputCopy = arena.floats(inputCount)
        self.inputCopy = inputCopy
        var blocks: [OuterProductBlock] = []
        for (s, stage) in stages.enumerated() {
            guard let linear = stage as? LinearStage else { continue }
            blocks.append(OuterProductBlock(
                offset: linear.weightOffset, rows: linear.outputCount, columns: linear.inputCount,
                rowFactors: UnsafePointer(linear.gradOutput),
                columnFactors: UnsafePointer(s == 0 ? inputCopy : stages[s - 1].output)))
        }
        outerProductBlocks = blocks
        let flat = arena.staggeredFloats(offset, pageOffsets: [PageStagger.networkWeights, PageStagger.networkGradients])
        parameters = UnsafeMutableBufferPointer(start: flat[0], count: offset)
        gradients = UnsafeMutableBufferPointer(start: flat[1], count: offset)
        losses = arena.floats(maxBatchSize)
        predictions = arena.int32s(maxBatchSize)
        if computeDiagonalHessian {
            hessian = arena.floats(offset)
            hessianFactor = arena.floats(maxBatchSize * classes)
            squaredInput = arena.floats(maxBatchSize * inputCount)
        } else {
            hessian = nil
            hessianFactor = nil
            squaredInput = nil
        }
        self.stages = stages
        self.arena = arena
    }

    /// PyTorch's default initialisation from a caller-supplied generator.
    ///
    /// Every tensor (weights and biases alike) is drawn from Uniform(−b, b) with b = 1/√fanIn (fanIn =
    /// in_features of a Linear layer, in_channels·3·3 of a conv), tensor by tensor in `parameterInfo` order and,
    /// within a tensor, in memory order. Each element consumes exactly one `generator.next()`:
    /// ```
    /// r = generator.next()                      // UInt64
    /// u = Float(r >> 40) * 0x1p-24              // top 24 bits, u in [0, 1), exact
    /// b = Float(1 / sqrt(Double(fanIn)))
    /// value = b * (2 * u - 1)                   // in Float; value in [−b, b)
    /// ```
    public func initialize<G: RandomNumberGenerator>(using generator: inout G) {
        for info in parameterInfo {
            let bound = Network.initializationBound(fanIn: info.fanIn)
            let base = parameters.baseAddress! + info.offset
            for j in 0..<info.count {
                base[j] = Network.uniformValue(bits: generator.next(), bound: bound)
            }
        }
    }

    /// b = Float(1 / sqrt(Double(fanIn))), the bound of PyTorch's default initialisation.
    public static func initializationBound(fanIn: Int) -> Float {
        Float(1 / Double(fanIn).squareRoot())
    }

    /// The documented conversion of one generator output to an initial value: `bound * (2u − 1)` with
    /// `u = Float(bits >> 40) * 0x1p-24`, computed in Float.
    @inlinable
    public static func uniformValue(bits: UInt64, bound: Float) -> Float {
        let u = Float(bits >> 40) * 0x1p-24
        return bound * (2 * u - 1)
    }

    /// Forward, softmax cross-entropy and backward for `batchSize` samples.
    ///
    /// - Parameters:
    ///   - inputs: `batchSize` samples of C·H·W Float32 values each (C, H, W order), back to back.
    ///   - labels: `batchSize` class indices in `0..<classes`.
    ///   - weightGradients: `.dense` writes every gradient into `gradients`; `.outerProducts` (batch size 1 only)
    ///     leaves the weight gradient of each linear layer in factored form, described by `outerProductBlocks`,
    ///     and writes the rest (biases, convolutions) into `gradients`. Both describe the same gradient, value for
    ///     value; the factored form saves writing and re-reading the largest tensors (see `OuterProductBlock`).
    /// - Returns: the mean loss over the batch (nats). `gradients` receives the gradient of this mean (as
    ///   PyTorch's `reduction='mean'`); `lastLosses`, `lastPredictions`, `lastLogits` describe this forward pass
    ///   (before any update). With `computeDiagonalHessian`, `diagonalHessian` is refreshed too.
    /// - Precondition: `1 ≤ batchSize ≤ maxBatchSize`, enough inputs and labels, labels in range; batch size 1
    ///   and no diagonal Hessian for `.outerProducts`.
    @discardableResult
    public func trainStep(inputs: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>, batchSize: Int,
                          weightGradients: WeightGradientForm = .dense) -> Float {
        var x = checkedInputs(inputs, labels, batchSize)
        let factored = weightGradients == .outerProducts
        if factored {
            precondition(batchSize == 1, "factored weight gradients need batch size 1, found \(batchSize)")
            precondition(!computesDiagonalHessian, "factored weight gradients: not with a diagonal Hessian")
            copyFloats(inputCopy, x, input.count)
            x = UnsafePointer(inputCopy)
        }
        gradientsAreFactored = factored
        forward(x, batchSize)
        let last = stages[stages.count - 1]
        let total = Kernels.softmaxCrossEntropy(
            logits: last.output, batch: batchSize, classes: classes, labels: labels.baseAddress!,
            losses: losses, predictions: predictions, gradient: last.gradOutput, hessianFactor: hessianFactor,
            scale: 1 / Float(batchSize))
        let params = UnsafePointer(parameters.baseAddress!)
        let grads = gradients.baseAddress!
        var s = stages.count - 1
        while s >= 0 {
            let stage = stages[s]
            stage.backward(
                input: s == 0 ? x : UnsafePointer(stages[s - 1].output), batch: batchSize, parameters: params,
                gradients: grads, inputGrad: s == 0 ? nil : stages[s - 1].gradOutput, factoredWeights: factored)
            s -= 1
        }
        if let hessian, let hessianFactor, let squaredInput {
            let n = input.count
            Kernels.square(x, count: batchSize * n, into: squaredInput)
            let w = parameterInfo[0], b = parameterInfo[1]
            Kernels.linearBackward(
                x: squaredInput, batch: batchSize, inCount: n, weight: params + w.offset, outCount: classes,
                delta: hessianFactor, weightGrad: hessian + w.offset, biasGrad: hessian + b.offset, inputGrad: nil)
        }
        lastBatchSize = batchSize
        return total / Float(batchSize)
    }

    /// Writes the factored weight gradients of the last `trainStep(…, weightGradients: .outerProducts)` into
    /// `gradients`, which then holds the whole gradient (as after a `.dense` step). Does nothing otherwise.
    public func materializeOuterProducts() {
        guard gradientsAreFactored else { return }
        for block in outerProductBlocks {
            Kernels.outerProduct(rowFactors: block.rowFactors, rows: block.rows, columnFactors: block.columnFactors,
                                 columns: block.columns, into: gradients.baseAddress! + block.offset)
        }
        gradientsAreFactored = false
    }

    /// Forward pass and loss only (evaluation); `gradients` is left untouched. Returns the mean loss.
    @discardableResult
    public func evaluate(inputs: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>, batchSize: Int) -> Float {
        let x = checkedInputs(inputs, labels, batchSize)
        forward(x, batchSize)
        let total = Kernels.softmaxCrossEntropy(
            logits: stages[stages.count - 1].output, batch: batchSize, classes: classes,
            labels: labels.baseAddress!, losses: losses, predictions: predictions, gradient: nil,
            hessianFactor: nil, scale: 1 / Float(batchSize))
        lastBatchSize = batchSize
        return total / Float(batchSize)
    }

    /// Array convenience for `trainStep(inputs:labels:batchSize:)`; the batch size is `labels.count`.
    @discardableResult
    public func trainStep(inputs: [Float], labels: [Int32]) -> Float {
        inputs.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in trainStep(inputs: x, labels: y, batchSize: y.count) }
        }
    }

    /// Array convenience for `evaluate(inputs:labels:batchSize:)`; the batch size is `labels.count`.
    @discardableResult
    public func evaluate(inputs: [Float], labels: [Int32]) -> Float {
        inputs.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in evaluate(inputs: x, labels: y, batchSize: y.count) }
        }
    }

    /// Per-sample cross-entropy (nats) of the last forward pass.
    public var lastLosses: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: losses, count: lastBatchSize)
    }

    /// Per-sample argmax of the logits of the last forward pass (first index on ties).
    public var lastPredictions: UnsafeBufferPointer<Int32> {
        UnsafeBufferPointer(start: predictions, count: lastBatchSize)
    }

    /// Logits of the last forward pass, `[batch, classes]` row-major.
    public var lastLogits: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: stages[stages.count - 1].output, count: lastBatchSize * classes)
    }

    /// Linear model built with `computeDiagonalHessian` only (nil otherwise): the diagonal of the Hessian of the
    /// mean loss of the last `trainStep` with respect to each parameter, same layout as `parameters`:
    /// `(1/B) Σ_b p_bk (1 − p_bk) x_bi²` for `fc.weight[k, i]` and `(1/B) Σ_b p_bk (1 − p_bk)` for `fc.bias[k]`
    /// (p = softmax of the logits). Zero before the first step.
    public var diagonalHessian: UnsafeBufferPointer<Float>? {
        guard let hessian else { return nil }
        return UnsafeBufferPointer(start: hessian, count: parameterCount)
    }

    private func checkedInputs(
        _ inputs: UnsafeBufferPointer<Float>, _ labels: UnsafeBufferPointer<Int32>, _ batchSize: Int
    ) -> UnsafePointer<Float> {
        precondition(batchSize >= 1 && batchSize <= maxBatchSize, "batchSize \(batchSize) not in 1...\(maxBatchSize)")
        precondition(inputs.count >= batchSize * input.count, "inputs: need \(batchSize * input.count) values, found \(inputs.count)")
        precondition(labels.count >= batchSize, "labels: need \(batchSize), found \(labels.count)")
        for b in 0..<batchSize {
            precondition(labels[b] >= 0 && Int(labels[b]) < classes, "label \(labels[b]) not in 0..<\(classes)")
        }
        return inputs.baseAddress!
    }

    private func forward(_ x: UnsafePointer<Float>, _ batchSize: Int) {
        let params = UnsafePointer(parameters.baseAddress!)
        var current = x
        for stage in stages {
            stage.forward(input: current, batch: batchSize, parameters: params)
            current = UnsafePointer(stage.output)
        }
    }
}
