import Foundation
import Testing
@testable import MetaOptimize

@Suite("Configuration: names, defaults, validation")
struct ConfigurationTests {
    @Test("rule names parse case-insensitively with the aliases adam→adamw (base) and adamw→adam (meta)")
    func parsing() throws {
        #expect(try BaseRule(parsing: "AdamW") == .adamw)
        #expect(try BaseRule(parsing: "Adam") == .adamw)
        #expect(try BaseRule(parsing: "SGDm") == .sgdm)
        #expect(try MetaRule(parsing: "AdamW") == .adam)
        #expect(try MetaRule(parsing: "RMSProp") == .rmsprop)
        #expect(try MetaRule(parsing: "hypergradient") == .hypergradient)
        #expect(try OptimizerMode(parsing: "Standard") == .standard)
        #expect(throws: OptimizerError.self) { try BaseRule(parsing: "adadelta") }
        #expect(throws: OptimizerError.self) { try MetaRule(parsing: "") }
    }

    @Test("resolved() fills the selected rules' defaults and clears unused hyper-parameters")
    func resolvedDefaults() {
        let adam = OptimizerConfiguration(base: .adamw, meta: .adam).resolved()
        #expect(adam.momentum == 0.9 && adam.normalizer == 0.999 && adam.lionInterpolation == nil)
        #expect(adam.metaMomentum == 0.9 && adam.metaNormalizer == 0.999 && adam.metaLionInterpolation == nil)
        let lion = OptimizerConfiguration(base: .lion, momentum: nil, normalizer: 0.5, meta: .lion).resolved()
        #expect(lion.momentum == 0.99 && lion.lionInterpolation == 0.9 && lion.normalizer == nil)
        #expect(lion.metaMomentum == 0.99 && lion.metaLionInterpolation == 0.9 && lion.metaNormalizer == nil)
        let sgd = OptimizerConfiguration(base: .sgd, momentum: 0.5, meta: .fixed, metaMomentum: 0.3).resolved()
        #expect(sgd.momentum == nil && sgd.metaMomentum == nil)
        let sgdm = OptimizerConfiguration(base: .sgdm, meta: .rmsprop).resolved()
        #expect(sgdm.momentum == 0.9 && sgdm.metaNormalizer == 0.999 && sgdm.metaMomentum == nil)
        let custom = OptimizerConfiguration(base: .adamw, momentum: 0.8, meta: .mnm, metaNormalizer: 0.99).resolved()
        #expect(custom.momentum == 0.8 && custom.metaNormalizer == 0.99 && custom.metaMomentum == 0.9)
        #expect(adam.resolved() == adam)
    }

    @Test("resolved(): hypergradient forces γ = 0, idbd forces γ = 1")
    func presets() {
        #expect(OptimizerConfiguration(meta: .hypergradient, gamma: 0.999).resolved().gamma == 0)
        #expect(OptimizerConfiguration(base: .sgd, meta: .idbd, gamma: 0.5).resolved().gamma == 1)
        #expect(OptimizerConfiguration(meta: .hypergradient).resolved().meta == .hypergradient)
    }

