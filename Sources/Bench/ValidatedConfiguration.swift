import Datasets
import MetaOptimize
import Networks
import Settings
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
    /// When plasticity diagnostics are computed (`--diagnostics`).
    public let diagnostics: DiagnosticsMode
    /// Whether UPGD's per-sample plasticity is measured (`--plasticity on`).
    public let measuresPlasticity: Bool
    /// MetaOptimize's trace (`hessian`) and the exact trace's meta block (`approximation`).
    public let hessian: HessianMode
    public let approximation: HessianApproximation

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
        // Types and ranges of every setting, as declared.
        for declaration in RunConfiguration.table.declarations {
            do { try declaration.check(c[declaration.key], source: declaration.flag) } catch {
                throw SettingError.invalid("\(error)")
            }
        }
        diagnostics = try parse(c.diagnostics, "diagnostics", DiagnosticsMode.self, allowed: ["off", "task", "bin"])
        measuresPlasticity = try parse(c.plasticity, "plasticity", Switch.self, allowed: ["on", "off"]) == .on
        if let length = c.taskLength, length % c.batchSize != 0 {
            throw SettingError.invalid("--task-length \(length) must be a multiple of --batch-size \(c.batchSize), so that tasks change between steps")
        }
        optimizerKind = try OptimizerKind.named(c.optimizer)
        c.optimizer = optimizerKind.name
        try c.resolveCompetitorSettings()
        // MetaOptimize's settings: each catalog entry bound to OptimizerConfiguration stores its value there.
        var o = OptimizerConfiguration()
        let bindings = RunConfiguration.catalog.optimizerBindings
        do {
            for (key, binding) in bindings { try binding.apply(&o, c[key]) }
            try o.schedule.validate()
        } catch let error as OptimizerError {
            throw SettingError.invalid(error.description)
        }
        if o.meta == .idbd && model != .linear {
            throw SettingError.invalid("--meta idbd needs --model linear (IDBD uses the linear model's diagonal Hessian)")
        }
        do {
            hessian = try HessianMode(parsing: c.hessian)
            approximation = try HessianApproximation(parsing: c.approximation)
        } catch let error as OptimizerError {
            throw SettingError.invalid(error.description)
        }
        let resolved = o.resolved()
        optimizer = resolved
        // Write the resolved values back, so the configuration alone reproduces the run.
        for (key, binding) in bindings { c[key] = binding.read(resolved) }
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
