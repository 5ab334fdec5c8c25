import Competitors
import Foundation

/// Every setting of one run. JSON form (`--config FILE.json`, the `config` object of `result.json`): one flat object
/// whose keys are the command-line flag names with `-` replaced by `_` (`--task-length` ↔ `task_length`).
/// Unknown keys are rejected. Optional values left out mean "the default of the chosen rule"; `resolved()` fills
/// them, and a result file always carries the resolved form, so it alone says how to reproduce the run.
public struct RunConfiguration: Codable, Sendable, Equatable {
    // Data and stream
    /// Dataset path (folder, archive, parent folder) or name (`fashion-mnist` → `data/fashion-mnist`).
    public var data: String = "fashion-mnist"
    public var split: String = "train"
    /// CIFAR-100 only: `fine` (100 classes) or `coarse` (20).
    public var labels: String = "fine"
    public var stream: String = "input-permuted"
    public var tasks: Int = 10
    /// Samples per task; nil = the stream kind's default: 5000, or for class-incremental streams one pass over the
    /// task's samples. Result files carry the resolved number.
    public var taskLength: Int? = nil
    public var classesPerTask: Int? = nil
    public var firstTaskIdentity: Bool = false
    public var augment: String = "none"
    /// Seeds everything: stream order, permutations, augmentation, weight initialisation.
    public var seed: UInt64 = 0

    // Model
    public var model: String = "mlp:256,256"
    public var batchSize: Int = 1

    // Optimizer (symbols of the spec: α0, κ, ρ, λ, c; meta η, γ, ρ̄, λ̄, c̄, κ̄)
    /// The method (`OptimizerKind.registered`): `metaoptimize` (MetaOptimize and its fixed/scheduled baselines).
    public var optimizer: String = "metaoptimize"
    public var base: String = "adamw"
    /// Initial step size α0 (the log step size starts at β0 = log α0, computed in Float).
    public var alpha0: Double = 1e-4
    /// κ: decoupled weight decay, scaled by α.
    public var weightDecay: Double = 0
    /// ρ (nil: SGDm/AdamW 0.9, Lion 0.99).
    public var momentum: Double? = nil
    /// λ (nil: 0.999).
    public var normalizer: Double? = nil
    /// c, Lion's interpolation inside sign (nil: 0.9).
    public var lionInterpolation: Double? = nil
    public var meta: String = "adam"
    /// η: meta step size on β = log α.
    public var metaStepSize: Double = 1e-3
    /// γ: trace discount.
    public var gamma: Double = 0.999
    public var metaMomentum: Double? = nil
    public var metaNormalizer: Double? = nil
    public var metaLionInterpolation: Double? = nil
    public var metaWeightDecay: Double = 0
    public var granularity: String = "scalar"
    /// `faithful` (the official implementation, default) or `standard` (textbook/PyTorch rules).
    public var mode: String = "faithful"
    /// Multiplies α = exp(β): constant, linear, cosine, warmup-cosine:W, step:EVERY:FACTOR.
    public var schedule: String = "constant"
    /// Subnormal float32 values in the optimizer step: `flush` (fast, default) or `exact` (IEEE, as PyTorch's CPU
    /// default).
    public var subnormals: String = "flush"

    // Measurement
    /// Curve bin width in optimizer steps.
    public var logEvery: Int = 100
    /// Test samples evaluated at the end of each task (0 = all of the task's test samples).
    public var testSamples: Int = 2000

