import Foundation
import Testing
@testable import MetaOptimize

/// `step(weights:gradients:outerProducts:loss:)` must be the dense step on the materialised gradient, bit for bit,
/// whether it forms the products inside its pass or falls back to materialising them.
struct OuterProductStepTests {
    /// Two linear layers: W0 [rows0, columns0], b0, W1 [rows1, columns1], b1 (the layout of a tiny MLP).
    struct Layout {
        var rows0 = 8, columns0 = 16, rows1 = 4, columns1 = 8
        var tensors: [TensorDescriptor] {
            [TensorDescriptor(name: "layers.0.weight", shape: [rows0, columns0]),
             TensorDescriptor(name: "layers.0.bias", shape: [rows0]),
             TensorDescriptor(name: "layers.1.weight", shape: [rows1, columns1]),
             TensorDescriptor(name: "layers.1.bias", shape: [rows1])]
        }
        var count: Int { rows0 * columns0 + rows0 + rows1 * columns1 + rows1 }
        var offset1: Int { rows0 * columns0 + rows0 }
    }

    /// Factors and dense (bias) gradients of one step; some row factors are exactly zero (dead units).
    struct StepGradient {
        var delta0: [Float], x0: [Float], delta1: [Float], x1: [Float], bias0: [Float], bias1: [Float]

        init(layout: Layout, step: Int) {
            var counter = step * 7919 + 1
            func values(_ n: Int, zeroEvery: Int? = nil) -> [Float] {
                (0 ..< n).map { i in
                    counter += 1
                    if let k = zeroEvery, (i + step) % k == 0 { return 0 }
                    return Float((counter * 104_729) % 2003) / 1001.5 - 1   // scattered values in [−1, 1)
                }
            }
            delta0 = values(layout.rows0, zeroEvery: 3)
            x0 = values(layout.columns0)
            delta1 = values(layout.rows1, zeroEvery: 4)
            x1 = values(layout.columns1).map { max($0, 0) }   // post-ReLU inputs: non-negative, some zero
            bias0 = delta0
            bias1 = delta1
        }

        /// The dense gradient by the documented rule: δ_r·x_c, +0 for rows with δ_r == 0.
        func dense(_ layout: Layout) -> [Float] {
            func outer(_ d: [Float], _ x: [Float]) -> [Float] { d.flatMap { r in x.map { r == 0 ? 0 : r * $0 } } }
            return outer(delta0, x0) + bias0 + outer(delta1, x1) + bias1
        }
    }

    /// Steps two optimizers, one on the dense gradient and one on outer products (with NaN in the block regions of
    /// its buffer, which the step must ignore or overwrite), and checks weights and every state array bit for bit.
    /// Returns whether the factored optimizer formed the products in its pass at every step, and the divergence.
    @discardableResult
    func compare(_ config: OptimizerConfiguration, layout: Layout = Layout(), steps: Int = 25,
                 mutate: ((Int, inout StepGradient) -> Void)? = nil) throws -> (fused: Bool, divergence: DivergenceReason?) {
        let c = config.resolved()
        let dense = try MetaOptimizer(tensors: layout.tensors, configuration: c, totalSteps: steps)
        let factored = try MetaOptimizer(tensors: layout.tensors, configuration: c, totalSteps: steps)
        var wDense = (0 ..< layout.count).map { Float(($0 * 37) % 23) / 23 - 0.5 }
        var wFactored = wDense
        var alwaysFused = true
        var buffer = [Float](repeating: .nan, count: layout.count)
        for t in 0 ..< steps {
            var gradient = StepGradient(layout: layout, step: t)
            mutate?(t, &gradient)
            let denseOK = step(dense, &wDense, gradient.dense(layout))
            let w0 = layout.rows0 * layout.columns0
            for (i, b) in gradient.bias0.enumerated() { buffer[w0 + i] = b }
            for (i, b) in gradient.bias1.enumerated() { buffer[layout.offset1 + layout.rows1 * layout.columns1 + i] = b }
            for i in 0 ..< w0 { buffer[i] = .nan }
            let factoredOK = gradient.delta0.withUnsafeBufferPointer { d0 in
                gradient.x0.withUnsafeBufferPointer { x0 in
                    gradient.delta1.withUnsafeBufferPointer { d1 in
                        gradient.x1.withUnsafeBufferPointer { x1 in
                            let blocks = [
                                OuterProductGradient(offset: 0, rows: layout.rows0, columns: layout.columns0,
                                                     rowFactors: d0.baseAddress!, columnFactors: x0.baseAddress!),
                                OuterProductGradient(offset: layout.offset1, rows: layout.rows1,
                                                     columns: layout.columns1, rowFactors: d1.baseAddress!,
                                                     columnFactors: x1.baseAddress!),
                            ]
                            return wFactored.withUnsafeMutableBufferPointer { wp in
                                buffer.withUnsafeMutableBufferPointer { gp in
                                    factored.step(weights: wp, gradients: gp, outerProducts: blocks, loss: 1)
                                }
                            }
                        }
                    }
                }
            }
            #expect(denseOK == factoredOK, "step \(t): \(c.granularity) \(c.base) \(c.mode)")
            alwaysFused = alwaysFused && factored.lastStepFormedOuterProducts
        }
        #expect(wDense.map(\.bitPattern) == wFactored.map(\.bitPattern), "weights: \(c.granularity) \(c.base) \(c.mode) \(c.subnormals)")
        let a = dense.exportState(), b = factored.exportState()
        for (name, x, y) in [("trace", a.trace, b.trace), ("m", a.firstMoment, b.firstMoment),
                             ("v", a.secondMoment, b.secondMoment), ("beta", a.logStepSizes, b.logStepSizes),
                             ("z", a.metaGradients, b.metaGradients)] {
            #expect(x.map(\.bitPattern) == y.map(\.bitPattern), "\(name): \(c.granularity) \(c.base) \(c.mode) \(c.subnormals)")
        }
        #expect(a.divergedAtStep == b.divergedAtStep && a.divergenceReason == b.divergenceReason)
        return (alwaysFused, a.divergenceReason)
    }

