import Foundation
import MetaOptimize
import Networks

// The golden problem of metaoptimize-hessian.md §6: 8 samples of metaoptimize.md §7.2, batch 1, softmax
// cross-entropy, the `lin` (4 → 3) and `mlp` (4-3-3, ReLU) models with deterministic weights.

/// x_k = sin(0.37(t+1)(k+1)) + 0.5·cos(1.3t + k), k = 0..3, cast to Float.
func goldenSample(_ t: Int) -> [Float] {
    (0..<4).map { k in Float(sin(0.37 * Double(t + 1) * Double(k + 1)) + 0.5 * cos(1.3 * Double(t) + Double(k))) }
}

/// argmax_i Σ_j cos(i + 2j)·x_j over 3 classes.
func goldenLabel(_ x: [Float]) -> Int32 {
    var best = 0, bestValue = -Double.infinity
    for i in 0..<3 {
        var s = 0.0
        for j in 0..<4 { s += cos(Double(i + 2 * j)) * Double(x[j]) }
        if s > bestValue { bestValue = s; best = i }
    }
    return Int32(best)
}

/// The golden `lin` or `mlp` network with its §6 initial weights (computed in Double, cast to Float).
func goldenNetwork(_ model: String) throws -> Network {
    let spec: ModelSpec = model == "lin" ? .linear : .mlp(hidden: [3])
    let network = try Network(spec: spec, input: InputShape(channels: 1, height: 1, width: 4), classes: 3)
    var values: [Double] = []
    let scale = model == "lin" ? 0.3 : 0.5
    for i in 0..<3 { for j in 0..<4 { values.append(scale * sin(Double(1 + 4 * i + j))) } }
    for i in 0..<3 { values.append(0.1 * cos(Double(1 + i))) }
    if model == "mlp" {
        for i in 0..<3 { for j in 0..<3 { values.append(0.5 * sin(Double(2 + 3 * i + j))) } }
        for i in 0..<3 { values.append(0.1 * cos(Double(2 + i))) }
    }
    for (i, v) in values.enumerated() { network.parameters[i] = Float(v) }
    return network
}

func dotDouble(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

/// A network, its R-operator and the current batch, with an oracle for ``ExactHessianMetaOptimizer``.
final class HessianHarness {
    let network: Network
    let hvp: HessianVectorProduct
    var inputs: [Float] = []
    var batch = 1

    init(_ network: Network) throws {
        self.network = network
        hvp = try HessianVectorProduct(network: network)
    }

    var tensors: [TensorDescriptor] { network.parameterInfo.map { TensorDescriptor(name: $0.name, shape: $0.shape) } }

    var oracle: HessianVectorProductOracle {
        { [unowned self] vector, result in
            self.inputs.withUnsafeBufferPointer { self.hvp.product(inputs: $0, batchSize: self.batch, vector: vector, into: result) }
        }
    }

    /// Forward + backward on `inputs`/`labels`; returns the mean loss (gradients in `network.gradients`).
    func trainStep(_ inputs: [Float], _ labels: [Int32]) -> Float {
        self.inputs = inputs
        batch = labels.count
        return network.trainStep(inputs: inputs, labels: labels)
    }
}
