import Foundation
import Testing
@testable import Networks

struct ParameterLayoutTests {
    @Test("simple-cnn 3×32×32 has the paper's 8 tensors: 268,650 parameters for K = 10 and 269,940 for K = 20")
    func simpleCNNLayout() throws {
        let net = try Network(spec: .simpleCNN, input: InputShape(channels: 3, height: 32, width: 32), classes: 10)
        #expect(net.parameterInfo.map(\.name) == [
            "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias",
        ])
        #expect(net.parameterInfo.map(\.shape) == [[16, 3, 3, 3], [16], [32, 16, 3, 3], [32], [128, 2048], [128], [10, 128], [10]])
        #expect(net.parameterInfo.map(\.fanIn) == [27, 27, 144, 144, 2048, 2048, 128, 128])
        #expect(net.parameterCount == 268_650)
        let k20 = try Network(spec: .simpleCNN, input: InputShape(channels: 3, height: 32, width: 32), classes: 20)
        #expect(k20.parameterCount == 269_940)
        let mnist = try Network(spec: .simpleCNN, input: InputShape(channels: 1, height: 28, width: 28), classes: 10)
        #expect(mnist.parameterInfo[4].shape == [128, 32 * 7 * 7])
        #expect(mnist.parameterInfo[0].shape == [16, 1, 3, 3])
    }

    @Test("mlp 784-256-256-10 has tensors layers.0 … layers.2 (output last) and 269,322 parameters")
    func mlpLayout() throws {
        let net = try Network(spec: .mlp(hidden: [256, 256]), input: InputShape(channels: 1, height: 28, width: 28), classes: 10)
        #expect(net.parameterInfo.map(\.name) == [
            "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight", "layers.2.bias",
        ])
        #expect(net.parameterInfo.map(\.shape) == [[256, 784], [256], [256, 256], [256], [10, 256], [10]])
        #expect(net.parameterCount == 269_322)
    }

    @Test("linear has fc.weight [classes, C·H·W] and fc.bias [classes]")
    func linearLayout() throws {
        let net = try Network(spec: .linear, input: InputShape(channels: 3, height: 4, width: 5), classes: 7)
        #expect(net.parameterInfo.map(\.name) == ["fc.weight", "fc.bias"])
        #expect(net.parameterInfo.map(\.shape) == [[7, 60], [7]])
        #expect(net.parameterCount == 7 * 60 + 7)
    }

    @Test("tensors are back to back in one buffer: offsets are running sums of counts; gradients have the same size",
          arguments: [ModelSpec.linear, .mlp(hidden: [5, 3]), .simpleCNN])
    func offsetsAreContiguous(spec: ModelSpec) throws {
        let net = try Network(spec: spec, input: InputShape(channels: 2, height: 8, width: 8), classes: 3)
        var expected = 0
        for info in net.parameterInfo {
            #expect(info.offset == expected)
            #expect(info.count == info.shape.reduce(1, *))
            expected += info.count
        }
        #expect(expected == net.parameterCount)
        #expect(net.parameters.count == net.parameterCount && net.gradients.count == net.parameterCount)
    }

    @Test("invalid constructions are errors: H or W not divisible by 4, < 2 classes, empty batch, Hessian for an mlp")
    func invalidConstruction() {
        let odd = InputShape(channels: 3, height: 30, width: 32)
        #expect(throws: NetworkError.inputNotDivisibleBy4(odd)) { try Network(spec: .simpleCNN, input: odd, classes: 10) }
        let ok = InputShape(channels: 1, height: 8, width: 8)
        #expect(throws: NetworkError.invalidClassCount(1)) { try Network(spec: .linear, input: ok, classes: 1) }
        #expect(throws: NetworkError.invalidMaxBatchSize(0)) { try Network(spec: .linear, input: ok, classes: 2, maxBatchSize: 0) }
        let empty = InputShape(channels: 0, height: 8, width: 8)
        #expect(throws: NetworkError.invalidInputShape(empty)) { try Network(spec: .linear, input: empty, classes: 2) }
        #expect(throws: NetworkError.diagonalHessianUnsupported(.mlp(hidden: [4]))) {
            try Network(spec: .mlp(hidden: [4]), input: ok, classes: 2, computeDiagonalHessian: true)
        }
        #expect(throws: NetworkError.self) { try Network(spec: .mlp(hidden: [0]), input: ok, classes: 2) }
        // A flat model accepts any shape (30×32 is fine for an MLP).
        #expect(throws: Never.self) { try Network(spec: .mlp(hidden: [4]), input: odd, classes: 2) }
    }
}

