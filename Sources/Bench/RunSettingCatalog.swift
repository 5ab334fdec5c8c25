import MetaOptimize
import Settings
import Streams

/// A run setting with its Swift type; for optimizer hyper-parameters also where it goes in MetaOptimize's
/// ``OptimizerConfiguration`` (and how the resolved value is read back into the run's configuration).
public struct RunSetting<Value: SettingConvertible>: AnyRunSetting {
    public let declaration: SettingDeclaration
    let binding: OptimizerBinding?

    init(_ key: String, _ defaultValue: Value, defaultText: String? = nil, _ section: String, _ help: String,
         range: SettingRange = .any, binding: OptimizerBinding? = nil) {
        declaration = .of(Value.self, key: key, default: defaultValue, defaultText: defaultText, help: help,
                          section: section, range: range)
        self.binding = binding
    }
}

/// The type-erased view the settings table reads.
public protocol AnyRunSetting: Sendable {
    var declaration: SettingDeclaration { get }
}

/// How a setting reaches ``OptimizerConfiguration``: `apply` parses and stores the value (throwing the optimizer's
/// one-line error), `read` gives the resolved value back for `result.json`.
struct OptimizerBinding: Sendable {
    let apply: @Sendable (inout OptimizerConfiguration, SettingValue) throws -> Void
    let read: @Sendable (OptimizerConfiguration) -> SettingValue

    /// A field of the same type.
    static func field<V: SettingConvertible>(_ path: WritableKeyPath<OptimizerConfiguration, V> & Sendable) -> Self {
        OptimizerBinding(apply: { o, v in if let value = V(settingValue: v) { o[keyPath: path] = value } },
                         read: { $0[keyPath: path].settingValue })
    }

    /// A field parsed from text (rule names, granularity, schedule, …), written back as its description.
    static func parsed<V: CustomStringConvertible>(_ path: WritableKeyPath<OptimizerConfiguration, V> & Sendable,
                                                   _ parse: @escaping @Sendable (String) throws -> V) -> Self {
        OptimizerBinding(apply: { o, v in if case .text(let s) = v { o[keyPath: path] = try parse(s) } },
                         read: { .text($0[keyPath: path].description) })
    }
}

enum Section {
    static let data = "Data and stream"
    static let model = "Model"
    static let optimizer = "Optimizer"
    static let meta = "MetaOptimize"
    static let measurement = "Measurement"
}

/// Every setting of a run, declared once, in `--help` order. Its JSON key is the `--config`/`result.json` key
/// and the suite key; the flag is the key with `_` → `-`. The methods' own hyper-parameters
/// (``OptimizerKind/settings``) are appended to the table after these.
public struct RunSettingCatalog: Sendable {
    // Data and stream
    public let data = RunSetting("data", "fashion-mnist", Section.data,
                                 "Folder, archive, parent folder of either, or a name (fashion-mnist, cifar-10, cifar-100 → data/NAME)")
    public let split = RunSetting("split", "train", Section.data, "train or test: the split to stream; the other (test) split gives the per-task test accuracy")
    public let labels = RunSetting("labels", "fine", Section.data, "CIFAR-100 labels: fine (100 classes) or coarse (20)")
    public let stream = RunSetting("stream", "input-permuted", Section.data,
                                   "Stream kind: " + StreamKind.allCases.map(\.rawValue).joined(separator: ", ") + " (see docs/streams.md)")
    public let tasks = RunSetting("tasks", 10, Section.data, "Number of tasks", range: .positive)
    public let taskLength = RunSetting("task_length", Int?.none,
                                       defaultText: "5000; class-incremental: one pass over the task's samples",
                                       Section.data, "Samples per task", range: .positive)
    public let classesPerTask = RunSetting("classes_per_task", Int?.none, defaultText: "none", Section.data,
                                           "Classes per task (class-incremental; must divide the class count)",
                                           range: .positive)
    public let firstTaskIdentity = RunSetting("first_task_identity", false, Section.data,
                                              "Input-permuted: task 0 keeps the identity permutation")
    public let augment = RunSetting("augment", "none", Section.data, "none or crop-flip: 4-pixel zero-pad random crop + horizontal flip (training samples only)")
    public let seed = RunSetting("seed", UInt64(0), Section.data,
                                 "Seeds everything: stream order, permutations, augmentation, initialisation")

