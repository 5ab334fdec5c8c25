import Networks
import Testing
@testable import Diagnostics

struct PeriodStatisticsTests {
    @Test("sample plasticity 1 − after/before clamped to [0, 1]; 0 where undefined")
    func samplePlasticity() {
        #expect(PeriodStatistics.samplePlasticity(before: 2, after: 1) == 0.5)
        #expect(PeriodStatistics.samplePlasticity(before: 2, after: 0) == 1)
        #expect(PeriodStatistics.samplePlasticity(before: 1, after: 3) == 0)
        #expect(PeriodStatistics.samplePlasticity(before: 0, after: 0) == 0)
        #expect(PeriodStatistics.samplePlasticity(before: 1, after: .nan) == 0)
        var s = PeriodStatistics(tensors: 1)
        s.recordPlasticity(before: 2, after: 1)
        s.recordPlasticity(before: 4, after: 1)
        #expect(s.meanPlasticity == 0.625)
    }

    @Test("gradient norms: the factored batch-1 gradient gives the dense gradient's norms (whole and per tensor)")
    func factoredEqualsDense() throws {
        let network = try Network(spec: .mlp(hidden: [16, 8]), input: InputShape(channels: 1, height: 4, width: 4), classes: 3)
        var g = SystemRandomNumberGenerator()
        network.initialize(using: &g)
        let x = (0..<16).map { Float($0 % 5) / 4 }
        var dense = PeriodStatistics(tensors: network.parameterInfo.count)
        var factored = dense
        network.trainStep(inputs: x, labels: [2])
        dense.recordGradients(of: network)
        // The dense whole norm equals the root of the sum of squares over the gradient buffer.
        let direct = network.gradients.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(abs(dense.meanGradientNorm! - direct) < 1e-5 * direct)
        x.withUnsafeBufferPointer { xs in
            [Int32(2)].withUnsafeBufferPointer { ys in
                _ = network.trainStep(inputs: xs, labels: ys, batchSize: 1, weightGradients: .outerProducts)
            }
        }
        #expect(network.gradientsAreFactored)
        factored.recordGradients(of: network)
        #expect(abs(factored.meanGradientNorm! - direct) < 1e-5 * direct)
        let names = network.parameterInfo.map(\.name)
        for (a, b) in zip(dense.meanTensorGradientNorms(names: names), factored.meanTensorGradientNorms(names: names)) {
            #expect(a.tensor == b.tensor && abs(a.value - b.value) <= 1e-5 * max(a.value, 1e-30))
        }
        // Mean over two steps.
        dense.recordGradients(of: network)
        #expect(dense.steps == 2)
    }

    @Test("mean |w| per tensor")
    func meanAbs() throws {
        let network = try Network(spec: .linear, input: InputShape(channels: 1, height: 1, width: 2), classes: 2)
        for (i, v) in [Float(1), -3, 0.5, -0.5, 2, -4].enumerated() { network.parameters[i] = v }
        #expect(meanAbsoluteWeights(of: network) == [TensorValue(tensor: "fc.weight", value: 1.25),
                                                      TensorValue(tensor: "fc.bias", value: 3)])
    }
}