/// Generator replaying a fixed list of outputs (then zeros).
private struct ReplayGenerator: RandomNumberGenerator {
    var values: [UInt64]
    var index = 0
    mutating func next() -> UInt64 {
        defer { index += 1 }
        return index < values.count ? values[index] : 0
    }
}

struct InitializationTests {
    @Test("the default-init bounds 1/√fan_in equal the spec's values for SimpleCNN (27, 144, 2048, 128)")
    func boundsMatchSpec() {
        #expect(abs(Network.initializationBound(fanIn: 27) - 0.19245009) < 1e-7)
        #expect(abs(Network.initializationBound(fanIn: 144) - 0.08333333) < 1e-7)
        #expect(abs(Network.initializationBound(fanIn: 2048) - 0.02209709) < 1e-7)
        #expect(abs(Network.initializationBound(fanIn: 128) - 0.08838835) < 1e-7)
    }

    @Test("documented conversion at the extremes: r = 0 → −b, r = 2^63 → 0, r = 2^64 − 1 → b·(1 − 2^−23)")
    func conversionExtremes() throws {
        // Linear model on 4 inputs: fan_in 4, b = 0.5; fc.weight has 2·4 elements then fc.bias 2.
        let net = try Network(spec: .linear, input: InputShape(channels: 1, height: 1, width: 4), classes: 2)
        var generator = ReplayGenerator(values: [0, 1 << 63, UInt64.max, 1 << 40, 0xFFFF_FF00_0000_0000])
        net.initialize(using: &generator)
        #expect(generator.index == 10)  // exactly one draw per element
        #expect(net.parameters[0] == -0.5)
        #expect(net.parameters[1] == 0)
        #expect(net.parameters[2] == 0.5 * (1 - 0x1p-23))
        #expect(net.parameters[3] == 0.5 * (2 * 0x1p-24 - 1))
        #expect(net.parameters[4] == 0.5 * (2 * (Float(0xFF_FFFF) * 0x1p-24) - 1))
        #expect(net.parameters[5] == -0.5)  // replay exhausted: r = 0
    }

    @Test("every element follows value = Float(b)·(2u − 1), u = Float(r >> 40)·2^−24, in tensor order then memory order",
          arguments: [ModelSpec.linear, .mlp(hidden: [7, 5]), .simpleCNN])
    func drawsFollowDocumentedFormula(spec: ModelSpec) throws {
        let net = try Network(spec: spec, input: InputShape(channels: 2, height: 8, width: 8), classes: 3)
        var generator = TestRNG(seed: 42)
        net.initialize(using: &generator)
        var replay = TestRNG(seed: 42)
        for info in net.parameterInfo {
            let b = Float(1 / sqrt(Double(info.fanIn)))
            for j in 0..<info.count {
                let r = replay.next()
                let u = Float(r >> 40) * 0x1p-24
                let expected = b * (2 * u - 1)
                #expect(net.parameters[info.offset + j] == expected, "\(info.name)[\(j)]")
                if net.parameters[info.offset + j] != expected { return }
            }
        }
    }

