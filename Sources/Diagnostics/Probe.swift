import Networks

/// Collects a network's hidden activations over a probe set, one forward pass at a time: which units were ever
/// non-zero (per hidden layer) and the last hidden layer's feature matrix (probe samples × its activation values).
/// All storage is allocated at init; `record` allocates nothing.
public final class Probe {
    /// The hidden layers being watched (`Network.hiddenLayers`).
    public let layers: [HiddenLayer]
    /// Most samples one pass over the probe set records (rows of the feature matrix).
    public let capacity: Int
    /// Samples recorded since the last `reset()`.
    public private(set) var samples = 0
    /// Per layer and unit: 1 once any of the unit's activations was non-zero.
    private var alive: [[UInt8]]
    /// [capacity][last layer's count], row-major.
    private var features: [Float]

    public init(layers: [HiddenLayer], capacity: Int) {
        precondition(capacity >= 1, "probe capacity must be at least 1")
        self.layers = layers
        self.capacity = capacity
        alive = layers.map { [UInt8](repeating: 0, count: $0.units) }
        features = [Float](repeating: 0, count: capacity * (layers.last?.count ?? 0))
    }

    /// Forgets what was recorded.
    public func reset() {
        samples = 0
        for l in alive.indices {
            alive[l].withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
    }

    /// Records every sample of the network's last forward pass (`evaluate` or `trainStep`), up to `capacity`.
    public func record(_ network: Network) {
        guard !layers.isEmpty else { return }
        let batch = network.hiddenActivations(0).count / layers[0].count
        for l in layers.indices {
            let layer = layers[l]
            let activations = network.hiddenActivations(l)
            alive[l].withUnsafeMutableBufferPointer { flags in
                for b in 0..<batch {
                    let sample = b * layer.count
                    for u in 0..<layer.units where flags[u] == 0 {
                        let start = sample + u * layer.positions
                        for p in 0..<layer.positions where activations[start + p] != 0 {
                            flags[u] = 1
                            break
                        }
                    }
                }
            }
        }
        let last = layers.count - 1, width = layers[last].count
        let activations = network.hiddenActivations(last)
        features.withUnsafeMutableBufferPointer { matrix in
            for b in 0..<batch where samples < capacity {
                for j in 0..<width { matrix[samples * width + j] = activations[b * width + j] }
                samples += 1
            }
        }
    }

    /// Dead units per layer: units never non-zero over the recorded samples.
    public func deadUnits() -> [LayerDeadUnits] {
        zip(layers, alive).map { layer, flags in
            LayerDeadUnits(layer, dead: flags.reduce(0) { $0 + ($1 == 0 ? 1 : 0) })
        }
    }

    /// The recorded feature matrix of the last hidden layer: `samples` rows of `layers.last.count` values.
    public var featureMatrix: [Float] {
        Array(features.prefix(samples * (layers.last?.count ?? 0)))
    }

    /// Effective and approximate rank of the recorded feature matrix; nil without hidden layers, without samples,
    /// or when a feature is not finite. Singular values via the Gram matrix when there are at least as many samples
    /// as features (`Spectrum.singularValuesViaGram`), else `dgesdd`.
    public func ranks() -> (effective: Double, approximate: Int)? {
        guard let last = layers.last, samples > 0 else { return nil }
        let values = features.withUnsafeBufferPointer { m in
            let matrix = UnsafeBufferPointer(rebasing: m[0..<(samples * last.count)])
            return samples >= last.count
                ? try? Spectrum.singularValuesViaGram(matrix, rows: samples, columns: last.count)
                : try? Spectrum.singularValues(matrix, rows: samples, columns: last.count)
        }
        guard let values else { return nil }
        return (Spectrum.effectiveRank(values), Spectrum.approximateRank(values))
    }
}
