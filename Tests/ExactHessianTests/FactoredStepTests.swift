import Testing
@testable import MetaOptimize
import Networks
import SIMDSupport

// The batch-1 factored exact step (gradient and Hessian-vector products of the linear layers formed in the pass)
// against the dense one: the same numbers, bit for bit.

/// The deterministic generator of the derivative-property tests (SplitMix64).
private typealias Mix = SystemRandomNumberGeneratorReplacement

private func makeNetwork(_ spec: ModelSpec, _ input: InputShape) throws -> Network {
    let network = try Network(spec: spec, input: input, classes: 10)
    var generator = Mix(seed: 7)
    network.initialize(using: &generator)
    return network
}

/// Sample t: values in [−1, 1), a third of them exactly 0 (so some first-layer products vanish).
private func sample(_ t: Int, count: Int) -> [Float] {
    var generator = Mix(seed: UInt64(1000 + t))
    return (0..<count).map { i in i % 3 == 0 ? 0 : Float(Int(generator.next() >> 41)) * 0x1p-22 - 1 }
}

struct FactoredStepTests {
    static let models: [(ModelSpec, InputShape)] = [
        (.mlp(hidden: [16, 8]), InputShape(channels: 1, height: 4, width: 8)),
        (.simpleCNN, InputShape(channels: 3, height: 8, width: 8)),
    ]

    @Test("factored H·V (biases and conv written, linear weights as R{δ}·xᵀ + δ·R{x}ᵀ) equals the dense H·V bit for bit",
          arguments: [0, 1])
    func factoredProductMatchesDense(model: Int) throws {
        let (spec, input) = Self.models[model]
        let network = try makeNetwork(spec, input)
        let dense = try HessianVectorProduct(network: network)
        let factored = try HessianVectorProduct(network: network, columns: 2)
        let n = network.parameterCount
        for t in 0..<4 {
            let x = sample(t, count: input.count)
            let label = [Int32(t % 10)]
            _ = x.withUnsafeBufferPointer { xp in
                label.withUnsafeBufferPointer { network.trainStep(inputs: xp, labels: $0, batchSize: 1, weightGradients: .outerProducts) }
            }
            var generator = Mix(seed: UInt64(50 + t))
            let vector = (0..<n).map { _ in Float(Int(generator.next() >> 41)) * 0x1p-22 - 1 }
            let expected = dense.product(inputs: x, batchSize: 1, vector: vector)
            for column in 0..<2 {
                var result = [Float](repeating: .nan, count: n)
                x.withUnsafeBufferPointer { xp in vector.withUnsafeBufferPointer { vp in result.withUnsafeMutableBufferPointer {
                    factored.factoredProduct(inputs: xp, vector: vp.baseAddress!, column: column, into: $0.baseAddress!)
                }}}
                // Form the factored blocks by their definition, from the gradient's factors.
                let gradientBlocks = network.outerProductBlocks
                #expect(factored.tangentBlocks[column].count == gradientBlocks.count)
                for (tangent, gradient) in zip(factored.tangentBlocks[column], gradientBlocks) {
                    #expect(tangent.matches(gradient))
                    for r in 0..<tangent.rows {
                        let row = OuterProductTangentRow(tangent, delta: gradient.rowFactors, row: r)
                        var c = 0
                        while c < tangent.columns {
                            let lanes = row.lanes(x: load8(gradient.columnFactors + c), at: c)
                            for k in 0..<8 { result[tangent.offset + r * tangent.columns + c + k] = lanes[k] }
                            c += 8
                        }
                    }
                }
                #expect(result.map(\.bitPattern) == expected.map(\.bitPattern), "model \(spec), step \(t), column \(column)")
            }
        }
    }

    static let cases: [(BaseRule, MetaRule, Granularity, HessianApproximation)] = [
        BaseRule.sgd, .sgdm, .rmsprop, .adamw, .adagrad, .lion,
    ].flatMap { base in
        [(MetaRule.adam, Granularity.scalar, HessianApproximation.twoByTwo), (.adam, .lastLayerAndOthers, .twoByTwo),
         (.sgd, .scalar, .l), (.sgd, .lastLayerAndOthers, .l), (.rmsprop, .scalar, .twoByTwo)]
            .map { (base, $0.0, $0.1, $0.2) }
    }