    @Test("initial values of each SimpleCNN tensor lie in [−b, b] and fill the range")
    func valuesWithinBounds() throws {
        let net = try Network(spec: .simpleCNN, input: InputShape(channels: 3, height: 32, width: 32), classes: 10)
        var generator = TestRNG(seed: 7)
        net.initialize(using: &generator)
        for info in net.parameterInfo {
            let b = Network.initializationBound(fanIn: info.fanIn)
            let values = net.parameters[info.offset..<(info.offset + info.count)]
            #expect(values.allSatisfy { $0 >= -b && $0 <= b }, "\(info.name)")
            if info.count >= 100 {
                #expect(values.max()! > 0.9 * b && values.min()! < -0.9 * b, "\(info.name) spread")
                let mean = values.reduce(0, +) / Float(info.count)
                #expect(abs(mean) < 0.2 * b, "\(info.name) mean")
            }
        }
    }
}

/// Trains one step on random data and compares the loss, logits and gradients with the Double reference
/// (gradients by central differences of the reference's mean loss).
private func checkGradients(
    spec: ModelSpec, input: InputShape, classes: Int, batch: Int, seed: UInt64,
    elementsPerTensor: Int?, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let net = try Network(spec: spec, input: input, classes: classes, maxBatchSize: batch)
    var rng = TestRNG(seed: seed)
    net.initialize(using: &rng)
    let x = rng.uniforms(batch * input.count, -1, 1)
    let labels = (0..<batch).map { _ in Int32(rng.index(classes)) }
    let loss = net.trainStep(inputs: x, labels: labels)
    let reference = ReferenceModel(spec: spec, input: input, classes: classes)
    let p = net.parameterArray.map(Double.init)
    let xd = x.map(Double.init)
    let (referenceLoss, referenceLogits) = reference.loss(parameters: p, inputs: xd, labels: labels)
    #expect(abs(Double(loss) - referenceLoss) <= 1e-5 * max(1, referenceLoss), "loss", sourceLocation: sourceLocation)
    for b in 0..<batch {
        for k in 0..<classes {
            #expect(abs(Double(net.lastLogits[b * classes + k]) - referenceLogits[b][k]) <= 1e-5,
                    "logit[\(b), \(k)]", sourceLocation: sourceLocation)
        }
    }
    let gradients = net.gradientArray
    let scale = gradients.map { abs(Double($0)) }.max()!
    #expect(scale > 0, sourceLocation: sourceLocation)
    for info in net.parameterInfo {
        var indices = Array(0..<info.count)
        if let limit = elementsPerTensor, info.count > limit {
            indices = (0..<limit).map { _ in rng.index(info.count) }
        }
        for j in indices {
            let index = info.offset + j
            let fd = centralDifference(
                { reference.loss(parameters: $0, inputs: xd, labels: labels).mean }, at: p, index: index, step: 1e-6)
            let error = abs(Double(gradients[index]) - fd)
            #expect(error <= 1e-4 * abs(fd) + 1e-6 * scale,
                    "\(spec) batch \(batch): \(info.name)[\(j)] analytic \(gradients[index]) vs finite difference \(fd)",
                    sourceLocation: sourceLocation)
        }
    }
}

struct GradientCheckTests {
    @Test("linear model gradients equal central differences of the mean loss (every parameter)", arguments: [1, 3])
    func linearModel(batch: Int) throws {
        try checkGradients(
            spec: .linear, input: InputShape(channels: 1, height: 3, width: 5), classes: 4, batch: batch,
            seed: 100 + UInt64(batch), elementsPerTensor: nil)
    }

    @Test("mlp gradients equal central differences of the mean loss (every parameter)", arguments: [1, 4])
    func mlpModel(batch: Int) throws {
        try checkGradients(
            spec: .mlp(hidden: [9, 6]), input: InputShape(channels: 1, height: 2, width: 11), classes: 3, batch: batch,
            seed: 200 + UInt64(batch), elementsPerTensor: nil)
    }

    @Test("simple-cnn 2×8×8 gradients equal central differences (biases fully, 25 elements per weight)",
          arguments: [1, 2])
    func smallCNN(batch: Int) throws {
        try checkGradients(
            spec: .simpleCNN, input: InputShape(channels: 2, height: 8, width: 8), classes: 5, batch: batch,
            seed: 300 + UInt64(batch), elementsPerTensor: 25)
    }

