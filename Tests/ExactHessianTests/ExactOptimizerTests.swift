import Foundation
import Testing
@testable import MetaOptimize
import Networks
import RuleKernels
import SIMDSupport

// Structural properties of ExactHessianMetaOptimizer: the Hessian-free limit (spec §1.3), Lion (§1.5), refusals
// (§3), checkpoints, and the Adagrad tangent derived like RMSProp's (docs/hessian.md), checked standalone.

/// Runs `steps` steps of the golden mlp problem (samples cycled) with either optimizer; returns the weights, β and
/// z after every step.
private func trajectory(_ config: OptimizerConfiguration, steps: Int, exact: Bool, zeroProducts: Bool = false,
                        approximation: HessianApproximation = .l) throws -> [[Float]] {
    let harness = try HessianHarness(try goldenNetwork("mlp"))
    let oracle: HessianVectorProductOracle = zeroProducts
        ? { [count = harness.network.parameterCount] _, result in result.update(repeating: 0, count: count) } : harness.oracle
    let e = exact ? try ExactHessianMetaOptimizer(tensors: harness.tensors, configuration: config,
                                                  approximation: approximation, totalSteps: steps, oracle: oracle) : nil
    let f = exact ? nil : try MetaOptimizer(tensors: harness.tensors, configuration: config, totalSteps: steps)
    var rows: [[Float]] = []
    for t in 0..<steps {
        let x = goldenSample(t % 8)
        let loss = harness.trainStep(x, [goldenLabel(x)])
        let g = UnsafeBufferPointer(harness.network.gradients)
        if let e {
            _ = e.step(weights: harness.network.parameters, gradients: g, loss: loss)
            rows.append(Array(harness.network.parameters) + e.logStepSizes + e.metaGradients)
        } else {
            f!.step(weights: harness.network.parameters, gradients: g, loss: loss)
            rows.append(Array(harness.network.parameters) + f!.logStepSizes + f!.metaGradients)
        }
    }
    return rows
}

struct ExactOptimizerTests {
    static let limitCases: [(BaseRule, MetaRule, Granularity)] = BaseRule.allCases.flatMap { base in
        [MetaRule.fixed, .sgd, .adam, .rmsprop, .lion].flatMap { meta in
            [Granularity.scalar, .lastLayerAndOthers].map { (base, meta, $0) }
        }
    }

    @Test("every Hessian-vector product zero + L ⇒ bit-identical to the Hessian-free MetaOptimizer (weights, β, z)",
          arguments: limitCases)
    func hessianFreeLimit(base: BaseRule, meta: MetaRule, granularity: Granularity) throws {
        let config = OptimizerConfiguration(base: base, alpha0: 1e-2, weightDecay: 0.1, meta: meta, metaStepSize: 1e-2,
                                            gamma: 0.999, granularity: granularity)
        let free = try trajectory(config, steps: 20, exact: false)
        let exact = try trajectory(config, steps: 20, exact: true, zeroProducts: true)
        #expect(free == exact)
    }

    @Test("Lion base with L: exact == Hessian-free bit-for-bit and no Hessian-vector product is evaluated")
    func lionIsAlreadyExact() throws {
        let config = OptimizerConfiguration(base: .lion, alpha0: 1e-2, weightDecay: 0.1, meta: .adam, metaStepSize: 1e-2,
                                            gamma: 0.999)
        #expect(try trajectory(config, steps: 20, exact: false) == trajectory(config, steps: 20, exact: true))
        let harness = try HessianHarness(try goldenNetwork("mlp"))
        let e = try ExactHessianMetaOptimizer(tensors: harness.tensors, configuration: config, approximation: .l,
                                              totalSteps: 3, oracle: harness.oracle)
        let x = goldenSample(0)
        let loss = harness.trainStep(x, [goldenLabel(x)])
        e.step(weights: harness.network.parameters, gradients: UnsafeBufferPointer(harness.network.gradients), loss: loss)
        #expect(e.productsEvaluated == 0)
    }

