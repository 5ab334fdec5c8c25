import SIMDSupport

/// How `Network.trainStep` hands over the weight gradients of linear layers.
public enum WeightGradientForm: Sendable {
    /// Every gradient element is written into `Network.gradients`.
    case dense
    /// Batch size 1: each linear layer's weight gradient stays the outer product δ xᵀ (see ``OuterProductBlock``).
    case outerProducts
}

/// A weight tensor whose batch-1 gradient is the outer product δ ⊗ x (see ``OuterProduct``: the definition both
/// the network and the optimizer use).
public typealias OuterProductBlock = OuterProduct
