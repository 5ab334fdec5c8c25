import Foundation
import Testing
import MetaOptimize
import Networks

// The behaviour docs/hessian.md reports: with meta Adam the 2×2 meta block Y runs away once the step size has
// grown (Y → 10³…10⁶, then a non-finite meta-gradient), while the L-approximation (Y ≡ I) on the same stream
// stays finite. A synthetic stream (64 inputs, 3 classes), mlp:32, SGD base, α0 = 1e-3, η = 1e-3, γ = 0.999.

/// Runs 3,000 steps; returns (largest |Y| seen, step of divergence or nil, β and Y every 250 steps).
private func yTrajectory(_ approximation: HessianApproximation) throws -> (maxY: Float, divergedAt: Int?, log: String) {
    let stream = PropertyStream(count: 3000, inputSize: 64, classes: 3, seed: 5)
    let network = try Network(spec: .mlp(hidden: [32]), input: InputShape(channels: 1, height: 1, width: 64), classes: 3)
    var generator = SystemRandomNumberGeneratorReplacement(seed: 1)
    network.initialize(using: &generator)
    let harness = try HessianHarness(network)
    let config = OptimizerConfiguration(base: .sgd, alpha0: 1e-3, meta: .adam, metaStepSize: 1e-3, gamma: 0.999)
    let e = try ExactHessianMetaOptimizer(tensors: harness.tensors, configuration: config, approximation: approximation,
                                          totalSteps: 3000, oracle: harness.oracle)
    var maxY: Float = 0
    var log = ""
    for t in 0..<3000 {
        let loss = harness.trainStep(stream.inputs[t], [stream.labels[t]])
        guard e.step(weights: network.parameters, gradients: UnsafeBufferPointer(network.gradients), loss: loss) else {
            return (maxY, t + 1, log)
        }
        let y = e.metaStateSensitivity[0]
        if y.isFinite { maxY = max(maxY, abs(y)) }
        if t % 250 == 0 { log += String(format: " t=%d β=%.2f Y=%.3g z=%.3g;", t, e.logStepSizes[0], y, e.metaGradients[0]) }
    }
    return (maxY, nil, log)
}

struct InstabilityTests {
    @Test("meta Adam: the 2×2 block Y runs away (|Y| > 100, then divergence) where L stays finite on the same stream")
    func twoByTwoRunsAway() throws {
        let twoByTwo = try yTrajectory(.twoByTwo)
        let l = try yTrajectory(.l)
        print("2x2:\(twoByTwo.log) diverged at \(twoByTwo.divergedAt.map(String.init) ?? "never")")
        print("L:\(l.log) diverged at \(l.divergedAt.map(String.init) ?? "never")")
        #expect(twoByTwo.maxY > 100)
        #expect(twoByTwo.divergedAt != nil)
        #expect(l.divergedAt == nil && l.maxY == 1)
    }
}
