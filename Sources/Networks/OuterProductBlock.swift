/// How `Network.trainStep` hands over the weight gradients of linear layers.
public enum WeightGradientForm: Sendable {
    /// Every gradient element is written into `Network.gradients`.
    case dense
    /// Batch size 1: each linear layer's weight gradient stays the outer product δ xᵀ (see ``OuterProductBlock``).
    case outerProducts
}

/// A weight tensor whose batch-1 gradient is the outer product of two vectors: δ (the gradient with respect to the
/// layer's outputs) and x (the layer's input). Element (r, c) of the `rows × columns` row-major block starting at
/// `offset` in the flat parameter layout is `rowFactors[r] · columnFactors[c]` (one Float32 product), and exactly
/// +0 for the whole row when `rowFactors[r] == 0` (a dead ReLU unit). Materialised, this is value for value the
/// dense gradient `trainStep` writes.
///
/// The pointers belong to the network: they stay valid while it lives and are overwritten by its next step.
public struct OuterProductBlock {
    /// First element of the weight tensor in the flat parameter buffer.
    public var offset: Int
    /// Output units (tensor rows).
    public var rows: Int
    /// Input features (tensor columns).
    public var columns: Int
    /// δ, `rows` values.
    public var rowFactors: UnsafePointer<Float>
    /// x, `columns` values.
    public var columnFactors: UnsafePointer<Float>

    public init(offset: Int, rows: Int, columns: Int, rowFactors: UnsafePointer<Float>,
                columnFactors: UnsafePointer<Float>) {
        self.offset = offset
        self.rows = rows
        self.columns = columns
        self.rowFactors = rowFactors
        self.columnFactors = columnFactors
    }

    /// Number of elements, `rows · columns`.
    public var count: Int { rows * columns }
}
