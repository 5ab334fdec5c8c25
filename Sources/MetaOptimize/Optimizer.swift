import SIMDSupport

/// The interface every training method of the suite implements: MetaOptimize and each learning-rate-free
/// competitor. The runner, checkpoints, curve/trace columns and summaries see only this protocol.
///
/// Conventions: the optimizer sees the model as one flat Float32 buffer of ``parameterCount`` weights (tensors in
/// canonical order, see ``TensorDescriptor``) and its gradient in the same layout. It allocates every buffer it
/// needs when it is created; a step allocates nothing. Not thread-safe: one instance per run. Between two steps the
/// weights are the ones the previous step left: a caller that changes them puts them in another buffer (an optimizer
/// may keep values derived from its own last write to the buffer, as Mechanic does).
public protocol Optimizer: AnyObject {
    /// Number of weights (length of the flat buffers).
    var parameterCount: Int { get }
    /// Completed steps (a refused step does not count).
    var stepsTaken: Int { get }
    /// 1-based number of the step at which the run diverged, or nil.
    var divergedAtStep: Int? { get }
    var divergenceReason: DivergenceReason? { get }

    /// One step on the dense gradient of the (mean mini-batch) loss at the current weights; `loss` is the
    /// pre-update loss (checked for finiteness; some methods use its value). Updates `weights` in place.
    /// Returns false when the run is diverged (already, or by this step: see ``DivergenceReason``).
    @discardableResult
    func step(weights: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, loss: Float) -> Bool

    /// The same step with the gradient partly given as outer products (batch 1): bit for bit the dense step on the
    /// gradient whose `outerProducts` regions hold rowFactors[r]·columnFactors[c] (+0 for a zero row factor).
    /// `gradients` holds the other elements; the blocks' regions may be overwritten. The blocks must be non-empty,
    /// sorted, disjoint and inside the parameters (``checkOuterProductLayout(_:parameterCount:)``). The default
    /// materialises the blocks and runs the dense step.
    @discardableResult
    func step(weights: UnsafeMutableBufferPointer<Float>, gradients: UnsafeMutableBufferPointer<Float>,
              outerProducts: [OuterProductGradient], loss: Float) -> Bool

    /// How the step sizes are reported (names, columns). Fixed for the optimizer's lifetime.
    var stepSizeReport: StepSizeReport { get }
    /// The curve's step-size values after the steps completed so far (``StepSizeReport/curveColumns`` order),
    /// e.g. α = exp(β)·schedule per group for MetaOptimize, d·lr for Prodigy. No allocation.
    func curveStepSizes(into values: UnsafeMutableBufferPointer<Double>)
    /// The trace's step-size values for the step just completed (``StepSizeReport/traceColumns`` order): what that
    /// step used, as the method defines it (β at the start of the step for MetaOptimize). No allocation.
    func traceStepSizes(into values: UnsafeMutableBufferPointer<Double>)
    /// `result.json`'s `final_log_step_sizes`: natural log of each group's step size at the end (β for
    /// MetaOptimize), or the mean/min/max of β for per-node and per-weight step sizes.
    var finalLogStepSizes: [Double] { get }

    /// Every state variable, for checkpoints: continuing after ``restore(_:)`` is bit-identical.
    func exportState() -> OptimizerState
    /// Replaces the whole state; throws ``OptimizerError/stateMismatch(field:expected:found:)`` and changes nothing
    /// when the state does not fit this optimizer.
    func restore(_ state: OptimizerState) throws

    /// Whether test accuracy is measured at weights other than the training point (schedule-free's averaged x).
    var hasSeparateEvaluationPoint: Bool { get }
    /// Writes the evaluation weights into `evaluation` given the current training weights (only called when
    /// ``hasSeparateEvaluationPoint``). No allocation.
    func evaluationWeights(training: UnsafeBufferPointer<Float>, into evaluation: UnsafeMutableBufferPointer<Float>)

    /// One line for tables and logs, e.g. "MetaOptimize: AdamW base (faithful), Adam meta, scalar, α0 = 1e-05".
    var summary: String { get }
}

extension Optimizer {
    @discardableResult
    public func step(weights: UnsafeMutableBufferPointer<Float>, gradients: UnsafeMutableBufferPointer<Float>,
                     outerProducts: [OuterProductGradient], loss: Float) -> Bool {
        stepOnOuterProducts(outerProducts, gradients: gradients, parameterCount: parameterCount,
                            formsInPass: { _ in false }, inPass: { _ in false },
                            dense: { step(weights: weights, gradients: UnsafeBufferPointer(gradients), loss: loss) })
    }

    public var hasSeparateEvaluationPoint: Bool { false }

    /// The caller's contract of both step entry points: weights and gradients hold ``parameterCount`` values each.
    package func checkLengths(_ weights: Int, _ gradients: Int) {
        precondition(weights == parameterCount, "weights: expected \(parameterCount) values, found \(weights)")
        precondition(gradients == parameterCount, "gradients: expected \(parameterCount) values, found \(gradients)")
    }