    @Test("simple-cnn at the smallest size 1×4×4 (conv2 on 2×2, one pooled pixel) at batch 3")
    func smallestCNN() throws {
        try checkGradients(
            spec: .simpleCNN, input: InputShape(channels: 1, height: 4, width: 4), classes: 3, batch: 3,
            seed: 350, elementsPerTensor: 30)
    }

    @Test("simple-cnn 3×32×32 (CIFAR shape) spot-check: logits, loss and 5 gradient elements per tensor")
    func cifarCNN() throws {
        try checkGradients(
            spec: .simpleCNN, input: InputShape(channels: 3, height: 32, width: 32), classes: 10, batch: 1,
            seed: 400, elementsPerTensor: 5)
    }

    @Test("simple-cnn 1×28×28 (MNIST shape, odd pooled widths 14 and 7) spot-check at batch 2")
    func mnistCNN() throws {
        try checkGradients(
            spec: .simpleCNN, input: InputShape(channels: 1, height: 28, width: 28), classes: 10, batch: 2,
            seed: 500, elementsPerTensor: 4)
    }
}

struct NetworkBehaviourTests {
    @Test("hand-computed linear example: W = [[1,2],[3,4]], b = [0.5,−0.5], x = [1,−1], y = 0")
    func handComputedLinear() throws {
        let net = try Network(spec: .linear, input: InputShape(channels: 1, height: 1, width: 2), classes: 2)
        net.setParameters([1, 2, 3, 4, 0.5, -0.5])
        let loss = net.trainStep(inputs: [1, -1], labels: [0])
        // logits = [1 − 2 + 0.5, 3 − 4 − 0.5] = [−0.5, −1.5]; loss = log(1 + e^−1); p1 = 1/(1 + e) = 0.2689414213699951.
        #expect(Array(net.lastLogits) == [-0.5, -1.5])
        #expect(abs(Double(loss) - 0.31326168751822286) < 1e-7)
        let p1: Float = 0.2689414213699951
        let expected: [Float] = [-p1, p1, p1, -p1, -p1, p1]  // dW = (p − e_y) xᵀ, db = p − e_y
        for i in 0..<6 { #expect(abs(net.gradients[i] - expected[i]) < 1e-7, "gradient[\(i)]") }
        #expect(Array(net.lastPredictions) == [0])
    }

    @Test("flatten is in C, H, W order: fc1 input j = c·(H/4)(W/4) + h·(W/4) + w")
    func flattenOrder() throws {
        // 1×8×8 input with constant quadrants (top-left 1, top-right 2, bottom-left 3, bottom-right 4). conv1 and conv2
        // pass channel 0 through (centre tap 1); after two 2×2 pools channel 0 is the 2×2 map [[1, 2], [3, 4]] and
        // every other channel is 0. fc1 unit u reads flat index u (u < 4), fc2 is the identity on 4 classes, so the
        // logits are the flattened features 0…3: [1, 2, 3, 4] in C, H, W order. In H, W, C order indices 1…3 would
        // be channels 1…3 of pixel (0, 0), all 0.
        let net = try Network(spec: .simpleCNN, input: InputShape(channels: 1, height: 8, width: 8), classes: 4)
        var p = [Float](repeating: 0, count: net.parameterCount)
        let info = Dictionary(uniqueKeysWithValues: net.parameterInfo.map { ($0.name, $0) })
        p[info["conv1.weight"]!.offset + 4] = 1                     // conv1[0, 0, 1, 1]
        p[info["conv2.weight"]!.offset + 4] = 1                     // conv2[0, 0, 1, 1]
        let fc1 = info["fc1.weight"]!
        for u in 0..<4 { p[fc1.offset + u * 128 + u] = 1 }          // fc1[u, u]
        let fc2 = info["fc2.weight"]!
        for u in 0..<4 { p[fc2.offset + u * 128 + u] = 1 }          // fc2[u, u]
        net.setParameters(p)
        var x = [Float](repeating: 0, count: 64)
        for r in 0..<8 { for c in 0..<8 { x[r * 8 + c] = Float(1 + (r / 4) * 2 + c / 4) } }
        net.evaluate(inputs: x, labels: [0])
        #expect(Array(net.lastLogits) == [1, 2, 3, 4])
        #expect(Array(net.lastPredictions) == [3])
    }

    @Test("a batch's loss is the mean of per-sample losses and its gradient the mean of per-sample gradients")
    func batchIsMeanOfSamples() throws {
        let input = InputShape(channels: 2, height: 8, width: 8)
        let batchNet = try Network(spec: .simpleCNN, input: input, classes: 5, maxBatchSize: 3)
        let singleNet = try Network(spec: .simpleCNN, input: input, classes: 5)
        var rng = TestRNG(seed: 9)
        batchNet.initialize(using: &rng)
        singleNet.setParameters(batchNet.parameterArray)
        let x = rng.uniforms(3 * input.count, -1, 1)
        let labels: [Int32] = [4, 0, 2]
        let loss = batchNet.trainStep(inputs: x, labels: labels)
        let losses = Array(batchNet.lastLosses)
        #expect(losses.count == 3)
        #expect(abs(loss - losses.reduce(0, +) / 3) < 1e-6)
        var mean = [Double](repeating: 0, count: singleNet.parameterCount)
        for b in 0..<3 {
            let single = singleNet.trainStep(inputs: Array(x[(b * input.count)..<((b + 1) * input.count)]), labels: [labels[b]])
            #expect(abs(single - losses[b]) < 1e-6)
            for i in 0..<mean.count { mean[i] += Double(singleNet.gradients[i]) / 3 }
        }
        let scale = mean.map(abs).max()!
        for i in 0..<mean.count {
            #expect(abs(Double(batchNet.gradients[i]) - mean[i]) <= 1e-5 * scale, "gradient[\(i)]")
        }
    }

    @Test("evaluate matches trainStep's forward pass and leaves the gradients untouched")
    func evaluateIsForwardOnly() throws {
        let input = InputShape(channels: 1, height: 4, width: 4)
        let net = try Network(spec: .mlp(hidden: [8]), input: input, classes: 3, maxBatchSize: 2)
        var rng = TestRNG(seed: 5)
        net.initialize(using: &rng)
        let x = rng.uniforms(2 * 16, -1, 1)
        let trainLoss = net.trainStep(inputs: x, labels: [1, 2])
        let trainLogits = Array(net.lastLogits), trainLosses = Array(net.lastLosses)
        let gradients = net.gradientArray
        let evalLoss = net.evaluate(inputs: x, labels: [1, 2])
        #expect(evalLoss == trainLoss)
        #expect(Array(net.lastLogits) == trainLogits && Array(net.lastLosses) == trainLosses)
        #expect(net.gradientArray == gradients)
        // Predictions are the argmax of the logits.
        for b in 0..<2 {
            let row = trainLogits[(b * 3)..<(b * 3 + 3)]
            #expect(Int(net.lastPredictions[b]) == row.firstIndex(of: row.max()!)! - b * 3)
        }
    }

    @Test("same parameters and inputs give bit-identical losses and gradients, on repeated steps and across networks")
    func deterministic() throws {
        let input = InputShape(channels: 3, height: 8, width: 8)
        func run() throws -> (Float, [Float], [Float]) {
            let net = try Network(spec: .simpleCNN, input: input, classes: 4, maxBatchSize: 2)
            var rng = TestRNG(seed: 77)
            net.initialize(using: &rng)
            let x = rng.uniforms(2 * input.count, 0, 1)
            let first = net.trainStep(inputs: x, labels: [1, 3])
            let firstGradients = net.gradientArray
            let second = net.trainStep(inputs: x, labels: [1, 3])
            #expect(first == second && net.gradientArray == firstGradients)
            return (first, firstGradients, Array(net.lastLogits))
        }
        let a = try run(), b = try run()
        #expect(a.0 == b.0 && a.1 == b.1 && a.2 == b.2)
    }

    @Test("the canonical buffer is the truth: an in-place parameter change is seen by the next forward pass")
    func parametersAreCanonical() throws {
        let input = InputShape(channels: 1, height: 4, width: 4)
        let net = try Network(spec: .simpleCNN, input: input, classes: 3)
        var rng = TestRNG(seed: 8)
        net.initialize(using: &rng)
        let x = rng.uniforms(16, 0, 1)
        net.evaluate(inputs: x, labels: [0])
        let before = Array(net.lastLogits)
        net.parameters[net.parameterCount - 1] += 1  // fc2.bias[2]
        net.evaluate(inputs: x, labels: [0])
        #expect(net.lastLogits[2] == before[2] + 1)
        #expect(net.lastLogits[0] == before[0] && net.lastLogits[1] == before[1])
    }

    @Test("huge logits through a network give a finite loss (log-sum-exp), not inf or NaN")
    func hugeLogitsThroughNetwork() throws {
        let net = try Network(spec: .linear, input: InputShape(channels: 1, height: 1, width: 1), classes: 3)
        net.setParameters([1e4, -1e4, 0, 0, 0, 0])
        let loss = net.trainStep(inputs: [1], labels: [2])
        // logits (1e4, −1e4, 0), label 2: loss = 1e4 + log(1 + e^−1e4 + e^−2e4) = 1e4.
        #expect(loss == 1e4)
        #expect(net.gradientArray.allSatisfy { $0.isFinite })
        #expect(net.gradients[0] == 1 && net.gradients[2] == -1)
    }
}

struct DiagonalHessianTests {
    @Test("linear diagonal Hessian equals the second central difference of the mean loss", arguments: [1, 3])
    func matchesSecondDifferences(batch: Int) throws {
        let input = InputShape(channels: 1, height: 2, width: 3)
        let net = try Network(spec: .linear, input: input, classes: 4, maxBatchSize: batch, computeDiagonalHessian: true)
        var rng = TestRNG(seed: 60 + UInt64(batch))
        net.initialize(using: &rng)
        let x = rng.uniforms(batch * input.count, -2, 2)
        let labels = (0..<batch).map { _ in Int32(rng.index(4)) }
        net.trainStep(inputs: x, labels: labels)
        let hessian = try #require(net.diagonalHessian)
        #expect(hessian.count == net.parameterCount)
        let reference = ReferenceModel(spec: .linear, input: input, classes: 4)
        let p = net.parameterArray.map(Double.init), xd = x.map(Double.init)
        func f(_ q: [Double]) -> Double { reference.loss(parameters: q, inputs: xd, labels: labels).mean }
        let h = 1e-4
        for i in 0..<net.parameterCount {
            var plus = p, minus = p
            plus[i] += h; minus[i] -= h
            let second = (f(plus) - 2 * f(p) + f(minus)) / (h * h)
            #expect(abs(Double(hessian[i]) - second) <= 1e-4 + 1e-3 * abs(second), "H[\(i)]: \(hessian[i]) vs \(second)")
        }
    }

