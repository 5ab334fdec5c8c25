import Networks

/// Per-step quantities averaged over a period (a task or a curve bin): the L2 norm of the gradient (whole and per
/// tensor) and, when measured, UPGD's per-sample plasticity. Sums are kept in Double in step order, so they are
/// deterministic and exactly resumable (the type is `Codable` for checkpoints).
public struct PeriodStatistics: Codable, Sendable, Equatable {
    /// Steps whose gradient was recorded.
    public private(set) var steps = 0
    private var normSum = 0.0
    private var tensorNormSums: [Double]
    private var plasticitySum = 0.0
    private var plasticitySamples = 0

    /// Statistics for a network with `tensors` parameter tensors.
    public init(tensors: Int) {
        tensorNormSums = [Double](repeating: 0, count: tensors)
    }

    /// Starts a new period (keeps the storage).
    public mutating func reset() {
        steps = 0
        normSum = 0
        for i in tensorNormSums.indices { tensorNormSums[i] = 0 }
        plasticitySum = 0
        plasticitySamples = 0
    }

    /// Records the gradient of the network's last `trainStep` (read only). A factored linear-layer weight
    /// gradient δ ⊗ x counts as ‖δ‖·‖x‖, its Frobenius norm.
    public mutating func recordGradients(of network: Network) {
        let gradients = UnsafeBufferPointer(network.gradients)
        let factored = network.gradientsAreFactored
        var total = 0.0
        tensorNormSums.withUnsafeMutableBufferPointer { sums in
            for (i, info) in network.parameterInfo.enumerated() {
                var squares: Double
                if factored, let block = network.outerProductBlocks.first(where: { $0.offset == info.offset }) {
                    squares = sumOfSquares(block.rowFactors, block.rows) * sumOfSquares(block.columnFactors, block.columns)
                } else {
                    squares = sumOfSquares(gradients.baseAddress! + info.offset, info.count)
                }
                if !squares.isFinite { squares = .infinity }
                total += squares
                sums[i] += squares.squareRoot()
            }
        }
        normSum += total.squareRoot()
        steps += 1
    }

    /// One sample's plasticity from its loss before and right after its update (see `samplePlasticity`).
    public mutating func recordPlasticity(before: Float, after: Float) {
        plasticitySum += PeriodStatistics.samplePlasticity(before: before, after: after)
        plasticitySamples += 1
    }

    /// UPGD's sample plasticity 1 − after/before, clamped to [0, 1]; 0 when it is undefined (before = 0 or a
    /// non-finite loss).
    public static func samplePlasticity(before: Float, after: Float) -> Double {
        let ratio = Double(after) / Double(before)
        guard before > 0, ratio.isFinite else { return 0 }
        return min(1, max(0, 1 - ratio))
    }

    /// Mean whole-gradient norm over the period (nil without steps).
    public var meanGradientNorm: Double? { steps > 0 ? normSum / Double(steps) : nil }

    /// Mean plasticity over the period's samples (nil if none was recorded).
    public var meanPlasticity: Double? { plasticitySamples > 0 ? plasticitySum / Double(plasticitySamples) : nil }

    /// The period's report: dead units and ranks from `probe` (filled with the weights at the period's end),
    /// mean |w| per tensor of `network` now, and the averages recorded here.
    public func report(probe: Probe, network: Network) -> DiagnosticsReport {
        let ranks = probe.ranks()
        let names = network.parameterInfo.map(\.name)
        return DiagnosticsReport(
            probeSamples: probe.samples, deadUnits: probe.deadUnits(), effectiveRank: ranks?.effective,
            approximateRank: ranks?.approximate, meanAbsWeight: meanAbsoluteWeights(of: network), steps: steps,
            gradientNorm: meanGradientNorm,
            tensorGradientNorm: meanTensorGradientNorms(names: names), plasticity: meanPlasticity)
    }

    /// Mean gradient norm of each tensor over the period, named by `names` (parameter order); empty without steps.
    public func meanTensorGradientNorms(names: [String]) -> [TensorValue] {
        guard steps > 0 else { return [] }
        return zip(names, tensorNormSums).map { TensorValue(tensor: $0, value: $1 / Double(steps)) }
    }
}

/// Mean |w| of each of the network's parameter tensors, in parameter order.
public func meanAbsoluteWeights(of network: Network) -> [TensorValue] {
    network.parameterInfo.map { info in
        var sum = 0.0
        for j in info.offset ..< info.offset + info.count { sum += Double(abs(network.parameters[j])) }
        return TensorValue(tensor: info.name, value: sum / Double(max(info.count, 1)))
    }
}

/// Σ x² of `count` Float32 values, in SIMD8 lanes flushed to Double every 1,024 values.
func sumOfSquares(_ x: UnsafePointer<Float>, _ count: Int) -> Double {
    var total = 0.0
    var i = 0
    while i < count {
        let end = min(count, i + 1024)
        var lanes = SIMD8<Float>()
        while i + 8 <= end {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            lanes = lanes.addingProduct(v, v)
            i += 8
        }
        var tail: Float = 0
        while i < end {
            tail = tail.addingProduct(x[i], x[i])
            i += 1
        }
        total += Double(lanes.sum()) + Double(tail)
    }
    return total
}