    @Test("Lion base with 2×2 and meta SGD: the curvature C = X_wᵀ∇²f X_w enters Y (spec §1.5), scalar and blocks alike",
          arguments: [Granularity.scalar, .lastLayerAndOthers])
    func lionCurvatureEntersY(granularity: Granularity) throws {
        let config = OptimizerConfiguration(base: .lion, alpha0: 1e-2, meta: .sgd, metaStepSize: 1e-2, gamma: 0.99,
                                            granularity: granularity)
        func finalY(zeroProducts: Bool) throws -> [Float] {
            let harness = try HessianHarness(try goldenNetwork("mlp"))
            let oracle: HessianVectorProductOracle = zeroProducts
                ? { [count = harness.network.parameterCount] _, result in result.update(repeating: 0, count: count) }
                : harness.oracle
            let e = try ExactHessianMetaOptimizer(tensors: harness.tensors, configuration: config,
                                                  approximation: .twoByTwo, totalSteps: 6, oracle: oracle)
            for t in 0..<6 {
                let x = goldenSample(t)
                let loss = harness.trainStep(x, [goldenLabel(x)])
                e.step(weights: harness.network.parameters, gradients: UnsafeBufferPointer(harness.network.gradients),
                       loss: loss)
            }
            return e.metaStateSensitivity
        }
        let k = granularity == .scalar ? 1 : 2
        let identity = (0..<k * k).map { Float($0 % (k + 1) == 0 ? 1 : 0) }
        // Without curvature (every product 0) Y stays I; with the real products the diagonal moves.
        #expect(try finalY(zeroProducts: true) == identity)
        let y = try finalY(zeroProducts: false)
        #expect((0..<k).allSatisfy { y[$0 * (k + 1)] != 1 }, "Y = \(y)")
    }

    @Test("with real Hessians the exact trajectory differs from the Hessian-free one (the products are used)")
    func hessiansChangeTheRun() throws {
        let config = OptimizerConfiguration(base: .sgd, alpha0: 0.1, meta: .sgd, metaStepSize: 1e-2, gamma: 0.99)
        #expect(try trajectory(config, steps: 8, exact: false) != trajectory(config, steps: 8, exact: true))
    }

    @Test("nodewise and weightwise are refused with one line naming the granularity and the number of step sizes",
          arguments: [Granularity.nodewise, .weightwise])
    func refusesElementwiseGranularities(_ granularity: Granularity) throws {
        let harness = try HessianHarness(try goldenNetwork("mlp"))
        let config = OptimizerConfiguration(base: .sgd, granularity: granularity)
        do {
            _ = try ExactHessianMetaOptimizer(tensors: harness.tensors, configuration: config, totalSteps: 1,
                                              modelName: "model mlp:3", oracle: harness.oracle)
            Issue.record("expected a refusal")
        } catch let error as OptimizerError {
            let text = error.description
            #expect(!text.contains("\n"))
            #expect(text.contains("'\(granularity)'") && text.contains("step sizes") && text.contains("hessian: free"))
            #expect(text.contains(granularity == .nodewise ? "12 step sizes" : "27 step sizes"))
        }
    }