    @Test("exact step at batch 1: factored (formed in the pass) == dense (materialised) for weights, β, z every step",
          arguments: cases)
    func factoredStepIsBitIdentical(base: BaseRule, meta: MetaRule, granularity: Granularity,
                                    approximation: HessianApproximation) throws {
        for (spec, input) in Self.models {
            let config = OptimizerConfiguration(base: base, alpha0: 3e-2, weightDecay: 0.1, meta: meta,
                                                metaStepSize: 1e-2, gamma: 0.999, granularity: granularity)
            let a = try makeNetwork(spec, input), b = try makeNetwork(spec, input)
            let tensors = a.parameterInfo.map { TensorDescriptor(name: $0.name, shape: $0.shape) }
            let productsA = try HessianVectorProduct(network: a), productsB = try HessianVectorProduct(network: b)
            var current: [Float] = []
            let dense = try ExactHessianMetaOptimizer(
                tensors: tensors, configuration: config, approximation: approximation, totalSteps: 40,
                oracle: { v, r in current.withUnsafeBufferPointer { productsA.product(inputs: $0, batchSize: 1, vector: v, into: r) } })
            let fused = try ExactHessianMetaOptimizer(
                tensors: tensors, configuration: config, approximation: approximation, totalSteps: 40,
                oracle: { v, r in current.withUnsafeBufferPointer { productsB.product(inputs: $0, batchSize: 1, vector: v, into: r) } })
            let factored = try HessianVectorProduct(network: b, columns: fused.groupCount)
            fused.useFactoredProducts(FactoredHessianVectorProducts(blocks: factored.tangentBlocks) { v, j, r in
                current.withUnsafeBufferPointer { factored.factoredProduct(inputs: $0, vector: v, column: j, into: r) }
            })
            for t in 0..<40 {
                current = sample(t, count: input.count)
                let label = [Int32(t % 10)]
                let lossA = current.withUnsafeBufferPointer { x in
                    label.withUnsafeBufferPointer { a.trainStep(inputs: x, labels: $0, batchSize: 1) }
                }
                let lossB = current.withUnsafeBufferPointer { x in
                    label.withUnsafeBufferPointer { b.trainStep(inputs: x, labels: $0, batchSize: 1, weightGradients: .outerProducts) }
                }
                let okA = dense.step(weights: a.parameters, gradients: UnsafeBufferPointer(a.gradients), loss: lossA)
                let okB = fused.step(weights: b.parameters, gradients: b.gradients, outerProducts: b.outerProductBlocks,
                                     loss: lossB)
                #expect(okA == okB)
                #expect(fused.lastStepFormedOuterProducts || !okB)
                let same = Array(a.parameters).map(\.bitPattern) == Array(b.parameters).map(\.bitPattern)
                    && dense.logStepSizes.map(\.bitPattern) == fused.logStepSizes.map(\.bitPattern)
                    && dense.metaGradients.map(\.bitPattern) == fused.metaGradients.map(\.bitPattern)
                #expect(same, "\(spec) step \(t + 1)")
                if !same || !okA { break }
            }
            #expect(dense.metaGradients.contains { $0 != 0 } || dense.divergedAtStep != nil)
        }
    }

    @Test("without factored products, or with a non-finite factor, the outer-product step materialises (and still agrees)")
    func fallsBackToDense() throws {
        let (spec, input) = Self.models[0]
        let network = try makeNetwork(spec, input)
        let tensors = network.parameterInfo.map { TensorDescriptor(name: $0.name, shape: $0.shape) }
        let products = try HessianVectorProduct(network: network)
        var current = sample(0, count: input.count)
        let config = OptimizerConfiguration(base: .adamw, alpha0: 1e-2, meta: .adam, metaStepSize: 1e-3)
        let optimizer = try ExactHessianMetaOptimizer(
            tensors: tensors, configuration: config, totalSteps: 4,
            oracle: { v, r in current.withUnsafeBufferPointer { products.product(inputs: $0, batchSize: 1, vector: v, into: r) } })
        let label: [Int32] = [3]
        let loss = current.withUnsafeBufferPointer { x in
            label.withUnsafeBufferPointer { network.trainStep(inputs: x, labels: $0, batchSize: 1, weightGradients: .outerProducts) }
        }
        #expect(optimizer.step(weights: network.parameters, gradients: network.gradients,
                               outerProducts: network.outerProductBlocks, loss: loss))
        #expect(!optimizer.lastStepFormedOuterProducts)
        let factored = try HessianVectorProduct(network: network)
        optimizer.useFactoredProducts(FactoredHessianVectorProducts(blocks: factored.tangentBlocks) { v, j, r in
            current.withUnsafeBufferPointer { factored.factoredProduct(inputs: $0, vector: v, column: j, into: r) }
        })
        current = sample(1, count: input.count)
        current[5] = .infinity
        let loss2 = current.withUnsafeBufferPointer { x in
            label.withUnsafeBufferPointer { network.trainStep(inputs: x, labels: $0, batchSize: 1, weightGradients: .outerProducts) }
        }
        _ = optimizer.step(weights: network.parameters, gradients: network.gradients,
                           outerProducts: network.outerProductBlocks, loss: loss2)
        #expect(!optimizer.lastStepFormedOuterProducts)
        #expect(optimizer.divergedAtStep == 2)
    }
}