    @Test("diagonalHessian is nil unless requested")
    func nilUnlessRequested() throws {
        let input = InputShape(channels: 1, height: 2, width: 2)
        #expect(try Network(spec: .linear, input: input, classes: 2).diagonalHessian == nil)
        #expect(try Network(spec: .mlp(hidden: [3]), input: input, classes: 2).diagonalHessian == nil)
    }
}

struct FactoredGradientTests {
    /// One `.dense` and one `.outerProducts` step of two identical networks on the same sample.
    func pair(_ spec: ModelSpec, _ input: InputShape, classes: Int, seed: UInt64) throws -> (Network, Network, Float, Float) {
        let dense = try Network(spec: spec, input: input, classes: classes)
        let factored = try Network(spec: spec, input: input, classes: classes)
        var rng = TestRNG(seed: seed)
        dense.initialize(using: &rng)
        factored.parameters.baseAddress!.update(from: dense.parameters.baseAddress!, count: dense.parameterCount)
        let x = rng.uniforms(input.count, -1, 1)
        let label = Int32(rng.index(classes))
        let lossDense = dense.trainStep(inputs: x, labels: [label])
        let lossFactored = x.withUnsafeBufferPointer { xp in
            [label].withUnsafeBufferPointer { factored.trainStep(inputs: xp, labels: $0, batchSize: 1, weightGradients: .outerProducts) }
        }
        return (dense, factored, lossDense, lossFactored)
    }

