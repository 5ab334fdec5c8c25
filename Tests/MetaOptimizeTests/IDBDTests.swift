import Foundation
import Testing
@testable import MetaOptimize

/// Meta `idbd` (spec §6.3) against a direct transcription of Sutton's pseudo-code.
@Suite("IDBD (spec §6.3)")
struct IDBDTests {
    /// Linear regression stream: x_t with 3 features, target y = w*ᵀx (noise-free).
    static func sample(_ t: Int) -> (x: [Float], y: Float) {
        var x: [Float] = []
        for k in 0 ..< 3 {
            let phase: Double = 0.7 * Double(t + 1) * Double(k + 1)
            x.append(Float(sin(phase) + 0.3 * Double(k)))
        }
        let target: [Float] = [0.5, -1.25, 2]
        var y: Float = 0
        for k in 0 ..< 3 { y += target[k] * x[k] }
        return (x, y)
    }

    @Test("idbd matches the IDBD pseudo-code step by step (β, w, h) on linear regression")
    func matchesTranscription() throws {
        let theta = 0.05, alpha0 = 0.05
        let config = OptimizerConfiguration(base: .sgd, alpha0: alpha0, meta: .idbd, metaStepSize: theta,
                                            granularity: .weightwise)
        let optimizer = try MetaOptimizer(tensors: singleTensor(3), configuration: config, totalSteps: 60,
                                          hasDiagonalHessian: true)
        var w: [Float] = [0, 0, 0]
        // Transcription of spec §6.3 in Double.
        var beta = [Double](repeating: Double(float32LogStepSize(alpha0)), count: 3)
        var h = [0.0, 0.0, 0.0], ww = [0.0, 0.0, 0.0]
        var errors: [Float] = []
        for t in 0 ..< 60 {
            let (x, y) = Self.sample(t)
            // Caller side: error δ = y − wᵀx, gradient of ½δ² is −δx, diagonal Hessian x².
            var prediction: Float = 0
            for k in 0 ..< 3 { prediction += w[k] * x[k] }
            let delta = y - prediction
            errors.append(abs(delta))
            let g = x.map { -delta * $0 }
            #expect(step(optimizer, &w, g, loss: 0.5 * delta * delta, hessian: x.map { $0 * $0 }))

            var d = Double(y)
            for k in 0 ..< 3 { d -= ww[k] * Double(x[k]) }
            for i in 0 ..< 3 {
                let xi = Double(x[i])
                beta[i] += theta * d * xi * h[i]
                let a = exp(beta[i])
                ww[i] += a * d * xi
                h[i] = h[i] * max(0, 1 - a * xi * xi) + a * d * xi
            }
            let state = optimizer.exportState()
            for i in 0 ..< 3 {
                #expect(abs(Double(state.logStepSizes[i]) - beta[i]) <= 1e-5 * max(1, abs(beta[i])), "t \(t) β[\(i)]")
                #expect(abs(Double(w[i]) - ww[i]) <= 1e-5 * max(1, abs(ww[i])), "t \(t) w[\(i)]")
                #expect(abs(Double(state.trace[i]) - h[i]) <= 1e-5 * max(1, abs(h[i])), "t \(t) h[\(i)]")
            }
        }
        // IDBD learned: the error shrank and the step sizes moved away from α0.
        let early = errors.prefix(10).reduce(0, +), late = errors.suffix(10).reduce(0, +)
        #expect(late < 0.5 * early, "mean |δ| first 10 steps \(early / 10), last 10 steps \(late / 10)")
        #expect(optimizer.logStepSizes.contains { abs($0 - float32LogStepSize(alpha0)) > 1e-3 })
    }

    @Test("idbd applies the rectifier: a Hessian with α·H > 1 resets the trace to −δ")
    func rectifiedTraceDecay() throws {
        let config = OptimizerConfiguration(base: .sgd, alpha0: 0.5, meta: .idbd, metaStepSize: 0,
                                            granularity: .weightwise)
        let optimizer = try MetaOptimizer(tensors: singleTensor(1), configuration: config, totalSteps: 2,
                                          hasDiagonalHessian: true)
        var w: [Float] = [0]
        step(optimizer, &w, [1], hessian: [10])  // h = −0.5
        step(optimizer, &w, [2], hessian: [10])  // decay max(0, 1 − 5) = 0 ⇒ h = −δ = −1
        #expect(optimizer.exportState().trace == [-1])
        #expect(w == [-1.5])
    }

    @Test("softmax-linear diagonal Hessian: p_k(1 − p_k)x_j² and p_k(1 − p_k), matching second differences")
    func softmaxLinearHessian() {
        let x: [Float] = [0.5, -2]
        let w: [Double] = [0.1, -0.3, 0.2, 0.4, 0.05, -0.1]  // W [2, 2] then b [2]
        func loss(_ w: [Double]) -> Double {  // label 0
            let l0 = w[0] * Double(x[0]) + w[1] * Double(x[1]) + w[4]
            let l1 = w[2] * Double(x[0]) + w[3] * Double(x[1]) + w[5]
            return log(exp(l0) + exp(l1)) - l0
        }
        let l0 = w[0] * 0.5 + w[1] * -2 + w[4], l1 = w[2] * 0.5 + w[3] * -2 + w[5]
        let p: [Float] = [Float(exp(l0) / (exp(l0) + exp(l1))), Float(exp(l1) / (exp(l0) + exp(l1)))]
        var hessian = [Float](repeating: 0, count: 6)
        p.withUnsafeBufferPointer { pp in x.withUnsafeBufferPointer { xp in hessian.withUnsafeMutableBufferPointer { hp in
            softmaxLinearDiagonalHessian(probabilities: pp, input: xp, into: hp)
        } } }
        for i in 0 ..< 6 {
            var plus = w, minus = w
            plus[i] += 1e-4
            minus[i] -= 1e-4
            let second = (loss(plus) - 2 * loss(w) + loss(minus)) / 1e-8
            #expect(abs(Double(hessian[i]) - second) <= 1e-4, "H[\(i)] = \(hessian[i]) vs \(second)")
        }
    }

    @Test("idbd refuses a step with a non-finite Hessian and leaves everything unchanged")
    func nonFiniteHessian() throws {
        let config = OptimizerConfiguration(base: .sgd, alpha0: 0.1, meta: .idbd, granularity: .weightwise)
        let optimizer = try MetaOptimizer(tensors: singleTensor(2), configuration: config, totalSteps: 2,
                                          hasDiagonalHessian: true)
        var w: [Float] = [1, 1]
        #expect(!step(optimizer, &w, [1, 1], hessian: [1, .nan]))
        #expect(optimizer.divergenceReason == .nonFiniteHessian && optimizer.divergedAtStep == 1)
        #expect(w == [1, 1])
    }
}
