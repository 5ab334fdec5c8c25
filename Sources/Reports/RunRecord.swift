import Foundation

/// The kind of step-size method a run used; decides how a configuration is treated in summaries and figures.
///
/// JSON values are snake_case: `fixed`, `meta_optimize`, `hypergradient`, `learning_rate_free`, `schedule`, `other`.
public enum MethodKind: String, Codable, Sendable, Equatable, CaseIterable {
    /// A fixed step size α = α0 for the whole run (usually one point of a fixed-α grid).
    case fixed
    /// MetaOptimize: α = exp(β) learned online.
    case metaOptimize = "meta_optimize"
    /// Hypergradient descent (also an adaptive step size, compared with the fixed grids like MetaOptimize).
    case hypergradient
    /// A learning-rate-free or step-size-adaptive competitor (Prodigy, D-Adaptation, DoG, schedule-free, Mechanic,
    /// COCOB, KT), compared with the fixed grids of its family like MetaOptimize.
    case learningRateFree = "learning_rate_free"
    /// A predefined schedule α(t) (constant × linear, cosine, …).
    case schedule
    /// Anything else (IDBD, …): summarised, not compared.
    case other

    /// Whether configurations of this kind are compared against the fixed-α grids of their group
    /// (MetaOptimize, hypergradient descent and the learning-rate-free competitors).
    public var isAdaptive: Bool { self == .metaOptimize || self == .hypergradient || self == .learningRateFree }
}

/// One bin of a run's learning curve, as the runner's `curve.csv` row.
///
/// Conventions: `step` = number of completed steps at the END of the bin (so the first bin of a run logged every
/// 100 steps has step 100); `onlineLoss` and `onlineAccuracy` are means over the bin of the pre-update (prequential)
/// loss in nats and correctness as a fraction in [0, 1]; `cumulativeAccuracy` is the fraction of correct predictions
/// since step 1; `stepSizes` are the step sizes at the end of the bin, one α per step-size group in the order of
/// ``RunRecord/stepSizeGroups`` — or, when ``RunRecord/stepSizesAreLogSummary`` is true, the three values
/// [mean of log α, min of log α, max of log α] over all weights (β = log α, natural log).
public struct CurvePoint: Codable, Sendable, Equatable {
    public var step: Int
    public var task: Int
    public var onlineLoss: Double
    public var onlineAccuracy: Double
    public var cumulativeAccuracy: Double
    public var stepSizes: [Double]

    public init(step: Int, task: Int, onlineLoss: Double, onlineAccuracy: Double, cumulativeAccuracy: Double,
                stepSizes: [Double] = []) {
        self.step = step
        self.task = task
        self.onlineLoss = onlineLoss
        self.onlineAccuracy = onlineAccuracy
        self.cumulativeAccuracy = cumulativeAccuracy
        self.stepSizes = stepSizes
    }

    enum CodingKeys: String, CodingKey {
        case step, task
        case onlineLoss = "online_loss"
        case onlineAccuracy = "online_accuracy"
        case cumulativeAccuracy = "cumulative_accuracy"
        case stepSizes = "step_sizes"
    }
}