    // Model
    public let model = RunSetting("model", "mlp:256,256", Section.model, "linear, mlp:H,H,… or simple-cnn (PyTorch layout, names and default init)")
    public let batchSize = RunSetting("batch_size", 1, Section.model, "Samples per optimizer step (mean loss over the batch, as PyTorch)", range: .positive)

    // Optimizer (symbols of the spec: α0, κ, ρ, λ, c)
    public let optimizer = RunSetting("optimizer", "metaoptimize", Section.optimizer,
                                      "Method: " + OptimizerKind.registered.map(\.name).joined(separator: ", "))
    public let base = RunSetting("base", "adamw", Section.optimizer,
                                 "Base rule: " + BaseRule.allCases.map(\.rawValue).joined(separator: ", ")
                                    + " (adam = adamw)",
                                 binding: .parsed(\.base, BaseRule.init(parsing:)))
    public let alpha0 = RunSetting("alpha0", 1e-4, Section.optimizer,
                                   "Initial step size α0 (MetaOptimize learns β = log α from β0 = log α0, in Float32); "
                                    + "the reference package's lr for the other methods", range: .positive,
                                   binding: .field(\.alpha0))
    public let weightDecay = RunSetting("weight_decay", 0.0, Section.optimizer,
                                        "κ: decoupled weight decay scaled by α (other methods: their package's weight_decay)",
                                        range: .nonNegative, binding: .field(\.weightDecay))
    public let momentum = RunSetting("momentum", Double?.none, defaultText: "SGDm/AdamW 0.9, Lion 0.99",
                                     Section.optimizer, "ρ: base momentum (Lion: the momentum EMA, the paper's β2)",
                                     range: .halfOpenUnit, binding: .field(\.momentum))
    public let normalizer = RunSetting("normalizer", Double?.none, defaultText: "0.999", Section.optimizer,
                                       "λ: base second-moment coefficient (RMSProp, AdamW)", range: .halfOpenUnit,
                                       binding: .field(\.normalizer))
    public let lionInterpolation = RunSetting("lion_interpolation", Double?.none, defaultText: "0.9",
                                              Section.optimizer, "c: Lion's interpolation inside sign (the paper's β1)",
                                              range: .unitInterval, binding: .field(\.lionInterpolation))
    public let mode = RunSetting("mode", "faithful", Section.optimizer,
                                 "faithful (the official implementation's formulas) or standard (textbook/PyTorch rules); hyper-parameters do not transfer: faithful AdamW α ≈ standard α/10",
                                 binding: .parsed(\.mode, OptimizerMode.init(parsing:)))
    public let schedule = RunSetting("schedule", "constant", Section.optimizer,
                                     "Multiplies α: constant, linear, cosine, warmup-cosine:W, step:EVERY:FACTOR",
                                     binding: .parsed(\.schedule, Schedule.init(parsing:)))
    public let subnormals = RunSetting("subnormals", "flush", Section.optimizer,
                                       "Subnormal floats in the optimizer step: flush (FTZ/DAZ, 1.8× faster AdamW; bit-identical to exact on 27 fixed-seed runs checked) or exact (IEEE, as PyTorch's CPU default)",
                                       binding: .parsed(\.subnormals, SubnormalHandling.init(parsing:)))