    @Test("standard mode and meta hypergradient are refused with one line")
    func refusesUnspecifiedCombinations() throws {
        let harness = try HessianHarness(try goldenNetwork("lin"))
        for config in [OptimizerConfiguration(mode: .standard), OptimizerConfiguration(meta: .hypergradient)] {
            #expect(throws: OptimizerError.self) {
                _ = try ExactHessianMetaOptimizer(tensors: harness.tensors, configuration: config, totalSteps: 1,
                                                  oracle: harness.oracle)
            }
        }
    }

    @Test("export, restore into a fresh optimizer, continue: bit-identical to the uninterrupted run (2x2, AdamW, Adam, blocks)")
    func checkpointContinuesBitIdentically() throws {
        let config = OptimizerConfiguration(base: .adamw, alpha0: 1e-2, weightDecay: 0.1, meta: .adam, metaStepSize: 1e-2,
                                            gamma: 0.99, granularity: .lastLayerAndOthers)
        let harness = try HessianHarness(try goldenNetwork("mlp"))
        let a = try ExactHessianMetaOptimizer(tensors: harness.tensors, configuration: config, totalSteps: 16,
                                              oracle: harness.oracle)
        func run(_ o: ExactHessianMetaOptimizer, _ steps: Range<Int>) {
            for t in steps {
                let x = goldenSample(t % 8)
                let loss = harness.trainStep(x, [goldenLabel(x)])
                o.step(weights: harness.network.parameters, gradients: UnsafeBufferPointer(harness.network.gradients),
                       loss: loss)
            }
        }
        let initial = Array(harness.network.parameters)
        run(a, 0..<16)
        let reference = Array(harness.network.parameters) + a.logStepSizes + a.metaStateSensitivity
        for i in 0..<initial.count { harness.network.parameters[i] = initial[i] }
        let b = try ExactHessianMetaOptimizer(tensors: harness.tensors, configuration: config, totalSteps: 16,
                                              oracle: harness.oracle)
        run(b, 0..<9)
        let data = try JSONEncoder().encode(b.exportState())
        let c = try ExactHessianMetaOptimizer(tensors: harness.tensors, configuration: config, totalSteps: 16,
                                              oracle: harness.oracle)
        try c.restore(JSONDecoder().decode(OptimizerState.self, from: data))
        run(c, 9..<16)
        #expect(Array(harness.network.parameters) + c.logStepSizes + c.metaStateSensitivity == reference)
        // A state of the 2x2 trace does not restore into an L-approximation optimizer (its method identity differs).
        let other = try ExactHessianMetaOptimizer(tensors: harness.tensors, configuration: config,
                                                  approximation: .l, totalSteps: 16, oracle: harness.oracle)
        #expect(throws: OptimizerError.self) { try other.restore(c.exportState()) }
    }

    @Test("the exact optimizer reports MetaOptimize's step-size columns: trace β then z (scalar and blocks), state method names the exact trace",
          arguments: [Granularity.scalar, .lastLayerAndOthers])
    func reportsMetaOptimizeColumns(_ granularity: Granularity) throws {
        let harness = try HessianHarness(try goldenNetwork("mlp"))
        let config = OptimizerConfiguration(base: .sgd, alpha0: 0.1, meta: .sgd, metaStepSize: 1e-2, gamma: 0.99,
                                            granularity: granularity)
        let e = try ExactHessianMetaOptimizer(tensors: harness.tensors, configuration: config, totalSteps: 4,
                                              oracle: harness.oracle)
        let f = try MetaOptimizer(tensors: harness.tensors, configuration: config, totalSteps: 4)
        #expect(e.stepSizeReport == f.stepSizeReport)
        let k = e.groupCount
        #expect(e.stepSizeReport.traceColumns.suffix(k) == (k == 1 ? ["meta_gradient"] : (0..<k).map { "meta_gradient_\($0)" }))
        let x = goldenSample(0)
        let loss = harness.trainStep(x, [goldenLabel(x)])
        let before = e.logStepSizes
        e.step(weights: harness.network.parameters, gradients: UnsafeBufferPointer(harness.network.gradients), loss: loss)
        var values = [Double](repeating: .nan, count: 2 * k)
        values.withUnsafeMutableBufferPointer { e.traceStepSizes(into: $0) }
        #expect(values == before.map(Double.init) + e.metaGradients.map(Double.init))
        #expect(e.exportState().method.hasPrefix("metaoptimize-exact-hessian ") && f.exportState().method != e.exportState().method)
    }

    @Test("Adagrad tangent (derived like RMSProp's): z_t = d f_t/dβ on a quadratic stream, vs central differences")
    func adagradTangentIsTheDerivative() {
        // f_t(w) = ½ (w − c_t)ᵀ A (w − c_t) with a fixed symmetric positive definite A, n = 8, 30 steps, constant β.
        let n = 8, steps = 30
        var a = [Float](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { a[i * n + j] = (i == j ? 1.5 : 0) + 0.2 * Float(cos(Double(i + j))) } }
        func target(_ t: Int) -> [Float] { (0..<n).map { Float(sin(0.3 * Double(t) + Double($0))) } }
        func loss(_ w: [Float], _ c: [Float]) -> Double {
            var s = 0.0
            for i in 0..<n { for j in 0..<n { s += 0.5 * Double(w[i] - c[i]) * Double(a[i * n + j]) * Double(w[j] - c[j]) } }
            return s
        }
        func apply(_ v: [Float]) -> [Float] { (0..<n).map { i in (0..<n).reduce(Float(0)) { $0 + a[i * n + $1] * v[$1] } } }
        /// Runs the kernel with step size α; returns per-step losses and z (z from the tangent).
        func run(alpha: Float) -> (losses: [Double], z: [Double]) {
            var w = [Float](repeating: 0.1, count: n), m = [Float](repeating: 0, count: n)
            var v = [Float](repeating: 0, count: n), xw = [Float](repeating: 0, count: n)
            var xm = [Float](repeating: 0, count: n), xv = [Float](repeating: 0, count: n)
            var losses: [Double] = [], zs: [Double] = []
            let segments = UnsafeMutableBufferPointer<Segment>.allocate(capacity: 1)
            segments[0] = Segment(0 ..< n, group: 0)
            let scratch = UnsafeMutablePointer<V8>.allocate(capacity: 2)
            let zc = UnsafeMutablePointer<Float>.allocate(capacity: 2)
            defer { segments.deallocate(); scratch.deallocate(); zc.deallocate() }
            for t in 0..<steps {
                let c = target(t)
                losses.append(loss(w, c))
                let g = apply(zip(w, c).map { $0 - $1 })
                zs.append(zip(xw, g).reduce(0.0) { $0 + Double($1.0) * Double($1.1) })
                let hv = apply(xw)
                let one: [Float] = [1], alphas: [Float] = [alpha]
                w.withUnsafeMutableBufferPointer { wp in m.withUnsafeMutableBufferPointer { mp in
                v.withUnsafeMutableBufferPointer { vp in xw.withUnsafeMutableBufferPointer { xwp in
                xm.withUnsafeMutableBufferPointer { xmp in xv.withUnsafeMutableBufferPointer { xvp in
                g.withUnsafeBufferPointer { gp in hv.withUnsafeBufferPointer { hp in one.withUnsafeBufferPointer { op in
                alphas.withUnsafeBufferPointer { ap in
                    let b = ExactBuffers(w: wp.baseAddress!, g: gp.baseAddress!, s0: vp.baseAddress!, s1: mp.baseAddress!,
                                         xw: xwp.baseAddress!, xm: xmp.baseAddress!, xv: xvp.baseAddress!,
                                         hv: hp.baseAddress!, multiplier: op.baseAddress!, n: n, k: 1,
                                         accumulators: scratch, curvature: false)
                    runExactBasePass(.adagrad(AdagradTangent(gamma: V8(repeating: 1))), ExactPass(
                        buffers: b, segments: segments, alpha: ap.baseAddress!, factor: 1, gamma: 1, kappa: 0, z: zc,
                        c: zc + 1, factors: nil))
                }}}}}}}}}}
            }
            return (losses, zs)
        }
        let beta: Float = log(0.05), epsilon: Float = 1e-3
        let exact = run(alpha: exp(beta)).z
        let plus = run(alpha: exp(beta + epsilon)).losses, minus = run(alpha: exp(beta - epsilon)).losses
        var agreeing = 0
        for t in 1..<steps {
            let d = (plus[t] - minus[t]) / Double(2 * epsilon)
            if abs(exact[t] - d) <= 2e-2 * abs(d) + 1e-4 { agreeing += 1 }
        }
        #expect(Double(agreeing) / Double(steps - 1) >= 0.9, "agreeing steps: \(agreeing) of \(steps - 1)")
        #expect(exact.contains { abs($0) > 1e-3 })
    }
}
