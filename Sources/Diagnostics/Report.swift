import Networks

/// Dead ReLU units of one hidden layer over a probe set.
public struct LayerDeadUnits: Codable, Sendable, Equatable {
    /// The layer's name (`layers.0`, `conv1`, `fc1`, …).
    public var layer: String
    /// Units of the layer (features; channels of a conv layer).
    public var units: Int
    /// Units whose ReLU output is exactly 0 for every probe sample (a conv channel: at every position).
    public var dead: Int
    /// dead / units.
    public var fraction: Double

    /// `dead` of the units of `hiddenLayer` (its name and unit count).
    public init(_ hiddenLayer: HiddenLayer, dead: Int) {
        layer = hiddenLayer.name
        units = hiddenLayer.units
        self.dead = dead
        fraction = units > 0 ? Double(dead) / Double(units) : 0
    }
}

/// One number per parameter tensor.
public struct TensorValue: Codable, Sendable, Equatable {
    /// The tensor's name (`layers.0.weight`, …).
    public var tensor: String
    public var value: Double
}

/// Plasticity diagnostics at the end of a period (a task or a curve bin), with the weights after its last update.
/// JSON keys are snake_case; absent optionals are omitted.
public struct DiagnosticsReport: Codable, Sendable, Equatable {
    /// Probe samples the dead units and ranks were computed on.
    public var probeSamples: Int
    /// Per hidden layer, in forward order (empty for the linear model).
    public var deadUnits: [LayerDeadUnits]
    /// Dead units of all hidden layers over all their units (nil without hidden layers).
    public var deadFraction: Double?
    /// Effective rank of the last hidden layer's feature matrix (probe samples × units); nil without hidden layers
    /// or when the features are not finite.
    public var effectiveRank: Double?
    /// Approximate rank at 99 % of the squared singular values' sum (same conditions as `effectiveRank`).
    public var approximateRank: Int?
    /// Mean |w| of each parameter tensor, in parameter order.
    public var meanAbsWeight: [TensorValue]
    /// Optimizer steps of the period the gradient norms and plasticity average over.
    public var steps: Int
    /// L2 norm of the whole gradient (all tensors), averaged over the period's steps (nil for no step).
    public var gradientNorm: Double?
    /// L2 norm of each tensor's gradient, averaged over the period's steps.
    public var tensorGradientNorm: [TensorValue]
    /// Mean per-sample plasticity 1 − loss_after/loss_before clamped to [0, 1] (nil unless `--plasticity on`).
    public var plasticity: Double?

    enum CodingKeys: String, CodingKey {
        case probeSamples = "probe_samples", deadUnits = "dead_units", deadFraction = "dead_fraction"
        case effectiveRank = "effective_rank", approximateRank = "approximate_rank"
        case meanAbsWeight = "mean_abs_weight", steps, gradientNorm = "gradient_norm"
        case tensorGradientNorm = "tensor_gradient_norm", plasticity
    }

    public init(probeSamples: Int, deadUnits: [LayerDeadUnits], effectiveRank: Double?, approximateRank: Int?,
                meanAbsWeight: [TensorValue], steps: Int, gradientNorm: Double?, tensorGradientNorm: [TensorValue],
                plasticity: Double?) {
        self.probeSamples = probeSamples
        self.deadUnits = deadUnits
        let units = deadUnits.reduce(0) { $0 + $1.units }
        deadFraction = units > 0 ? Double(deadUnits.reduce(0) { $0 + $1.dead }) / Double(units) : nil
        self.effectiveRank = effectiveRank
        self.approximateRank = approximateRank
        self.meanAbsWeight = meanAbsWeight
        self.steps = steps
        self.gradientNorm = gradientNorm
        self.tensorGradientNorm = tensorGradientNorm
        self.plasticity = plasticity
    }
}
