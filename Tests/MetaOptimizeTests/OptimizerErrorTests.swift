import Testing
@testable import MetaOptimize

@Suite("OptimizerError descriptions")
struct OptimizerErrorTests {
    @Test("every description is one line naming the field, the expectation and the finding")
    func oneLine() {
        let errors: [(OptimizerError, [String])] = [
            (.unknownName(field: "meta", found: "adagrad", expected: ["sgd", "adam"]), ["'meta'", "adagrad", "sgd, adam"]),
            (.invalidValue(field: "gamma", expected: "a finite value in [0, 1]", found: "1.5"), ["'gamma'", "[0, 1]", "1.5"]),
            (.blocksDoNotSumToTensorCount(blocks: [6, 1], sum: 7, tensorCount: 8), ["granularity", "blocks:6,1", "8", "7"]),
            (.invalidTensor(index: 2, name: "fc.bias", expected: "a unique name", found: "a duplicate name"),
             ["tensor 2", "fc.bias", "unique", "duplicate"]),
            (.incompatible(field: "base", expected: "sgd", found: "adamw"), ["'base'", "sgd", "adamw"]),
            (.stateMismatch(field: "trace", expected: "43 values", found: "42 values"), ["'trace'", "43", "42"]),
        ]
        for (error, parts) in errors {
            #expect(!error.description.contains("\n"))
            for part in parts { #expect(error.description.contains(part), "\(error.description) lacks \(part)") }
        }
    }

    @Test("a configuration error thrown by the optimizer names the offending field")
    func thrownByOptimizer() {
        #expect {
            try MetaOptimizer(tensors: ToyProblem.tensors, configuration: OptimizerConfiguration(gamma: -1), totalSteps: 1)
        } throws: { error in
            (error as? OptimizerError)?.description.contains("'gamma'") == true
        }
    }
}