    @Test("outerProducts: same loss; biases and convolution gradients written as in dense; the materialised blocks equal the dense gradient bit for bit; blocks describe every linear weight")
    func factoredEqualsDense() throws {
        let cases: [(ModelSpec, InputShape, Int)] = [
            (.mlp(hidden: [64, 32]), InputShape(channels: 1, height: 8, width: 8), 10),
            (.mlp(hidden: [13, 7]), InputShape(channels: 1, height: 5, width: 5), 3),
            (.linear, InputShape(channels: 1, height: 6, width: 6), 4),
            (.simpleCNN, InputShape(channels: 3, height: 8, width: 8), 10),
        ]
        for (spec, input, classes) in cases {
            for seed: UInt64 in [1, 2, 3] {
                let (dense, factored, l1, l2) = try pair(spec, input, classes: classes, seed: seed)
                #expect(l1.bitPattern == l2.bitPattern)
                let weights = dense.parameterInfo.filter { $0.shape.count == 2 }
                #expect(factored.outerProductBlocks.map(\.offset) == weights.map(\.offset))
                #expect(factored.outerProductBlocks.map { [$0.rows, $0.columns] } == weights.map(\.shape))
                #expect(factored.gradientsAreFactored)
                // Outside the blocks the gradient is already complete.
                var inBlock = [Bool](repeating: false, count: dense.parameterCount)
                for b in factored.outerProductBlocks { for i in b.offset ..< b.offset + b.count { inBlock[i] = true } }
                let outside = (0 ..< dense.parameterCount).filter { !inBlock[$0] }
                #expect(outside.map { dense.gradients[$0].bitPattern } == outside.map { factored.gradients[$0].bitPattern })
                // Each block by its documented rule, then materialised.
                for b in factored.outerProductBlocks {
                    for r in 0 ..< b.rows {
                        for c in 0 ..< b.columns {
                            let expected: Float = b.rowFactors[r] == 0 ? 0 : b.rowFactors[r] * b.columnFactors[c]
                            if expected.bitPattern != dense.gradients[b.offset + r * b.columns + c].bitPattern {
                                Issue.record("\(spec) block \(b.offset) (\(r), \(c))")
                                return
                            }
                        }
                    }
                }
                factored.materializeOuterProducts()
                #expect(!factored.gradientsAreFactored)
                #expect(dense.gradients.map(\.bitPattern) == factored.gradients.map(\.bitPattern), "\(spec)")
            }
        }
    }

    @Test("A dead ReLU unit's weight row is exactly +0 in the dense gradient (not −0 for negative inputs)")
    func deadRowsArePositiveZero() throws {
        let net = try Network(spec: .mlp(hidden: [16]), input: InputShape(channels: 1, height: 1, width: 8), classes: 2)
        var rng = TestRNG(seed: 9)
        net.initialize(using: &rng)
        // Kill hidden unit 0 with a large negative bias; every input is negative.
        net.parameters[16 * 8] = -100
        net.trainStep(inputs: [Float](repeating: -1, count: 8), labels: [1])
        #expect((0 ..< 8).allSatisfy { net.gradients[$0].bitPattern == 0 })
    }
}
