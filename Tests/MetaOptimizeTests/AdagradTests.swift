import Foundation
import Testing
@testable import MetaOptimize

/// Adagrad as a base rule: standard mode replays PyTorch, faithful mode follows the faithful rules' conventions,
/// and it runs under every meta rule and granularity.
@Suite("Adagrad base rule")
struct AdagradTests {
    // From Benchmarks/scripts/adagrad_golden.py (torch 2.15.0): torch.optim.Adagrad(lr=α,
    // lr_decay=0, eps=1e-10, initial_accumulator_value=0, weight_decay=0), α = 0.009999999776482582 (the Float32
    // α of α0 = 1e-2), w0 = [0.5, -0.3, 0.8, 0, 1.25]; element 3 has a zero gradient at step 3.
    static let w0: [Float] = [0.5, -0.3, 0.8, 0.0, 1.25]
    static let gradients: [[Float]] = [
        [0.0001230153429787606, 0.02987455390393734, -0.027413785457611084, -0.08905918151140213, -0.0454670786857605],
        [-0.09916465729475021, 0.00601436011493206, 0.13402152061462402, -0.049220651388168335, -0.06204748898744583],
        [0.04898420348763466, 0.03568870201706886, 0.010541425086557865, 0.0, -0.0029251822270452976],
        [0.06953032314777374, -0.1344214528799057, -0.045761577785015106, -0.19012227654457092, -0.12895376980304718],
        [-0.18417350947856903, -0.023509113118052483, -0.12674464285373688, 0.027126435190439224, 0.01567510887980461],
        [-0.018693095073103905, -0.25167596340179443, -0.05386928841471672, -0.004850094672292471, 0.011330898851156235],
        [-0.15301357209682465, -0.047775328159332275, -0.09785190969705582, -0.08088372647762299, 0.10608986020088196],
        [-0.08075346797704697, -0.0032521705143153667, 0.0884389877319336, -0.05836004391312599, -0.011170195415616035],
    ]
    static let torchWeights: [[Float]] = [
        [0.49000000953674316, -0.3100000023841858, 0.8100000023841858, 0.009999999776482582, 1.2599999904632568],
        [0.5, -0.31197360157966614, 0.8002028465270996, 0.014837142080068588, 1.268066167831421],
        [0.49557119607925415, -0.3195784091949463, 0.7994345426559448, 0.014837142080068588, 1.2684462070465088],
        [0.49024903774261475, -0.31013724207878113, 0.8025985360145569, 0.0236537866294384, 1.277032732963562],
        [0.498405396938324, -0.30850812792778015, 0.8091892004013062, 0.022405674681067467, 1.2759946584701538],
        [0.49923041462898254, -0.2998329997062683, 0.8118865489959717, 0.022628776729106903, 1.2752463817596436],
        [0.5048270225524902, -0.298208087682724, 0.8162864446640015, 0.02611584961414337, 1.2695083618164062],
        [0.5076596736907959, -0.29809749126434326, 0.8125912547111511, 0.02855583280324936, 1.2701114416122437],
    ]

    static func trajectory(_ mode: OptimizerMode) throws -> [[Float]] {
        let config = OptimizerConfiguration(base: .adagrad, alpha0: 1e-2, meta: .fixed, mode: mode)
        let optimizer = try MetaOptimizer(tensors: singleTensor(5), configuration: config, totalSteps: 8)
        var w = w0
        var out: [[Float]] = []
        for g in gradients {
            #expect(step(optimizer, &w, g))
            out.append(w)
        }
        return out
    }

    @Test("standard Adagrad replays torch.optim.Adagrad step by step (8 steps, within 2 ulp of PyTorch's float32)")
    func standardReplaysTorch() throws {
        let got = try Self.trajectory(.standard)
        for (t, (a, b)) in zip(got, Self.torchWeights).enumerated() {
            for i in a.indices {
                // PyTorch computes p + (−lr·g)/std, the fused pass p − lr·(g/std): the same value up to rounding.
                #expect(abs(a[i] - b[i]) <= 2 * b[i].ulp, "step \(t + 1) w[\(i)]: \(a[i]) vs torch \(b[i])")
            }
        }
    }

    @Test("faithful Adagrad: s ← s + g², w ← w − α·g/√(s + 1e-10), the faithful rules' ε inside the root (float64 reference)")
    func faithfulFormula() throws {
        let got = try Self.trajectory(.faithful)
        let alpha = 0.009999999776482582
        var w = Self.w0.map(Double.init), s = [Double](repeating: 0, count: 5)
        for (t, g) in Self.gradients.enumerated() {
            for i in 0 ..< 5 {
                let gi = Double(g[i])
                s[i] += gi * gi
                w[i] -= alpha * gi / (s[i] + 1e-10).squareRoot()
                #expect(abs(Double(got[t][i]) - w[i]) <= 1e-6, "step \(t + 1) w[\(i)]: \(got[t][i]) vs \(w[i])")
            }
        }
    }

    @Test("the two modes differ only where ε matters: a zero accumulator gives d = 0 in both, no NaN")
    func zeroGradientOnZeroAccumulator() throws {
        for mode in OptimizerMode.allCases {
            let config = OptimizerConfiguration(base: .adagrad, alpha0: 1e-2, meta: .fixed, mode: mode)
            let optimizer = try MetaOptimizer(tensors: singleTensor(3), configuration: config, totalSteps: 2)
            var w: [Float] = [1, 2, 3]
            #expect(step(optimizer, &w, [0, 0, 0]))
            #expect(w == [1, 2, 3], "\(mode)")
        }
    }

    @Test("faithful Adagrad runs under every meta rule and granularity: finite weights, β learned by learning rules",
          arguments: [Granularity.scalar, .layerwise, .nodewise, .weightwise, .lastLayerAndOthers, .blocks([2, 2])])
    func everyMetaRuleAndGranularity(granularity: Granularity) throws {
        for meta in MetaRule.allCases where !meta.usesDiagonalHessian {
            var config = ToyProblem.goldenConfiguration(base: .adagrad, meta: meta, granularity: granularity)
            config.mode = .faithful
            let run = try ToyProblem.run(config, steps: 30)
            #expect(run.finalWeights.allSatisfy { $0.isFinite }, "\(meta) \(granularity)")
            let moved = run.betas.last! != run.betas.first!
            #expect(moved == meta.learnsStepSize, "\(meta) \(granularity): β moved \(moved)")
        }
    }

    @Test("its state is declared once and exported under its name: one sum-of-squares buffer per weight")
    func stateLayout() throws {
        let optimizer = try MetaOptimizer(tensors: ToyProblem.tensors,
                                          configuration: OptimizerConfiguration(base: .adagrad, meta: .adam),
                                          totalSteps: 1)
        let state = optimizer.exportState()
        #expect(state.arrays.map(\.name) == ["logStepSizes", "trace", "sumOfSquares", "metaFirstMoment",
                                             "metaSecondMoment", "metaGradients"])
        #expect(state[array: "sumOfSquares"].count == optimizer.parameterCount)
        #expect(BaseRule.adagrad.hyperParameters.isEmpty)
        #expect(try BaseRule(parsing: "Adagrad") == .adagrad)
    }
}
