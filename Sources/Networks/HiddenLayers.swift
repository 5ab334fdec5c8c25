/// A hidden layer as diagnostics see it: a Linear + ReLU layer of an MLP or of SimpleCNN (units = features), or a
/// conv + ReLU + max-pool layer of SimpleCNN (units = channels).
public struct HiddenLayer: Sendable, Equatable, Hashable {
    /// The layer's tensor-name prefix: `layers.0`, `conv1`, `fc1`, … (its weight is `<name>.weight`).
    public let name: String
    /// Units of the layer: output features of a Linear layer, output channels of a conv layer.
    public let units: Int
    /// Activation values per unit and sample: 1 for a Linear layer, the pooled positions (H/2·W/2) of a conv layer.
    public let positions: Int

    /// Activation values per sample (`units · positions`).
    public var count: Int { units * positions }
}

extension Network {
    /// The hidden layers in forward order (empty for the linear model). Their post-ReLU activations are readable
    /// with `hiddenActivations(_:)` after a forward pass.
    public var hiddenLayers: [HiddenLayer] {
        var layers: [HiddenLayer] = []
        for stage in stages.dropLast() {
            let offset: Int
            let positions: Int
            let units: Int
            if let linear = stage as? LinearStage {
                offset = linear.weightOffset
                units = linear.outputCount
                positions = 1
            } else if let conv = stage as? ConvStage {
                offset = conv.weightOffset
                units = conv.outChannels
                positions = conv.pixels / 4
            } else {
                continue
            }
            let weight = parameterInfo.first { $0.offset == offset }?.name ?? "layer\(layers.count).weight"
            let name = weight.hasSuffix(".weight") ? String(weight.dropLast(".weight".count)) : weight
            layers.append(HiddenLayer(name: name, units: units, positions: positions))
        }
        return layers
    }

    /// The post-ReLU activations of hidden layer `index` (in `hiddenLayers` order) from the last forward pass
    /// (`trainStep` or `evaluate`): `[batch][units][positions]` row-major, batch = that pass's batch size.
    ///
    /// For a conv layer these are the max-pooled outputs. The max of non-negative values is 0 exactly when all of
    /// them are, so a channel's pooled outputs are all 0 exactly when its ReLU outputs at every position are.
    /// The buffer belongs to the network and is overwritten by the next forward pass.
    public func hiddenActivations(_ index: Int) -> UnsafeBufferPointer<Float> {
        precondition(index >= 0 && index < stages.count - 1, "hidden layer \(index) not in 0..<\(stages.count - 1)")
        let stage = stages[index]
        return UnsafeBufferPointer(start: stage.output, count: lastBatchSize * stage.outputCount)
    }
}