/// What the suite runner hands over for one finished (configuration, seed) run.
///
/// Units: losses in nats; accuracies as FRACTIONS in [0, 1] (tables and figures show percent); steps as counts of
/// completed training steps; `wallSeconds` in seconds. `alpha0` is the initial (or fixed) step size α0, not β.
/// `onlineLoss`, `onlineAccuracy` are means over all steps run; `cumulativeAccuracy` is the fraction correct since
/// step 1 at the end of the run (nil when not measured). A run that diverged (`diverged == true`) is counted and
/// shown in summaries but its metrics are never averaged with the other seeds.
///
/// JSON keys are snake_case (`configuration_id`, `stream_fingerprint`, …) whatever encoder is used
/// (do not combine with a key-conversion strategy; ``ReportsJSON`` gives a suitable encoder and decoder).
public struct RunRecord: Codable, Sendable, Equatable {
    /// Unique identifier of the configuration, shared by all its seeds, e.g. "input-permuted/AdamW fixed/alpha0=1e-3".
    public var configurationID: String
    /// The group (e.g. the stream) the configuration belongs to; comparisons happen within a group.
    public var group: String
    /// Human-readable method label, e.g. "AdamW fixed" or "MetaOptimize scalar".
    public var label: String
    public var method: MethodKind
    /// Name of the fixed-α grid this run belongs to (e.g. "input-permuted/AdamW fixed"); nil when not in a grid.
    public var grid: String?
    /// Comparison family (e.g. the base rule): adaptive configurations are compared only with fixed-α grids of the
    /// same family; nil matches every family.
    public var family: String?
    /// Initial step size α0 (the fixed α for `.fixed` runs).
    public var alpha0: Double
    public var seed: UInt64
    /// Fingerprint of the sample stream; equal fingerprints mean the runs saw the same data in the same order.
    public var streamFingerprint: String
    public var diverged: Bool
    public var divergedAtStep: Int?
    public var plannedSteps: Int
    /// Steps actually run (less than `plannedSteps` when diverged).
    public var steps: Int
    public var onlineLoss: Double?
    public var onlineAccuracy: Double?
    public var cumulativeAccuracy: Double?
    public var curve: [CurvePoint]
    /// Names of the step-size groups (e.g. ["all"], ["others", "last_layer"]), or the names of the three log-α
    /// summary values when `stepSizesAreLogSummary` is true.
    public var stepSizeGroups: [String]
    /// True when `CurvePoint.stepSizes` holds [mean, min, max] of log α instead of one α per group.
    public var stepSizesAreLogSummary: Bool
    /// Steps per task (task boundaries at multiples of it); 0 when the stream has no tasks.
    public var taskLength: Int
    /// Test accuracy (fraction) on each task's test split at the end of the task; nil when not measured.
    public var taskTestAccuracy: [Double?]
    /// Online accuracy (fraction) within each task.
    public var taskOnlineAccuracy: [Double]
    public var wallSeconds: Double
    public var stepsPerSecond: Double

    public init(configurationID: String, group: String, label: String, method: MethodKind, grid: String? = nil,
                family: String? = nil,
                alpha0: Double, seed: UInt64, streamFingerprint: String, diverged: Bool = false,
                divergedAtStep: Int? = nil, plannedSteps: Int, steps: Int, onlineLoss: Double?,
                onlineAccuracy: Double?, cumulativeAccuracy: Double?, curve: [CurvePoint] = [],
                stepSizeGroups: [String] = [], stepSizesAreLogSummary: Bool = false, taskLength: Int,
                taskTestAccuracy: [Double?] = [], taskOnlineAccuracy: [Double] = [], wallSeconds: Double,
                stepsPerSecond: Double) {
        self.configurationID = configurationID
        self.group = group
        self.label = label
        self.method = method
        self.grid = grid
        self.family = family
        self.alpha0 = alpha0
        self.seed = seed
        self.streamFingerprint = streamFingerprint
        self.diverged = diverged
        self.divergedAtStep = divergedAtStep
        self.plannedSteps = plannedSteps
        self.steps = steps
        self.onlineLoss = onlineLoss
        self.onlineAccuracy = onlineAccuracy
        self.cumulativeAccuracy = cumulativeAccuracy
        self.curve = curve
        self.stepSizeGroups = stepSizeGroups
        self.stepSizesAreLogSummary = stepSizesAreLogSummary
        self.taskLength = taskLength
        self.taskTestAccuracy = taskTestAccuracy
        self.taskOnlineAccuracy = taskOnlineAccuracy
        self.wallSeconds = wallSeconds
        self.stepsPerSecond = stepsPerSecond
    }

    enum CodingKeys: String, CodingKey {
        case configurationID = "configuration_id"
        case group, label, method, grid, family
        case alpha0
        case seed
        case streamFingerprint = "stream_fingerprint"
        case diverged
        case divergedAtStep = "diverged_at_step"
        case plannedSteps = "planned_steps"
        case steps
        case onlineLoss = "online_loss"
        case onlineAccuracy = "online_accuracy"
        case cumulativeAccuracy = "cumulative_accuracy"
        case curve
        case stepSizeGroups = "step_size_groups"
        case stepSizesAreLogSummary = "step_sizes_are_log_summary"
        case taskLength = "task_length"
        case taskTestAccuracy = "task_test_accuracy"
        case taskOnlineAccuracy = "task_online_accuracy"
        case wallSeconds = "wall_seconds"
        case stepsPerSecond = "steps_per_second"
    }
}