    public func evaluationWeights(training: UnsafeBufferPointer<Float>,
                                  into evaluation: UnsafeMutableBufferPointer<Float>) {
        _ = evaluation.update(fromContentsOf: training)
    }

    /// True once the run has diverged.
    public var isDiverged: Bool { divergedAtStep != nil }
}

/// How an optimizer's step sizes appear in `curve.csv`, the trace and `result.json`.
public struct StepSizeReport: Sendable, Equatable {
    /// Names of the reported step-size series (`result.json` `step_size_groups`): group names (`all`, `block0`,
    /// `conv1.weight`, …) or `mean`, `min`, `max` of β for per-node and per-weight step sizes.
    public var groupNames: [String]
    /// `curve.csv` step-size column names, e.g. `step_size` or `step_size_0`, `step_size_1`, … (α, not log α).
    public var curveColumns: [String]
    /// Trace step-size column names, e.g. `log_step_size` (β) and `meta_gradient` (z) for MetaOptimize, `step_size` for
    /// the others.
    public var traceColumns: [String]
    /// True when the curve values are [mean β, min β, max β] instead of one α per group.
    public var curveIsLogSummary: Bool

    public init(groupNames: [String], curveColumns: [String], traceColumns: [String], curveIsLogSummary: Bool = false) {
        self.groupNames = groupNames
        self.curveColumns = curveColumns
        self.traceColumns = traceColumns
        self.curveIsLogSummary = curveIsLogSummary
    }

    /// One effective step size, logged as `step_size` everywhere (the learning-rate-free methods).
    public static let single = StepSizeReport(groupNames: ["all"], curveColumns: ["step_size"],
                                              traceColumns: ["step_size"])
}

/// An optimizer's complete state for checkpoints: named Float32 arrays (saved as tensors) and named Double scalars
/// (saved as JSON, shortest round-trip text, so exact). Which arrays and scalars exist is the optimizer's business;
/// names are stable across versions of the same method.
public struct OptimizerState: Codable, Sendable, Equatable {
    /// Format version of this structure.
    public var schema: Int
    /// Identifies the method and its resolved settings (restore refuses a state of another configuration).
    public var method: String
    public var stepsTaken: Int
    public var divergedAtStep: Int?
    public var divergenceReason: DivergenceReason?
    /// Per-weight and per-group arrays, in the optimizer's order.
    public var arrays: [NamedArray]
    /// Scalars (bias-correction powers, running sums, counters), by name.
    public var scalars: [String: Double]

    public static let currentSchema = 2

    public init(method: String, stepsTaken: Int, divergedAtStep: Int?, divergenceReason: DivergenceReason?,
                arrays: [NamedArray], scalars: [String: Double]) {
        schema = Self.currentSchema
        self.method = method
        self.stepsTaken = stepsTaken
        self.divergedAtStep = divergedAtStep
        self.divergenceReason = divergenceReason
        self.arrays = arrays
        self.scalars = scalars
    }

    /// The array called `name` (empty when the optimizer has no such array).
    public subscript(array name: String) -> [Float] {
        get { arrays.first { $0.name == name }?.values ?? [] }
        set {
            if let k = arrays.firstIndex(where: { $0.name == name }) { arrays[k].values = newValue }
            else { arrays.append(NamedArray(name: name, values: newValue)) }
        }
    }

    /// Checks the shape of a state against `reference` (an export of the optimizer that will restore it): same
    /// schema and method, same array names and lengths, same scalar names, stepsTaken ≥ 0.
    public func validate(against reference: OptimizerState) throws {
        func mismatch(_ field: String, _ expected: String, _ found: String) -> OptimizerError {
            .stateMismatch(field: field, expected: expected, found: found)
        }
        guard schema == reference.schema else { throw mismatch("schema", "\(reference.schema)", "\(schema)") }
        guard method == reference.method else {
            throw mismatch("configuration", "the optimizer's resolved configuration", "a different configuration")
        }
        guard stepsTaken >= 0 else { throw mismatch("stepsTaken", ">= 0", "\(stepsTaken)") }
        guard arrays.map(\.name) == reference.arrays.map(\.name) else {
            throw mismatch("arrays", reference.arrays.map(\.name).joined(separator: ", "),
                           arrays.map(\.name).joined(separator: ", "))
        }
        for (found, expected) in zip(arrays, reference.arrays) where found.values.count != expected.values.count {
            throw mismatch(found.name, "\(expected.values.count) values", "\(found.values.count) values")
        }
        guard Set(scalars.keys) == Set(reference.scalars.keys) else {
            throw mismatch("scalars", reference.scalars.keys.sorted().joined(separator: ", "),
                           scalars.keys.sorted().joined(separator: ", "))
        }
    }
}

/// One named Float32 array of an ``OptimizerState``.
public struct NamedArray: Codable, Sendable, Equatable {
    public var name: String
    public var values: [Float]
    public init(name: String, values: [Float]) {
        self.name = name
        self.values = values
    }
}
