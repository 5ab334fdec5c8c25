import Foundation
import Testing
@testable import MetaOptimize

@Suite("OptimizerState: checkpoint export and restore")
struct OptimizerStateTests {
    static let configurations: [OptimizerConfiguration] = [
        ToyProblem.goldenConfiguration(base: .adamw, meta: .adam),
        ToyProblem.goldenConfiguration(base: .lion, meta: .lion, granularity: .lastLayerAndOthers),
        ToyProblem.goldenConfiguration(base: .sgdm, meta: .mnm, granularity: .nodewise),
        ToyProblem.goldenConfiguration(base: .rmsprop, meta: .rmsprop, granularity: .weightwise),
        {
            var c = ToyProblem.goldenConfiguration(base: .adamw, meta: .adam)
            c.mode = .standard
            c.schedule = .warmupCosine(warmup: 5)
            return c
        }(),
    ]

    @Test("export → JSON → restore into a new optimizer continues bit-identically", arguments: configurations)
    func bitIdenticalContinuation(config: OptimizerConfiguration) throws {
        let total = 30
        let reference = try MetaOptimizer(tensors: ToyProblem.tensors, configuration: config, totalSteps: total)
        var w = ToyProblem.initialWeights()
        func sample(_ t: Int, _ w: [Float]) -> (Float, [Float]) {
            let (x, label) = ToyProblem.sample(t % 20)
            return ToyProblem.lossAndGradient(w, x: x, label: label)
        }
        for t in 0 ..< 12 {
            let (loss, g) = sample(t, w)
            step(reference, &w, g, loss: loss)
        }
        let data = try JSONEncoder().encode(reference.exportState())
        let restored = try MetaOptimizer(tensors: ToyProblem.tensors, configuration: config, totalSteps: total)
        try restored.restore(JSONDecoder().decode(OptimizerState.self, from: data))
        #expect(restored.stepsTaken == 12)
        var w2 = w
        for t in 12 ..< total {
            let (loss, g) = sample(t, w)
            step(reference, &w, g, loss: loss)
            step(restored, &w2, g, loss: loss)
            #expect(w.map(\.bitPattern) == w2.map(\.bitPattern))
            #expect(reference.logStepSizes.map(\.bitPattern) == restored.logStepSizes.map(\.bitPattern))
        }
        #expect(reference.exportState() == restored.exportState())
    }

    @Test("restore rejects a state from different tensors, configuration, planned steps or with wrong sizes")
    func mismatches() throws {
        let config = ToyProblem.goldenConfiguration(base: .adamw, meta: .adam)
        let optimizer = try MetaOptimizer(tensors: ToyProblem.tensors, configuration: config, totalSteps: 10)
        let good = optimizer.exportState()
        var cases: [(String, OptimizerState)] = []
        var s = good
        var tensors = ToyProblem.tensors
        tensors[0].name = "other"
        s.method = try MetaOptimizer(tensors: tensors, configuration: config, totalSteps: 10).exportState().method
        cases.append(("configuration", s))
        var other = config
        other.metaStepSize = 0.5
        s.method = try MetaOptimizer(tensors: ToyProblem.tensors, configuration: other, totalSteps: 10).exportState().method
        cases.append(("configuration", s))
        s.method = try MetaOptimizer(tensors: ToyProblem.tensors, configuration: config, totalSteps: 11).exportState().method
        cases.append(("configuration", s))
        s = good
        s.trace.removeLast()
        cases.append(("trace", s))
        s = good
        s.arrays.removeAll { $0.name == "metaFirstMoment" }
        cases.append(("arrays", s))
        s = good
        s.scalars["metaPower"] = 2
        cases.append(("metaPower", s))
        s = good
        s.logStepSizes = [.infinity]
        cases.append(("logStepSizes", s))
        s = good
        s.schema = 99
        cases.append(("schema", s))
        for (field, state) in cases {
            #expect {
                try optimizer.restore(state)
            } throws: { error in
                guard let error = error as? OptimizerError, case .stateMismatch(let f, _, _) = error else { return false }
                return f == field
            }
        }
        #expect(optimizer.exportState() == good)
    }

    @Test("export holds only the state the rules have (SGD base + fixed meta: no moments)")
    func emptyArraysForUnusedState() throws {
        let optimizer = try MetaOptimizer(tensors: ToyProblem.tensors,
                                          configuration: OptimizerConfiguration(base: .sgd, meta: .fixed), totalSteps: 1)
        let state = optimizer.exportState()
        #expect(state.firstMoment.isEmpty && state.secondMoment.isEmpty)
        #expect(state.metaFirstMoment.isEmpty && state.metaSecondMoment.isEmpty)
        #expect(state.trace.count == 43 && state.logStepSizes.count == 1)
    }
}
