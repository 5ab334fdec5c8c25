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
