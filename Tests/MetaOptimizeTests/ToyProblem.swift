import Foundation
@testable import MetaOptimize

/// The golden toy problem of spec §7.2, built exactly as specified: logits = W2·tanh(W1·x + b1) + b2 with
/// W1 ∈ R^{5×4}, b1 ∈ R^5, W2 ∈ R^{3×5}, b2 ∈ R^3 (parameter order W1, b1, W2, b2; 43 weights), float32,
/// softmax cross-entropy, batch size 1. Hand-written forward and backward pass.
struct ToyProblem {
    static let tensors = [
        TensorDescriptor(name: "W1", shape: [5, 4]),
        TensorDescriptor(name: "b1", shape: [5]),
        TensorDescriptor(name: "W2", shape: [3, 5]),
        TensorDescriptor(name: "b2", shape: [3]),
    ]
    static let parameterCount = 43

    /// Initial weights: W1[i][j] = 0.3·sin(1 + 4i + j), b1[i] = 0.1·cos(1 + i), W2[i][j] = 0.3·sin(2 + 5i + j),
    /// b2[i] = 0.1·cos(2 + i), computed in Double and cast to Float.
    static func initialWeights() -> [Float] {
        var w: [Float] = []
        for i in 0 ..< 5 { for j in 0 ..< 4 { w.append(Float(0.3 * sin(Double(1 + 4 * i + j)))) } }
        for i in 0 ..< 5 { w.append(Float(0.1 * cos(Double(1 + i)))) }
        for i in 0 ..< 3 { for j in 0 ..< 5 { w.append(Float(0.3 * sin(Double(2 + 5 * i + j)))) } }
        for i in 0 ..< 3 { w.append(Float(0.1 * cos(Double(2 + i)))) }
        return w
    }

    /// Sample for 0-based t: x_k = sin(0.37·(t+1)·(k+1)) + 0.5·cos(1.3·t + k) cast to Float; label =
    /// argmax_i Σ_j cos(i + 2j)·x_j over 3 classes.
    static func sample(_ t: Int) -> (x: [Float], label: Int) {
        let x = (0 ..< 4).map { k in
            Float(sin(0.37 * Double(t + 1) * Double(k + 1)) + 0.5 * cos(1.3 * Double(t) + Double(k)))
        }
        var best = 0
        var bestScore = -Double.infinity
        for i in 0 ..< 3 {
            var s = 0.0
            for j in 0 ..< 4 { s += cos(Double(i + 2 * j)) * Double(x[j]) }
            if s > bestScore { bestScore = s; best = i }
        }
        return (x, best)
    }

    /// Loss and gradient (flat, canonical order) of one sample at weights `w`, all in Float32.
    static func lossAndGradient(_ w: [Float], x: [Float], label: Int) -> (loss: Float, gradient: [Float]) {
        let w1 = 0, b1 = 20, w2 = 25, b2 = 40
        var pre = [Float](repeating: 0, count: 5)
        var hidden = [Float](repeating: 0, count: 5)
        for i in 0 ..< 5 {
            var s: Float = 0
            for j in 0 ..< 4 { s += w[w1 + 4 * i + j] * x[j] }
            pre[i] = s + w[b1 + i]
            hidden[i] = tanh(pre[i])
        }
        var logits = [Float](repeating: 0, count: 3)
        for i in 0 ..< 3 {
            var s: Float = 0
            for j in 0 ..< 5 { s += w[w2 + 5 * i + j] * hidden[j] }
            logits[i] = s + w[b2 + i]
        }
        let mx = logits.max()!
        let exps = logits.map { exp($0 - mx) }
        let total = exps.reduce(0, +)
        let loss = (log(total) + mx) - logits[label]
        var dLogits = exps.map { $0 / total }
        dLogits[label] -= 1

        var grad = [Float](repeating: 0, count: parameterCount)
        var dHidden = [Float](repeating: 0, count: 5)
        for i in 0 ..< 3 {
            for j in 0 ..< 5 {
                grad[w2 + 5 * i + j] = dLogits[i] * hidden[j]
                dHidden[j] += w[w2 + 5 * i + j] * dLogits[i]
            }
            grad[b2 + i] = dLogits[i]
        }
        for i in 0 ..< 5 {
            let dPre = dHidden[i] * (1 - hidden[i] * hidden[i])
            for j in 0 ..< 4 { grad[w1 + 4 * i + j] = dPre * x[j] }
            grad[b1 + i] = dPre
        }
        return (loss, grad)
    }

    /// What one run of `steps` optimizer steps records.
    struct Run {
        /// β after each step (index k−1 = after k steps), one array of groups per step.
        var betas: [[Float]] = []
        /// z of each step.
        var zs: [[Float]] = []
        /// W1[0][0] after each step.
        var w00: [Float] = []
        /// Pre-update loss of each step.
        var losses: [Float] = []
        var finalWeights: [Float] = []
    }

    /// Runs the optimizer on samples t = 0..<steps (the sample sequence repeats with period 20 beyond 20 steps only
    /// if `cycle` is set; otherwise t continues).
    static func run(_ configuration: OptimizerConfiguration, steps: Int = 20) throws -> Run {
        let optimizer = try MetaOptimizer(tensors: tensors, configuration: configuration, totalSteps: steps)
        var w = initialWeights()
        var run = Run()
        for t in 0 ..< steps {
            let (x, label) = sample(t)
            let (loss, g) = lossAndGradient(w, x: x, label: label)
            let ok = w.withUnsafeMutableBufferPointer { wp in
                g.withUnsafeBufferPointer { gp in optimizer.step(weights: wp, gradients: gp, loss: loss) }
            }
            precondition(ok, "toy run diverged at step \(t + 1)")
            run.losses.append(loss)
            run.betas.append(optimizer.logStepSizes)
            run.zs.append(optimizer.metaGradients)
            run.w00.append(w[0])
        }
        run.finalWeights = w
        return run
    }

    /// The spec's golden hyper-parameters: α0 = 1e-2, η = 1e-2, γ = 0.999, κ = 0.1, κ̄ = 0, rule defaults otherwise.
    static func goldenConfiguration(base: BaseRule, meta: MetaRule, granularity: Granularity = .scalar)
        -> OptimizerConfiguration {
        OptimizerConfiguration(base: base, alpha0: 1e-2, weightDecay: 0.1, meta: meta, metaStepSize: 1e-2,
                               gamma: 0.999, metaWeightDecay: 0, granularity: granularity)
    }
}