    @Test("Every base rule, mode, granularity and subnormal setting: the factored step equals the dense step bit for bit; aligned segment layouts form the products in the pass, weightwise falls back")
    func allConfigurations() throws {
        let granularities: [Granularity] = [.scalar, .layerwise, .nodewise, .lastLayerAndOthers, .blocks([2, 2]), .weightwise]
        for base in BaseRule.allCases {
            for mode in [OptimizerMode.faithful, .standard] {
                for granularity in granularities {
                    for subnormals in SubnormalHandling.allCases {
                        let c = OptimizerConfiguration(base: base, alpha0: 1e-2, weightDecay: 0.1, meta: .adam,
                                                       metaStepSize: 1e-2, granularity: granularity, mode: mode,
                                                       subnormals: subnormals)
                        let fused = try compare(c).fused
                        #expect(fused == (granularity != .weightwise), "\(granularity) \(base) \(mode)")
                    }
                }
            }
        }
    }

    @Test("Meta rules fixed, sgd, lion, mnm and a schedule: factored equals dense")
    func metaRules() throws {
        for meta in [MetaRule.fixed, .sgd, .lion, .mnm, .rmsprop, .hypergradient] {
            let c = OptimizerConfiguration(base: .adamw, alpha0: 1e-2, meta: meta, metaStepSize: 1e-2,
                                           schedule: .cosine)
            #expect(try compare(c).fused)
        }
    }

    @Test("Blocks that break the lanes of a segment (row length not a multiple of 8, or a block starting off an 8-element boundary) fall back to materialising, with identical results")
    func unalignedLayoutsFallBack() throws {
        let c = OptimizerConfiguration(base: .adamw, alpha0: 1e-2, meta: .adam, metaStepSize: 1e-2)
        #expect(try !compare(c, layout: Layout(rows0: 6, columns0: 12, rows1: 3, columns1: 8)).fused)
        // Row lengths fine, but W1 starts 102 elements into the scalar segment.
        #expect(try !compare(c, layout: Layout(rows0: 6, columns0: 16, rows1: 3, columns1: 8)).fused)
        // The same layout layerwise: each tensor is its own segment, so the blocks align.
        var layerwise = c
        layerwise.granularity = .layerwise
        #expect(try compare(layerwise, layout: Layout(rows0: 6, columns0: 16, rows1: 3, columns1: 8)).fused)
    }

    @Test("flush: a subnormal factor (whose product with a large factor is a normal gradient) makes the step fall back, so DAZ cannot zero it; results equal the dense step")
    func subnormalFactorFallsBack() throws {
        let c = OptimizerConfiguration(base: .adamw, alpha0: 1e-2, meta: .adam, metaStepSize: 1e-2, subnormals: .flush)
        let flushed = try compare(c) { t, g in
            if t == 3 {
                g.delta0[1] = Float.leastNormalMagnitude / 8   // subnormal
                g.x0[2] = 1e4   // product ≈ 1.5e-35: a normal gradient element
            }
        }
        #expect(!flushed.fused)
        // exact: no DAZ, so the pass forms the same products and needs no fallback.
        let exact = OptimizerConfiguration(base: .adamw, alpha0: 1e-2, meta: .adam, metaStepSize: 1e-2, subnormals: .exact)
        #expect(try compare(exact) { t, g in if t == 3 { g.delta0[1] = Float.leastNormalMagnitude / 8; g.x0[2] = 1e4 } }.fused)
    }

    @Test("Non-finite gradients diverge exactly as the dense step does: ∞ or NaN factors, products overflowing to ∞, a NaN bias")
    func nonFiniteGradients() throws {
        let c = OptimizerConfiguration(base: .adamw, alpha0: 1e-2, meta: .adam, metaStepSize: 1e-2)
        #expect(try compare(c) { t, g in if t == 5 { g.x0[3] = .infinity } }.divergence == .nonFiniteGradient)
        #expect(try compare(c) { t, g in if t == 5 { g.delta1[1] = .nan } }.divergence == .nonFiniteGradient)
        #expect(try compare(c) { t, g in if t == 5 { g.delta0[1] = 1e30; g.x0[0] = 1e30 } }.divergence
                == .nonFiniteGradient)
        #expect(try compare(c) { t, g in if t == 5 { g.bias1[2] = .nan } }.divergence == .nonFiniteGradient)
        // ∞ in the input of a layer whose rows are all dead: the dense gradient is +0 there, so no divergence.
        #expect(try compare(c) { t, g in
            if t == 5 { g.x1[0] = .infinity; g.delta1 = [0, 0, 0, 0]; g.bias1 = [0, 0, 0, 0] }
        }.divergence == nil)
    }
}