    /// The learning-rate-free competitors' own hyper-parameters (flat keys `d0`, `growth_rate`, …; nil = the
    /// package default). Their `lr` is `alpha0`, their `weight_decay` is `weight_decay`.
    public var competitor = CompetitorSettings()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case data, split, labels, stream, tasks
        case taskLength = "task_length", classesPerTask = "classes_per_task"
        case firstTaskIdentity = "first_task_identity", augment, seed, model
        case batchSize = "batch_size", optimizer, base, alpha0
        case weightDecay = "weight_decay", momentum, normalizer
        case lionInterpolation = "lion_interpolation", meta
        case metaStepSize = "meta_step_size", gamma
        case metaMomentum = "meta_momentum", metaNormalizer = "meta_normalizer"
        case metaLionInterpolation = "meta_lion_interpolation", metaWeightDecay = "meta_weight_decay"
        case granularity, mode, schedule, subnormals
        case logEvery = "log_every", testSamples = "test_samples"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RunConfiguration()
        data = try c.decodeIfPresent(String.self, forKey: .data) ?? d.data
        split = try c.decodeIfPresent(String.self, forKey: .split) ?? d.split
        labels = try c.decodeIfPresent(String.self, forKey: .labels) ?? d.labels
        stream = try c.decodeIfPresent(String.self, forKey: .stream) ?? d.stream
        tasks = try c.decodeIfPresent(Int.self, forKey: .tasks) ?? d.tasks
        taskLength = c.contains(.taskLength) ? try c.decodeIfPresent(Int.self, forKey: .taskLength) : d.taskLength
        classesPerTask = try c.decodeIfPresent(Int.self, forKey: .classesPerTask)
        firstTaskIdentity = try c.decodeIfPresent(Bool.self, forKey: .firstTaskIdentity) ?? d.firstTaskIdentity
        augment = try c.decodeIfPresent(String.self, forKey: .augment) ?? d.augment
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? d.model
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        optimizer = try c.decodeIfPresent(String.self, forKey: .optimizer) ?? d.optimizer
        base = try c.decodeIfPresent(String.self, forKey: .base) ?? d.base
        alpha0 = try c.decodeIfPresent(Double.self, forKey: .alpha0) ?? d.alpha0
        weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? d.weightDecay
        momentum = try c.decodeIfPresent(Double.self, forKey: .momentum)
        normalizer = try c.decodeIfPresent(Double.self, forKey: .normalizer)
        lionInterpolation = try c.decodeIfPresent(Double.self, forKey: .lionInterpolation)
        meta = try c.decodeIfPresent(String.self, forKey: .meta) ?? d.meta
        metaStepSize = try c.decodeIfPresent(Double.self, forKey: .metaStepSize) ?? d.metaStepSize
        gamma = try c.decodeIfPresent(Double.self, forKey: .gamma) ?? d.gamma
        metaMomentum = try c.decodeIfPresent(Double.self, forKey: .metaMomentum)
        metaNormalizer = try c.decodeIfPresent(Double.self, forKey: .metaNormalizer)
        metaLionInterpolation = try c.decodeIfPresent(Double.self, forKey: .metaLionInterpolation)
        metaWeightDecay = try c.decodeIfPresent(Double.self, forKey: .metaWeightDecay) ?? d.metaWeightDecay
        granularity = try c.decodeIfPresent(String.self, forKey: .granularity) ?? d.granularity
        mode = try c.decodeIfPresent(String.self, forKey: .mode) ?? d.mode
        schedule = try c.decodeIfPresent(String.self, forKey: .schedule) ?? d.schedule
        subnormals = try c.decodeIfPresent(String.self, forKey: .subnormals) ?? d.subnormals
        logEvery = try c.decodeIfPresent(Int.self, forKey: .logEvery) ?? d.logEvery
        testSamples = try c.decodeIfPresent(Int.self, forKey: .testSamples) ?? d.testSamples
        competitor = try CompetitorSettings(flatFrom: decoder)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(data, forKey: .data); try c.encode(split, forKey: .split); try c.encode(labels, forKey: .labels)
        try c.encode(stream, forKey: .stream); try c.encode(tasks, forKey: .tasks)
        try c.encode(taskLength, forKey: .taskLength); try c.encode(classesPerTask, forKey: .classesPerTask)
        try c.encode(firstTaskIdentity, forKey: .firstTaskIdentity); try c.encode(augment, forKey: .augment)
        try c.encode(seed, forKey: .seed); try c.encode(model, forKey: .model); try c.encode(batchSize, forKey: .batchSize)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encode(base, forKey: .base); try c.encode(alpha0, forKey: .alpha0)
        try c.encode(weightDecay, forKey: .weightDecay); try c.encode(momentum, forKey: .momentum)
        try c.encode(normalizer, forKey: .normalizer); try c.encode(lionInterpolation, forKey: .lionInterpolation)
        try c.encode(meta, forKey: .meta); try c.encode(metaStepSize, forKey: .metaStepSize)
        try c.encode(gamma, forKey: .gamma); try c.encode(metaMomentum, forKey: .metaMomentum)
        try c.encode(metaNormalizer, forKey: .metaNormalizer)
        try c.encode(metaLionInterpolation, forKey: .metaLionInterpolation)
        try c.encode(metaWeightDecay, forKey: .metaWeightDecay); try c.encode(granularity, forKey: .granularity)
        try c.encode(mode, forKey: .mode); try c.encode(schedule, forKey: .schedule)
        try c.encode(subnormals, forKey: .subnormals)
        try c.encode(logEvery, forKey: .logEvery); try c.encode(testSamples, forKey: .testSamples)
        try competitor.encodeFlat(to: encoder)
    }

    /// All JSON keys a configuration accepts.
    public static var allKeys: [String] { CodingKeys.allCases.map(\.rawValue) + CompetitorSettings.flatKeys }

    /// Decodes a configuration from JSON: a bare configuration object, or a `result.json` (its `config` object),
    /// so that a result file can be fed back to reproduce its run. Unknown keys are an error.
    public static func decode(json: Data, source: String) throws -> RunConfiguration {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: json) } catch {
            throw SettingError.invalid("\(source): not valid JSON")
        }
        guard var dictionary = object as? [String: Any] else {
            throw SettingError.invalid("\(source): expected a JSON object of settings")
        }
        if let inner = dictionary["config"] as? [String: Any], dictionary["schema"] != nil { dictionary = inner }
        let known = Set(allKeys)
        if let unknown = dictionary.keys.sorted().first(where: { !known.contains($0) }) {
            throw SettingError.invalid("\(source): unknown setting '\(unknown)' (known: \(allKeys.joined(separator: ", ")))")
        }
        do {
            let data = try JSONSerialization.data(withJSONObject: dictionary)
            return try JSONDecoder().decode(RunConfiguration.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw SettingError.invalid("\(source): setting '\(key)' has the wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw SettingError.invalid("\(source): setting '\(key)' has an invalid value")
        }
    }

    /// Canonical JSON (sorted keys, pretty-printed).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}

/// An invalid setting (flag, config key, value); the CLI prints the description and exits with status 2.
public enum SettingError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let message): return message }
    }
}
