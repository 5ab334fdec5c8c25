import Testing
@testable import MetaOptimize

/// `subnormals`: `flush` (FTZ + DAZ inside the step) vs `exact` (IEEE subnormals).
struct SubnormalTests {
    /// 8 weights; gradient of weight 0 is 1 at step 1 and then 0, so its AdamW momentum decays by ρ each step
    /// (1, 0.9, 0.81, …) and passes through the subnormal range after ~830 steps.
    func decayRun(_ handling: SubnormalHandling, steps: Int) throws -> OptimizerState {
        var c = OptimizerConfiguration(base: .adamw, alpha0: 1e-3, meta: .adam, subnormals: handling)
        c = c.resolved()
        let optimizer = try MetaOptimizer(tensors: [TensorDescriptor(name: "w", shape: [8])], configuration: c,
                                          totalSteps: steps)
        var w = [Float](repeating: 0.5, count: 8)
        for t in 0..<steps {
            var g = [Float](repeating: 0, count: 8)
            if t == 0 { g[0] = 1 }
            g[1] = 0.25   // keeps the second moment and the trace alive
            _ = w.withUnsafeMutableBufferPointer { wp in
                g.withUnsafeBufferPointer { optimizer.step(weights: wp, gradients: $0, loss: 1) }
            }
        }
        return optimizer.exportState()
    }

    @Test("exact keeps IEEE subnormal momenta; flush turns them into 0; both stay finite")
    func momentumThroughSubnormalRange() throws {
        // 0.9^850 ≈ 1.0e-39: subnormal in exact arithmetic.
        let exact = try decayRun(.exact, steps: 851)
        let flush = try decayRun(.flush, steps: 851)
        #expect(exact.firstMoment[0] != 0 && !exact.firstMoment[0].isNormal)
        #expect(flush.firstMoment[0] == 0)
        #expect(exact.firstMoment[1] == flush.firstMoment[1])   // normal values are unaffected
    }

    @Test("The thread's floating-point environment is restored after a flushing step")
    func environmentRestored() throws {
        _ = try decayRun(.flush, steps: 3)
        let tiny = Float.leastNormalMagnitude
        var half: Float = 0.5
        withUnsafeMutablePointer(to: &half) { _ in }     // keep the multiplication at run time
        #expect(tiny * half != 0)
        #expect(!(tiny * half).isNormal)
    }

    @Test("Golden (AdamW, Adam, scalar) β trajectory holds in both modes")
    func goldenInBothModes() throws {
        let expected: [Float] = [-4.6051702, -4.5910316, -4.5685339, -4.5391641, -4.5035706, -4.4615803, -4.4445128,
                                 -4.4305830, -4.4016857, -4.3632326, -4.3774281, -4.3833604, -4.3830247, -4.3761039,
                                 -4.3849096, -4.4068937, -4.4459643, -4.5014219, -4.5618038, -4.6160779]
        for handling in SubnormalHandling.allCases {
            var c = ToyProblem.goldenConfiguration(base: .adamw, meta: .adam)
            c.subnormals = handling
            let run = try ToyProblem.run(c)
            for (t, beta) in run.betas.enumerated() { #expect(abs(beta[0] - expected[t]) <= 1e-6, "\(handling) step \(t + 1)") }
        }
    }

    @Test("subnormals parses flush and exact, rejects other names, and defaults to flush")
    func parsing() throws {
        #expect(try SubnormalHandling(parsing: "EXACT") == .exact)
        #expect(throws: OptimizerError.self) { try SubnormalHandling(parsing: "denormal") }
        #expect(OptimizerConfiguration().subnormals == .flush)
    }
}
