import Networks
import Testing
@testable import Diagnostics

struct ProbeTests {
    @Test("MLP layer of 5 units, two of them (1 and 3) with negative weights and bias on non-negative inputs: 2 dead, fraction 0.4; the features have rank 3")
    func twoDeadUnits() throws {
        let network = try Network(spec: .mlp(hidden: [5]), input: InputShape(channels: 1, height: 1, width: 3), classes: 2)
        let w = network.parameterInfo[0], b = network.parameterInfo[1]
        #expect(w.shape == [5, 3])
        // Units 0, 2, 4 read input 0, 1, 2; units 1 and 3 are −(x0 + x1 + x2) − 1 < 0 for x ≥ 0.
        let weights: [Float] = [1, 0, 0, -1, -1, -1, 0, 1, 0, -1, -1, -1, 0, 0, 1]
        for (i, v) in weights.enumerated() { network.parameters[w.offset + i] = v }
        for (i, v) in [Float(0), -1, 0, -1, 0].enumerated() { network.parameters[b.offset + i] = v }
        let probe = Probe(layers: network.hiddenLayers, capacity: 10)
        let inputs: [[Float]] = [[1, 0, 0], [0, 2, 0], [0, 0, 3], [1, 1, 1], [0.5, 0.25, 2]]
        for x in inputs {
            network.evaluate(inputs: x, labels: [0])
            probe.record(network)
        }
        #expect(probe.samples == 5)
        #expect(probe.deadUnits() == [LayerDeadUnits(network.hiddenLayers[0], dead: 2)])
        #expect(probe.deadUnits()[0].layer == "layers.0" && probe.deadUnits()[0].units == 5)
        #expect(probe.deadUnits()[0].fraction == 0.4)
        let ranks = try #require(probe.ranks())
        #expect(ranks.approximate == 3)
        #expect(ranks.effective > 2 && ranks.effective < 3)
    }

    @Test("SimpleCNN: a conv channel with negative bias and zero weights is dead at every position; the others are not")
    func deadChannels() throws {
        let network = try Network(spec: .simpleCNN, input: InputShape(channels: 1, height: 8, width: 8), classes: 2)
        let layers = network.hiddenLayers
        #expect(layers.map(\.name) == ["conv1", "conv2", "fc1"])
        #expect(layers.map(\.units) == [16, 32, 128] && layers.map(\.positions) == [16, 4, 1])
        // All weights zero; biases +1, except conv1 channels 2, 7, 11, conv2 channel 5 and fc1 units 0…9: −1.
        for i in network.parameters.indices { network.parameters[i] = 0 }
        func setBias(_ tensor: String, dead: Set<Int>) {
            let info = network.parameterInfo.first { $0.name == tensor }!
            for u in 0..<info.count { network.parameters[info.offset + u] = dead.contains(u) ? -1 : 1 }
        }
        setBias("conv1.bias", dead: [2, 7, 11])
        setBias("conv2.bias", dead: [5])
        setBias("fc1.bias", dead: Set(0..<10))
        let probe = Probe(layers: layers, capacity: 4)
        for s in 0..<6 {
            network.evaluate(inputs: (0..<64).map { Float(($0 * 7 + s) % 5) / 4 }, labels: [1])
            probe.record(network)
        }
        #expect(probe.samples == 4)  // capacity caps the feature rows; dead units count all recorded passes
        #expect(probe.deadUnits().map(\.dead) == [3, 1, 10])
        // Every probe sample has the same features (weights are zero): rank 1.
        #expect(probe.ranks()?.approximate == 1)
        #expect(abs((probe.ranks()?.effective ?? 0) - 1) < 1e-9)
    }

    @Test("a unit that is non-zero for one probe sample only is alive; reset() forgets it")
    func aliveOnce() throws {
        let network = try Network(spec: .mlp(hidden: [2]), input: InputShape(channels: 1, height: 1, width: 1), classes: 2)
        let w = network.parameterInfo[0], b = network.parameterInfo[1]
        network.parameters[w.offset] = 1; network.parameters[w.offset + 1] = -1
        network.parameters[b.offset] = -5; network.parameters[b.offset + 1] = -5
        let probe = Probe(layers: network.hiddenLayers, capacity: 3)
        for x: Float in [1, 2, 6] {
            network.evaluate(inputs: [x], labels: [0])
            probe.record(network)
        }
        #expect(probe.deadUnits()[0].dead == 1)  // unit 0 fired for x = 6 only
        probe.reset()
        network.evaluate(inputs: [1], labels: [0])
        probe.record(network)
        #expect(probe.deadUnits()[0].dead == 2 && probe.samples == 1)
    }
}
