import Foundation
import Testing
@testable import Networks

// Hessian-vector products (R-operator) against (a) central finite differences of the network's own float32
// gradients, (b) the symmetry of the Hessian, (c) batch means of per-sample products. The golden values of an
// independent float32 PyTorch autograd reference are checked in ExactHessianTests (they share its golden problem).

private func dotDouble(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

/// The float32 gradient of the network at `parameters`.
private func gradient(_ network: Network, at parameters: [Float], inputs: [Float], labels: [Int32]) -> [Float] {
    for i in 0..<parameters.count { network.parameters[i] = parameters[i] }
    network.trainStep(inputs: inputs, labels: labels)
    return Array(network.gradients)
}

/// Largest |a − b| relative to the largest |b|.
private func relativeError(_ a: [Float], _ b: [Double]) -> Double {
    let scale = b.map(abs).max() ?? 0
    return zip(a, b).map { abs(Double($0) - $1) }.max()! / max(scale, 1e-30)
}

struct HessianVectorProductTests {
    /// Models and batches: the linear model, a one-hidden-layer and a two-hidden-layer ReLU MLP, batch 1 and 3.
    static let cases: [(spec: String, batch: Int)] = [
        ("linear", 1), ("linear", 3), ("mlp:7", 1), ("mlp:7", 3), ("mlp:9,5", 1), ("mlp:9,5", 4),
    ]

    private static func setup(_ specText: String, batch: Int, seed: UInt64)
        throws -> (Network, HessianVectorProduct, [Float], [Int32], [Float], [Float])
    {
        let spec = try ModelSpec(parsing: specText)
        let network = try Network(spec: spec, input: InputShape(channels: 1, height: 1, width: 10), classes: 4,
                                  maxBatchSize: batch)
        var rng = TestRNG(seed: seed)
        for i in 0..<network.parameterCount { network.parameters[i] = rng.uniform(-0.6, 0.6) }
        let inputs = rng.uniforms(batch * 10, -1, 1)
        let labels = (0..<batch).map { _ in Int32(rng.index(4)) }
        let v = rng.uniforms(network.parameterCount, -1, 1)
        let w = Array(network.parameters)
        return (network, try HessianVectorProduct(network: network), inputs, labels, v, w)
    }

    @Test("H·V equals central differences of the float32 gradient (relative error ≤ 1e-3)", arguments: cases)
    func matchesFiniteDifferences(spec: String, batch: Int) throws {
        let (network, hvp, inputs, labels, v, w) = try Self.setup(spec, batch: batch, seed: 11)
        network.trainStep(inputs: inputs, labels: labels)
        let product = hvp.product(inputs: inputs, batchSize: batch, vector: v)
        let h: Float = 1e-2
        let plus = gradient(network, at: zip(w, v).map { $0 + h * $1 }, inputs: inputs, labels: labels)
        let minus = gradient(network, at: zip(w, v).map { $0 - h * $1 }, inputs: inputs, labels: labels)
        let reference = zip(plus, minus).map { (Double($0) - Double($1)) / (2 * Double(h)) }
        let error = relativeError(product, reference)
        #expect(error <= 1e-3, "\(spec) batch \(batch): relative error \(error)")
        #expect(product.contains { $0 != 0 }, "the product must not vanish")
    }

    @Test("⟨V1, H·V2⟩ = ⟨V2, H·V1⟩ (the Hessian is symmetric)", arguments: cases)
    func symmetric(spec: String, batch: Int) throws {
        let (network, hvp, inputs, labels, v1, _) = try Self.setup(spec, batch: batch, seed: 12)
        var rng = TestRNG(seed: 99)
        let v2 = rng.uniforms(network.parameterCount, -1, 1)
        network.trainStep(inputs: inputs, labels: labels)
        let a = dotDouble(v1, hvp.product(inputs: inputs, batchSize: batch, vector: v2))
        let b = dotDouble(v2, hvp.product(inputs: inputs, batchSize: batch, vector: v1))
        #expect(abs(a - b) <= 1e-5 * max(abs(a), abs(b)), "\(spec): \(a) vs \(b)")
    }

    @Test("the H·V of a batch is the mean of the per-sample H·V's", arguments: [("linear", 3), ("mlp:9,5", 4)])
    func batchIsMeanOfSamples(spec: String, batch: Int) throws {
        let (network, hvp, inputs, labels, v, _) = try Self.setup(spec, batch: batch, seed: 13)
        network.trainStep(inputs: inputs, labels: labels)
        let whole = hvp.product(inputs: inputs, batchSize: batch, vector: v)
        var mean = [Double](repeating: 0, count: v.count)
        for b in 0..<batch {
            let x = Array(inputs[(b * 10)..<((b + 1) * 10)])
            network.trainStep(inputs: x, labels: [labels[b]])
            let one = hvp.product(inputs: x, batchSize: 1, vector: v)
            for i in 0..<v.count { mean[i] += Double(one[i]) / Double(batch) }
        }
        #expect(relativeError(whole, mean) <= 1e-5)
    }

    @Test("the factored batch-1 step leaves the same state for H·V as the dense step")
    func factoredStepGivesSameProduct() throws {
        let (network, hvp, inputs, labels, v, _) = try Self.setup("mlp:9,5", batch: 1, seed: 14)
        network.trainStep(inputs: inputs, labels: labels)
        let dense = hvp.product(inputs: inputs, batchSize: 1, vector: v)
        inputs.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                _ = network.trainStep(inputs: x, labels: y, batchSize: 1, weightGradients: .outerProducts)
            }
        }
        #expect(hvp.product(inputs: inputs, batchSize: 1, vector: v) == dense)
    }

    @Test("simple-cnn: H·V equals central differences of the float32 gradient (relative error ≤ 1e-3), batch 1 and 2",
          arguments: [1, 2])
    func simpleCNNMatchesFiniteDifferences(batch: Int) throws {
        let network = try Network(spec: .simpleCNN, input: InputShape(channels: 2, height: 8, width: 8), classes: 4,
                                  maxBatchSize: batch)
        var rng = TestRNG(seed: 21)
        network.initialize(using: &rng)
        let inputs = rng.uniforms(batch * 128, -1, 1)
        let labels = (0..<batch).map { _ in Int32(rng.index(4)) }
        let v = rng.uniforms(network.parameterCount, -1, 1)
        let w = Array(network.parameters)
        let hvp = try HessianVectorProduct(network: network)
        network.trainStep(inputs: inputs, labels: labels)
        let product = hvp.product(inputs: inputs, batchSize: batch, vector: v)
        // h = 1e-4: with 1e-3 the perturbation of all ~20k parameters moves some ReLU or max-pool kinks.
        let h: Float = 1e-4
        let plus = gradient(network, at: zip(w, v).map { $0 + h * $1 }, inputs: inputs, labels: labels)
        let minus = gradient(network, at: zip(w, v).map { $0 - h * $1 }, inputs: inputs, labels: labels)
        let reference = zip(plus, minus).map { (Double($0) - Double($1)) / (2 * Double(h)) }
        let error = relativeError(product, reference)
        #expect(error <= 1e-3, "simple-cnn batch \(batch): relative error \(error)")
        // Every tensor's block of the product is exercised (conv1, conv2, fc1, fc2).
        for info in network.parameterInfo where info.name.hasSuffix("weight") {
            #expect(product[info.offset..<(info.offset + info.count)].contains { $0 != 0 }, "\(info.name)")
        }
    }

    @Test("simple-cnn: ⟨V1, H·V2⟩ = ⟨V2, H·V1⟩")
    func simpleCNNSymmetric() throws {
        let network = try Network(spec: .simpleCNN, input: InputShape(channels: 2, height: 8, width: 8), classes: 4)
        var rng = TestRNG(seed: 22)
        network.initialize(using: &rng)
        let inputs = rng.uniforms(128, -1, 1)
        let v1 = rng.uniforms(network.parameterCount, -1, 1), v2 = rng.uniforms(network.parameterCount, -1, 1)
        let hvp = try HessianVectorProduct(network: network)
        network.trainStep(inputs: inputs, labels: [1])
        let a = dotDouble(v1, hvp.product(inputs: inputs, batchSize: 1, vector: v2))
        let b = dotDouble(v2, hvp.product(inputs: inputs, batchSize: 1, vector: v1))
        #expect(abs(a - b) <= 1e-5 * max(abs(a), abs(b)), "\(a) vs \(b)")
    }
}
