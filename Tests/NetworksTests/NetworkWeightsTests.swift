import Foundation
import Testing
@testable import Networks

struct NetworkWeightsTests {
    private func makeNetwork(_ spec: ModelSpec, classes: Int = 5, seed: UInt64) throws -> Network {
        let net = try Network(spec: spec, input: InputShape(channels: 2, height: 8, width: 8), classes: classes)
        var rng = TestRNG(seed: seed)
        net.initialize(using: &rng)
        return net
    }

    @Test("saveWeights writes every tensor with its PyTorch name, shape and values, plus the metadata",
          arguments: [ModelSpec.linear, .mlp(hidden: [6, 4]), .simpleCNN])
    func savedFileContents(spec: ModelSpec) throws {
        let net = try makeNetwork(spec, seed: 1)
        let path = temporaryPath("weights.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try net.saveWeights(to: path, metadata: ["model": spec.description])
        let file = try Safetensors.read(from: path)
        #expect(file.metadata == ["model": spec.description])
        #expect(Set(file.tensors.map(\.name)) == Set(net.parameterInfo.map(\.name)))
        for info in net.parameterInfo {
            let tensor = try #require(file.tensors.first { $0.name == info.name })
            #expect(tensor.shape == info.shape)
            #expect(tensor.values == Array(net.parameters[info.offset..<(info.offset + info.count)]))
        }
    }

    @Test("save → load into a fresh network restores identical parameters and logits; re-saving gives identical bytes")
    func saveLoadRoundTrip() throws {
        let net = try makeNetwork(.simpleCNN, seed: 2)
        let path = temporaryPath("a.safetensors"), again = temporaryPath("b.safetensors")
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: again)
        }
        try net.saveWeights(to: path)
        let fresh = try makeNetwork(.simpleCNN, seed: 3)
        #expect(fresh.parameterArray != net.parameterArray)
        try fresh.loadWeights(from: path)
        #expect(fresh.parameterArray == net.parameterArray)
        var rng = TestRNG(seed: 4)
        let x = rng.uniforms(128, 0, 1)
        net.evaluate(inputs: x, labels: [1])
        fresh.evaluate(inputs: x, labels: [1])
        #expect(Array(fresh.lastLogits) == Array(net.lastLogits))
        try fresh.saveWeights(to: again)
        #expect(try Data(contentsOf: URL(fileURLWithPath: again)) == Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test("loading checks names and shapes exactly and changes nothing on a mismatch")
    func mismatchesAreErrors() throws {
        let tenClasses = try makeNetwork(.simpleCNN, classes: 10, seed: 5)
        let path = temporaryPath("k10.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try tenClasses.saveWeights(to: path)

        let twentyClasses = try makeNetwork(.simpleCNN, classes: 20, seed: 6)
        let before = twentyClasses.parameterArray
        do {
            try twentyClasses.loadWeights(from: path)
            Issue.record("expected a shape mismatch")
        } catch let error as NetworkError {
            guard case .weightsMismatch(let file, let problem) = error else { Issue.record("\(error)"); return }
            #expect(file == path && problem.contains("fc2.weight") && problem.contains("[10, 128]"))
            #expect(!error.description.contains("\n"))
        }
        #expect(twentyClasses.parameterArray == before)

        let linear = try makeNetwork(.linear, seed: 7)
        #expect(throws: NetworkError.self) { try linear.loadWeights(from: path) }  // fc.weight missing

        // Extra tensor: all expected tensors present plus one more.
        var tensors = tenClasses.namedTensors()
        tensors.append((name: "extra", shape: [1], values: [0]))
        #expect(throws: NetworkError.weightsMismatch(file: "mem", problem: "unexpected tensor 'extra' (not a parameter of simple-cnn)")) {
            try tenClasses.loadTensors(tensors, source: "mem")
        }
        // Tensor order in the file does not matter.
        try tenClasses.loadTensors(tenClasses.namedTensors().reversed(), source: "mem")
    }

    @Test("a malformed weights file surfaces the SafetensorsError")
    func malformedFile() throws {
        let path = temporaryPath("bad.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        let net = try makeNetwork(.linear, seed: 8)
        #expect(throws: SafetensorsError.truncated(path: path, size: 3)) { try net.loadWeights(from: path) }
    }
}
