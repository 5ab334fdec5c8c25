import Datasets
import MetaOptimize
import Networks
import Streams

/// A `RunConfiguration` whose every setting has been parsed and checked. Building one is where invalid settings
/// are reported (`SettingError`, one line each); data problems surface later, when the data is read.
public struct ValidatedConfiguration: Sendable {
    public let configuration: RunConfiguration
    public let split: Split
    public let labelKind: CIFAR100LabelKind
    public let streamKind: StreamKind
    public let augmentation: Augmentation
    public let model: ModelSpec
    /// MetaOptimize's settings (also the base rule, α0 and weight decay other methods read).
    public let optimizer: OptimizerConfiguration
    /// The method `--optimizer` selects.
    public let optimizerKind: OptimizerKind

    public init(_ configuration: RunConfiguration) throws {
        var c = configuration
        func parse<T: RawRepresentable>(_ value: String, _ flag: String, _ type: T.Type, allowed: [String]) throws -> T
            where T.RawValue == String {
            guard let parsed = T(rawValue: value) else {
                throw SettingError.invalid("--\(flag): unknown value '\(value)' (expected \(allowed.joined(separator: ", ")))")
            }
            return parsed
        }
        split = try parse(c.split, "split", Split.self, allowed: Split.allCases.map(\.rawValue))
        labelKind = try parse(c.labels, "labels", CIFAR100LabelKind.self, allowed: ["fine", "coarse"])
        streamKind = try parse(c.stream, "stream", StreamKind.self, allowed: StreamKind.allCases.map(\.rawValue))
        augmentation = try parse(c.augment, "augment", Augmentation.self, allowed: Augmentation.allCases.map(\.rawValue))
        do { model = try ModelSpec(parsing: c.model) } catch {
            throw SettingError.invalid("--model: \(error)")
        }
        func positive(_ value: Int, _ flag: String) throws {
            guard value >= 1 else { throw SettingError.invalid("--\(flag) must be a positive integer, got \(value)") }
        }
        try positive(c.tasks, "tasks")
        if let length = c.taskLength { try positive(length, "task-length") }
        if let k = c.classesPerTask { try positive(k, "classes-per-task") }
        try positive(c.batchSize, "batch-size")
        try positive(c.logEvery, "log-every")
        guard c.testSamples >= 0 else {
            throw SettingError.invalid("--test-samples must be 0 (all) or positive, got \(c.testSamples)")
        }
        if let length = c.taskLength, length % c.batchSize != 0 {
            throw SettingError.invalid("--task-length \(length) must be a multiple of --batch-size \(c.batchSize), so that tasks change between steps")
        }
        let numbers: [(String, Double?)] = [
            ("alpha0", c.alpha0), ("weight-decay", c.weightDecay), ("momentum", c.momentum),
            ("normalizer", c.normalizer), ("lion-interpolation", c.lionInterpolation),
            ("meta-step-size", c.metaStepSize), ("gamma", c.gamma), ("meta-momentum", c.metaMomentum),
            ("meta-normalizer", c.metaNormalizer), ("meta-lion-interpolation", c.metaLionInterpolation),
            ("meta-weight-decay", c.metaWeightDecay),
        ]
        for (flag, value) in numbers {
            if let value, !value.isFinite || value < 0 {
                throw SettingError.invalid("--\(flag) must be a finite non-negative number, got \(value)")
            }
        }
        guard c.alpha0 > 0 else { throw SettingError.invalid("--alpha0 must be positive, got \(c.alpha0)") }

        optimizerKind = try OptimizerKind.named(c.optimizer)
        c.optimizer = optimizerKind.name
        try c.resolveCompetitorSettings()
        var o = OptimizerConfiguration()
        do {
            o.base = try BaseRule(parsing: c.base)
            o.meta = try MetaRule(parsing: c.meta)
            o.granularity = try Granularity(parsing: c.granularity)
            o.mode = try OptimizerMode(parsing: c.mode)
            o.schedule = try Schedule(parsing: c.schedule)
            o.subnormals = try SubnormalHandling(parsing: c.subnormals)
            try o.schedule.validate()
        } catch let error as OptimizerError {
            throw SettingError.invalid(error.description)
        }
        if o.meta == .idbd && model != .linear {
            throw SettingError.invalid("--meta idbd needs --model linear (IDBD uses the linear model's diagonal Hessian)")
        }
        o.alpha0 = c.alpha0
        o.weightDecay = c.weightDecay
        o.momentum = c.momentum
        o.normalizer = c.normalizer
        o.lionInterpolation = c.lionInterpolation
        o.metaStepSize = c.metaStepSize
        o.gamma = c.gamma
        o.metaMomentum = c.metaMomentum
        o.metaNormalizer = c.metaNormalizer
        o.metaLionInterpolation = c.metaLionInterpolation
        o.metaWeightDecay = c.metaWeightDecay
        let resolved = o.resolved()
        optimizer = resolved
        // Write the resolved optimizer values back, so the configuration alone reproduces the run.
        c.momentum = resolved.momentum
        c.normalizer = resolved.normalizer
        c.lionInterpolation = resolved.lionInterpolation
        c.metaMomentum = resolved.metaMomentum
        c.metaNormalizer = resolved.metaNormalizer
        c.metaLionInterpolation = resolved.metaLionInterpolation
        c.gamma = resolved.gamma
        c.meta = resolved.meta.rawValue
        c.granularity = resolved.granularity.description
        c.schedule = resolved.schedule.description
        c.subnormals = resolved.subnormals.rawValue
        c.model = model.description
        if streamKind != .classIncremental && c.taskLength == nil { c.taskLength = 5000 }
        if streamKind != .classIncremental && c.classesPerTask != nil {
            throw SettingError.invalid("--classes-per-task applies only to --stream class-incremental")
        }
        self.configuration = c
    }

    /// The stream spec of this configuration.
    public var streamSpec: StreamSpec {
        StreamSpec(kind: streamKind, tasks: configuration.tasks, taskLength: configuration.taskLength,
                   seed: configuration.seed, classesPerTask: configuration.classesPerTask,
                   firstTaskIdentity: configuration.firstTaskIdentity, augmentation: augmentation)
    }
}
