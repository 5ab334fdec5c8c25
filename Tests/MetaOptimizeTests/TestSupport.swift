import Foundation
@testable import MetaOptimize

/// One optimizer step on Swift arrays.
@discardableResult
func step(_ optimizer: MetaOptimizer, _ w: inout [Float], _ g: [Float], loss: Float = 1,
          hessian: [Float]? = nil) -> Bool {
    w.withUnsafeMutableBufferPointer { wp in
        g.withUnsafeBufferPointer { gp in
            if let hessian {
                return hessian.withUnsafeBufferPointer { hp in
                    optimizer.step(weights: wp, gradients: gp, loss: loss, diagonalHessian: hp)
                }
            }
            return optimizer.step(weights: wp, gradients: gp, loss: loss)
        }
    }
}

/// Runs `steps` toy-problem steps (samples cycle with period 20) and returns the optimizer and final weights.
func runToy(_ config: OptimizerConfiguration, steps: Int) throws -> (MetaOptimizer, [Float]) {
    let optimizer = try MetaOptimizer(tensors: ToyProblem.tensors, configuration: config, totalSteps: steps)
    var w = ToyProblem.initialWeights()
    for t in 0 ..< steps {
        let (x, label) = ToyProblem.sample(t % 20)
        let (loss, g) = ToyProblem.lossAndGradient(w, x: x, label: label)
        step(optimizer, &w, g, loss: loss)
    }
    return (optimizer, w)
}

/// A single tensor of `count` weights.
func singleTensor(_ count: Int) -> [TensorDescriptor] {
    [TensorDescriptor(name: "w", shape: [count])]
}

/// The shapes of mlp 784-256-256-10 (269,322 weights).
let mlpTensors = [
    TensorDescriptor(name: "layers.0.weight", shape: [256, 784]), TensorDescriptor(name: "layers.0.bias", shape: [256]),
    TensorDescriptor(name: "layers.1.weight", shape: [256, 256]), TensorDescriptor(name: "layers.1.bias", shape: [256]),
    TensorDescriptor(name: "layers.2.weight", shape: [10, 256]), TensorDescriptor(name: "layers.2.bias", shape: [10]),
]

/// β0 and α0 as the official code computes them: log and exp of Float32.
func float32LogStepSize(_ alpha0: Double) -> Float { log(Float(alpha0)) }

/// Named views of MetaOptimize's exported arrays (the names its rules declare), for readable tests.
extension OptimizerState {
    var logStepSizes: [Float] { get { self[array: "logStepSizes"] } set { self[array: "logStepSizes"] = newValue } }
    var trace: [Float] { get { self[array: "trace"] } set { self[array: "trace"] = newValue } }
    var firstMoment: [Float] { get { self[array: "firstMoment"] } set { self[array: "firstMoment"] = newValue } }
    var secondMoment: [Float] { get { self[array: "secondMoment"] } set { self[array: "secondMoment"] = newValue } }
    var metaFirstMoment: [Float] {
        get { self[array: "metaFirstMoment"] } set { self[array: "metaFirstMoment"] = newValue }
    }
    var metaSecondMoment: [Float] {
        get { self[array: "metaSecondMoment"] } set { self[array: "metaSecondMoment"] = newValue }
    }
    var metaGradients: [Float] { get { self[array: "metaGradients"] } set { self[array: "metaGradients"] = newValue } }
}

/// The diagonal Hessian of softmax cross-entropy for a linear model logits = W·x + b (W: [classes, inputs]
/// row-major, followed by b: [classes]), as meta `idbd` needs it: H[W_kj] = p_k(1 − p_k)·x_j², H[b_k] = p_k(1 − p_k),
/// with p = softmax(logits) of the current sample. (The network computes the same in its training step.)
func softmaxLinearDiagonalHessian(probabilities: UnsafeBufferPointer<Float>, input: UnsafeBufferPointer<Float>,
                                  into hessian: UnsafeMutableBufferPointer<Float>) {
    let k = probabilities.count, n = input.count
    precondition(hessian.count == k * n + k, "hessian: expected \(k * n + k) values, found \(hessian.count)")
    for c in 0 ..< k {
        let p = probabilities[c]
        let curvature = p * (1 - p)
        for j in 0 ..< n { hessian[c * n + j] = curvature * (input[j] * input[j]) }
        hessian[k * n + c] = curvature
    }
}

/// The logging convention of the official runs (spec §3.6): α and β are logged after steps 1, 101, 201, … at
/// x = completed steps − 1 (0, 100, 200, …). The suite logs every bin instead; this pins down the convention the
/// golden values were read with.
enum OfficialLogging {
    /// The x value to log at after `completedSteps` steps, or nil when the official code would not log there.
    static func logPoint(completedSteps: Int) -> Int? {
        guard completedSteps >= 1, (completedSteps - 1) % 100 == 0 else { return nil }
        return completedSteps - 1
    }
}