    @Test("Codable: round trip, and partial JSON takes the defaults for missing keys")
    func codable() throws {
        let config = OptimizerConfiguration(base: .lion, alpha0: 3e-4, weightDecay: 0.01, momentum: 0.95,
                                            lionInterpolation: 0.8, meta: .rmsprop, metaStepSize: 1e-2, gamma: 1,
                                            granularity: .blocks([4, 2]), mode: .standard,
                                            schedule: .step(every: 100, factor: 0.5))
        let data = try JSONEncoder().encode(config)
        #expect(try JSONDecoder().decode(OptimizerConfiguration.self, from: data) == config)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"blocks:4,2\"") && text.contains("\"step:100:0.5\""))
        let partial = try JSONDecoder().decode(OptimizerConfiguration.self, from: Data(#"{"base":"sgd"}"#.utf8))
        var expected = OptimizerConfiguration()
        expected.base = .sgd
        #expect(partial == expected)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(OptimizerConfiguration.self, from: Data(#"{"meta":"adadelta"}"#.utf8))
        }
    }

    static func invalid(_ change: (inout OptimizerConfiguration) -> Void) -> OptimizerConfiguration {
        var config = OptimizerConfiguration()
        change(&config)
        return config
    }

    @Test("validation rejects negative, non-finite and out-of-range hyper-parameters, naming the field",
          arguments: [
              ("alpha0", invalid { $0.alpha0 = 0 }), ("alpha0", invalid { $0.alpha0 = .nan }),
              ("alpha0", invalid { $0.alpha0 = 1e-50 }),
              ("weightDecay", invalid { $0.weightDecay = -0.1 }), ("momentum", invalid { $0.momentum = 1 }),
              ("momentum", invalid { $0.momentum = -0.1 }), ("normalizer", invalid { $0.normalizer = 1 }),
              ("metaStepSize", invalid { $0.metaStepSize = .infinity }), ("gamma", invalid { $0.gamma = 1.5 }),
              ("metaMomentum", invalid { $0.metaMomentum = 1.2 }), ("metaNormalizer", invalid { $0.metaNormalizer = 1 }),
              ("metaWeightDecay", invalid { $0.metaWeightDecay = -1 }),
              ("lionInterpolation", invalid { $0.base = .lion; $0.lionInterpolation = 1.5 }),
              ("metaLionInterpolation", invalid { $0.meta = .lion; $0.metaLionInterpolation = -0.5 }),
          ])
    func rejectsBadValues(field: String, config: OptimizerConfiguration) {
        #expect {
            try config.validate(tensors: ToyProblem.tensors, hasDiagonalHessian: false)
        } throws: { error in
            guard let error = error as? OptimizerError, case .invalidValue(let f, _, _) = error else { return false }
            return f == field
        }
    }

    @Test("validation: IDBD needs base SGD, weightwise step sizes and a diagonal Hessian")
    func idbdRequirements() throws {
        let good = OptimizerConfiguration(base: .sgd, meta: .idbd, granularity: .weightwise)
        try good.validate(tensors: ToyProblem.tensors, hasDiagonalHessian: true)
        for (config, hessian, field) in [
            (OptimizerConfiguration(base: .adamw, meta: .idbd, granularity: .weightwise), true, "base"),
            (OptimizerConfiguration(base: .sgd, meta: .idbd, granularity: .scalar), true, "granularity"),
            (good, false, "meta"),
        ] {
            #expect {
                try config.validate(tensors: ToyProblem.tensors, hasDiagonalHessian: hessian)
            } throws: { error in
                guard let error = error as? OptimizerError, case .incompatible(let f, _, _) = error else { return false }
                return f == field
            }
        }
    }

    @Test("validation: malformed tensor lists (empty, duplicate names, count ≠ product of shape, zero dimension)")
    func badTensors() {
        let cases: [[TensorDescriptor]] = [
            [],
            [TensorDescriptor(name: "a", shape: [2]), TensorDescriptor(name: "a", shape: [3])],
            [TensorDescriptor(name: "a", shape: [2, 3], count: 5)],
            [TensorDescriptor(name: "a", shape: [0, 3])],
            [TensorDescriptor(name: "", shape: [1])],
        ]
        for tensors in cases {
            #expect(throws: OptimizerError.self) {
                try OptimizerConfiguration().validate(tensors: tensors, hasDiagonalHessian: false)
            }
        }
        #expect(TensorDescriptor(name: "s", shape: []).count == 1)
    }

    @Test("the optimizer rejects invalid planned steps: negative, or 0 for a schedule that needs T, or W > T")
    func badTotalSteps() {
        #expect(throws: OptimizerError.self) {
            try MetaOptimizer(tensors: ToyProblem.tensors, configuration: OptimizerConfiguration(), totalSteps: -1)
        }
        #expect(throws: OptimizerError.self) {
            try MetaOptimizer(tensors: ToyProblem.tensors, configuration: OptimizerConfiguration(schedule: .cosine),
                              totalSteps: 0)
        }
        #expect(throws: OptimizerError.self) {
            try MetaOptimizer(tensors: ToyProblem.tensors,
                              configuration: OptimizerConfiguration(schedule: .warmupCosine(warmup: 50)), totalSteps: 10)
        }
    }
}
