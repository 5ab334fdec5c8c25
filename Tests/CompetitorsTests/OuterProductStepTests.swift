import Foundation
import MetaOptimize
import Testing
@testable import Competitors

/// A two-layer network's parameter layout (weights row-major, then biases) and one batch-1 gradient per step: the
/// weight gradients as outer products δ·xᵀ (with dead rows, δ = 0), the biases dense.
private struct TwoLayerGradients {
    let inputs: Int, hidden: Int, outputs: Int
    var tensors: [TensorDescriptor] {
        [TensorDescriptor(name: "w1", shape: [hidden, inputs]), TensorDescriptor(name: "b1", shape: [hidden]),
         TensorDescriptor(name: "w2", shape: [outputs, hidden]), TensorDescriptor(name: "b2", shape: [outputs])]
    }
    var count: Int { hidden * inputs + hidden + outputs * hidden + outputs }
    var secondOffset: Int { hidden * inputs + hidden }

    /// Deterministic pseudo-random values in [−scale, scale).
    static func values(_ n: Int, seed: UInt64, scale: Float) -> [Float] {
        var state = seed
        return (0 ..< n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) * 0x1p-24 * 2 - 1) * scale
        }
    }

    /// Step `t`'s factors: δ1 (some rows 0), x, δ2, h, and the dense bias gradients.
    func factors(step t: Int) -> (d1: [Float], x: [Float], d2: [Float], h: [Float]) {
        var d1 = Self.values(hidden, seed: UInt64(10 + t), scale: 0.5)
        for r in stride(from: t % 3, to: hidden, by: 3) { d1[r] = 0 }
        let x = Self.values(inputs, seed: UInt64(100 + t), scale: 1)
        var h = Self.values(hidden, seed: UInt64(200 + t), scale: 1).map { max($0, 0) }
        h[0] = -0.0
        return (d1, x, Self.values(outputs, seed: UInt64(300 + t), scale: 0.5), h)
    }

    /// The dense gradient (the blocks materialised) and the same gradient with the blocks' regions set to NaN
    /// (what the factored step must not read when it forms the products itself).
    func gradients(step t: Int) -> (dense: [Float], holey: [Float]) {
        let f = factors(step: t)
        var dense = [Float](repeating: .nan, count: count)
        for r in 0 ..< hidden { for c in 0 ..< inputs { dense[r * inputs + c] = f.d1[r] == 0 ? 0 : f.d1[r] * f.x[c] } }
        for r in 0 ..< hidden { dense[hidden * inputs + r] = f.d1[r] }
        for r in 0 ..< outputs { for c in 0 ..< hidden { dense[secondOffset + r * hidden + c] = f.d2[r] == 0 ? 0 : f.d2[r] * f.h[c] } }
        for r in 0 ..< outputs { dense[secondOffset + outputs * hidden + r] = f.d2[r] }
        var holey = dense
        for i in 0 ..< hidden * inputs { holey[i] = .nan }
        for i in secondOffset ..< secondOffset + outputs * hidden { holey[i] = .nan }
        return (dense, holey)
    }
}

@Suite("Competitors: the batch-1 step on outer-product gradients")
struct OuterProductStepTests {
    /// Runs `steps` steps of `method` twice, on the dense gradient and on outer products (block regions NaN), and
    /// checks weights, state and logged step sizes bit for bit after every step. Returns whether the factored form
    /// was taken (formed in the passes) rather than materialised.
    private func compare(_ method: CompetitorMethod, _ settings: CompetitorSettings, layout: TwoLayerGradients,
                         steps: Int = 6) throws -> Bool {
        let dense = try makeCompetitor(method, tensors: layout.tensors, settings: settings)
        let factored = try makeCompetitor(method, tensors: layout.tensors, settings: settings)
        var wDense = TwoLayerGradients.values(layout.count, seed: 7, scale: 0.1), wFactored = wDense
        var formed = false
        for t in 0 ..< steps {
            let f = layout.factors(step: t)
            let pair = layout.gradients(step: t)
            let g = pair.dense
            var holey = pair.holey
            _ = wDense.withUnsafeMutableBufferPointer { w in g.withUnsafeBufferPointer { dense.step(weights: w, gradients: $0, loss: 1) } }
            try f.d1.withUnsafeBufferPointer { d1 in
                try f.x.withUnsafeBufferPointer { x in
                    try f.d2.withUnsafeBufferPointer { d2 in
                        try f.h.withUnsafeBufferPointer { h in
                            let blocks = [
                                OuterProductGradient(offset: 0, rows: layout.hidden, columns: layout.inputs,
                                                     rowFactors: d1.baseAddress!, columnFactors: x.baseAddress!),
                                OuterProductGradient(offset: layout.secondOffset, rows: layout.outputs, columns: layout.hidden,
                                                     rowFactors: d2.baseAddress!, columnFactors: h.baseAddress!),
                            ]
                            let competitor = try #require(factored as? any Competitor)
                            formed = blocks.withUnsafeBufferPointer { competitor.formsOuterProducts($0) }
                            _ = wFactored.withUnsafeMutableBufferPointer { w in
                                holey.withUnsafeMutableBufferPointer {
                                    factored.step(weights: w, gradients: $0, outerProducts: blocks, loss: 1)
                                }
                            }
                        }
                    }
                }
            }
            #expect(wFactored.map(\.bitPattern) == wDense.map(\.bitPattern), "\(method) step \(t + 1): weights")
            #expect(factored.exportState() == dense.exportState(), "\(method) step \(t + 1): state")
            var a = [Double](repeating: 0, count: dense.stepSizeReport.traceColumns.count), b = a
            a.withUnsafeMutableBufferPointer { dense.traceStepSizes(into: $0) }
            b.withUnsafeMutableBufferPointer { factored.traceStepSizes(into: $0) }
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "\(method) step \(t + 1): trace")
        }
        #expect(dense.stepsTaken == steps && !dense.isDiverged, "\(method): every step taken")
        return formed
    }

    @Test("With rows of whole 8-lane vectors the products are formed in the passes (the blocks' NaN-filled regions are never read), bit for bit the dense step, at the package defaults and on the methods' other branches",
          arguments: CompetitorMethod.allCases, [false, true])
    func formedInPasses(_ method: CompetitorMethod, branches: Bool) throws {
        let layout = TwoLayerGradients(inputs: 24, hidden: 16, outputs: 3)
        let formed = try compare(method, branches ? exercisingSettings(method) : CompetitorSettings(), layout: layout)
        #expect(formed, "\(method): the aligned layout must take the factored path")
    }

    @Test("With rows that are not whole vectors (20 columns) the blocks are materialised first: still the dense step",
          arguments: CompetitorMethod.allCases)
    func materialisedWhenUnaligned(_ method: CompetitorMethod) throws {
        let layout = TwoLayerGradients(inputs: 20, hidden: 12, outputs: 3)
        let formed = try compare(method, CompetitorSettings(), layout: layout)
        #expect(!formed, "\(method): 20 columns cannot be formed with the dense lanes")
    }
}
