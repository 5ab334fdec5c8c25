import MetaOptimize
import Networks
import Reports
import Settings

/// What an optimizer is built from when a run starts.
public struct OptimizerContext {
    /// The model's parameter tensors in canonical order (the flat layout of weights and gradients).
    public let tensors: [TensorDescriptor]
    public let configuration: ValidatedConfiguration
    /// Planned optimizer steps of the whole run.
    public let totalSteps: Int
    /// The network's diagonal-Hessian buffer, rewritten by every training step; non-nil exactly when the kind's
    /// ``OptimizerKind/needsDiagonalHessian`` says so for this configuration.
    public let diagonalHessian: UnsafePointer<Float>?
    /// The run's network (weights, and the activations of its last `trainStep`), for methods that need
    /// Hessian-vector products (MetaOptimize with `hessian: exact`).
    public let network: Network
    /// The current step's batch (inputs and size), set by the runner before every optimizer step.
    public let hessianBatch: HessianBatch
}

/// A training method `--optimizer NAME` selects: declared once (its own file under `Optimizers/`) and registered
/// once in ``registered``. The runner, checkpoints and summaries reach the method only through this value and the
/// ``Optimizer`` it builds.
public struct OptimizerKind: Sendable {
    /// The `--optimizer` value.
    public let name: String
    /// One line for `--help`.
    public let summary: String
    /// The method's own hyper-parameters, declared once (the shared ones — α0, weight decay, base rule — are in
    /// ``RunSettingCatalog``). They become flags, JSON keys and `result.json` entries like every other setting.
    public let settings: [SettingDeclaration]
    /// How summaries treat a run of this configuration (fixed grid point, adaptive method, schedule, …).
    public let methodKind: @Sendable (ValidatedConfiguration) -> MethodKind
    /// The comparison family: adaptive runs are ranked against the fixed-α grids of the same family (the base rule
    /// a fixed grid runs: `adamw`, `sgd`, `lion`, …).
    public let family: @Sendable (ValidatedConfiguration) -> String
    /// Whether the network must compute its diagonal Hessian every step (IDBD).
    public let needsDiagonalHessian: @Sendable (ValidatedConfiguration) -> Bool
    /// Builds the optimizer; throws `SettingError` (one line) for settings the method cannot run with.
    public let make: @Sendable (OptimizerContext) throws -> any Optimizer

    /// Every method, in the order `--help` lists them. Adding one: its file, and one entry here.
    public static let registered: [OptimizerKind] = [.metaOptimize] + competitors

    /// The kind called `name`, or a `SettingError` naming the known ones.
    public static func named(_ name: String) throws -> OptimizerKind {
        guard let kind = registered.first(where: { $0.name == name.lowercased() }) else {
            throw SettingError.invalid("--optimizer: unknown value '\(name)' (expected \(registered.map(\.name).joined(separator: ", ")))")
        }
        return kind
    }
}