    // MetaOptimize (meta η, γ, ρ̄, λ̄, c̄, κ̄)
    public let meta = RunSetting("meta", "adam", Section.meta,
                                 "Meta rule on β = log α: " + MetaRule.allCases.map(\.rawValue).joined(separator: ", ")
                                    + " (adamw = adam, hd = hypergradient); fixed = fixed step size, hypergradient = meta SGD with γ = 0, idbd needs --model linear --base sgd --granularity weightwise",
                                 binding: .parsed(\.meta, MetaRule.init(parsing:)))
    public let metaStepSize = RunSetting("meta_step_size", 1e-3, Section.meta, "η: meta step size on log α",
                                         range: .nonNegative, binding: .field(\.metaStepSize))
    public let gamma = RunSetting("gamma", 0.999, Section.meta,
                                  "γ: trace discount (hypergradient forces 0, idbd forces 1)", range: .unitInterval,
                                  binding: .field(\.gamma))
    public let metaMomentum = RunSetting("meta_momentum", Double?.none, defaultText: "Adam/MNM 0.9, Lion 0.99",
                                         Section.meta, "ρ̄: meta momentum", range: .halfOpenUnit,
                                         binding: .field(\.metaMomentum))
    public let metaNormalizer = RunSetting("meta_normalizer", Double?.none, defaultText: "0.999", Section.meta,
                                           "λ̄: meta second-moment coefficient", range: .halfOpenUnit,
                                           binding: .field(\.metaNormalizer))
    public let metaLionInterpolation = RunSetting("meta_lion_interpolation", Double?.none, defaultText: "0.9",
                                                  Section.meta, "c̄: meta Lion interpolation", range: .unitInterval,
                                                  binding: .field(\.metaLionInterpolation))
    public let metaWeightDecay = RunSetting("meta_weight_decay", 0.0, Section.meta,
                                            "κ̄: meta weight decay, shrinks β toward 0", range: .nonNegative,
                                            binding: .field(\.metaWeightDecay))
    public let granularity = RunSetting("granularity", "scalar", Section.meta,
                                        "Which weights share one β: scalar, layerwise, nodewise, weightwise, last-layer-and-others, blocks:N,N,… (counts of consecutive parameter tensors, summing to the model's tensor count)",
                                        binding: .parsed(\.granularity, Granularity.init(parsing:)))

    public let hessian = RunSetting("hessian", "free", Section.meta,
                                    "MetaOptimize trace: free (Hessian-free, the paper's) or exact (all Hessian terms; one Hessian-vector product per step size per step; scalar and block granularities). Lion's Hessian-free trace is already exact",
                                    range: .choices(HessianMode.allCases.map(\.rawValue)))
    public let approximation = RunSetting("approximation", "2x2", Section.meta,
                                          "Exact trace's meta block: 2x2 (paper Algorithm 2) or l (L-approximation, Y = I); ignored with hessian free",
                                          range: .choices(HessianApproximation.allCases.map(\.rawValue)))

    // Measurement
    public let logEvery = RunSetting("log_every", 100, Section.measurement, "Curve bin width in optimizer steps",
                                     range: .positive)
    public let testSamples = RunSetting("test_samples", 2000, Section.measurement,
                                        "Test samples per end-of-task evaluation, the first N in file order (0 = all)",
                                        range: .nonNegative)
    public let diagnostics = RunSetting("diagnostics", "task", Section.measurement,
                                        "Plasticity diagnostics on the probe set (the first 1,000 test samples): off, task (at each task's end) or bin (also at each curve bin's end)")
    public let plasticity = RunSetting("plasticity", "off", Section.measurement,
                                       "UPGD's per-sample plasticity, one more forward pass per step: on or off")

    public init() {}

    /// The catalog's settings in declaration order (read by reflection, so that a setting is declared only here).
    var all: [any AnyRunSetting] { Mirror(reflecting: self).children.compactMap { $0.value as? any AnyRunSetting } }

    /// The settings that reach ``OptimizerConfiguration``, with their bindings.
    var optimizerBindings: [(key: String, binding: OptimizerBinding)] {
        Mirror(reflecting: self).children.compactMap { child in
            (child.value as? any OptimizerBound).flatMap { s in s.optimizerBinding.map { (s.declaration.key, $0) } }
        }
    }
}

/// A setting that may be bound to ``OptimizerConfiguration``.
protocol OptimizerBound: AnyRunSetting {
    var optimizerBinding: OptimizerBinding? { get }
}

extension RunSetting: OptimizerBound {
    var optimizerBinding: OptimizerBinding? { binding }
}
