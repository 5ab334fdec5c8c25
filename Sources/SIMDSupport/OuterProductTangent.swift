/// The batch-1 Hessian-vector product of a linear layer's weight tensor in factored form: by the R-operator,
/// R{∇_W f} = R{δ}·xᵀ + δ·R{x}ᵀ, two outer products that share the gradient's factors δ and x (``OuterProduct``,
/// same `offset`, `rows`, `columns`). The network hands the tangent factors over; the optimizer forms the product
/// inside its fused pass.
///
/// Definition (``OuterProductTangentRow``; at batch 1 exactly what the dense product writes): element (r, c) is +0
/// for the whole row when R{δ}[r] = 0 and (there is no R{x} or δ[r] = 0); otherwise R{δ}[r]·x[c] (one Float32
/// product) without R{x}, and fma(δ[r], R{x}[c], R{δ}[r]·x[c]) with it. The pointers belong to the network's
/// Hessian-vector product: valid while it lives, overwritten by its next product.
public struct OuterProductTangent {
    /// First element of the tensor in the flat parameter buffer.
    public var offset: Int
    /// Output units (tensor rows).
    public var rows: Int
    /// Input features (tensor columns).
    public var columns: Int
    /// R{δ}, `rows` values.
    public var rowTangents: UnsafePointer<Float>
    /// R{x}, `columns` values; nil for a layer that reads the model's input (its tangent is 0).
    public var columnTangents: UnsafePointer<Float>?

    public init(offset: Int, rows: Int, columns: Int, rowTangents: UnsafePointer<Float>,
                columnTangents: UnsafePointer<Float>?) {
        self.offset = offset
        self.rows = rows
        self.columns = columns
        self.rowTangents = rowTangents
        self.columnTangents = columnTangents
    }

    /// Whether it describes the same tensor region as `gradient`.
    @inlinable package func matches(_ gradient: OuterProduct) -> Bool {
        offset == gradient.offset && rows == gradient.rows && columns == gradient.columns
    }
}

/// One row of an ``OuterProductTangent`` as splatted lanes: R{δ}[r], δ[r] (0 without R{x}), R{x} and whether the
/// row is exactly +0.
public struct OuterProductTangentRow {
    public var rowTangent: V8
    public var rowFactor: V8
    public var columnTangents: UnsafePointer<Float>?
    public var isZero: Bool

    /// Row `r` of `tangent`, whose gradient block has row factors `delta`.
    @inlinable @inline(__always)
    package init(_ tangent: OuterProductTangent, delta: UnsafePointer<Float>, row r: Int) {
        let rd = tangent.rowTangents[r]
        let d = tangent.columnTangents == nil ? 0 : delta[r]
        rowTangent = V8(repeating: rd)
        rowFactor = V8(repeating: d)
        columnTangents = tangent.columnTangents
        isZero = rd == 0 && d == 0
    }

    /// A placeholder (a zero row), for preallocated scratch.
    @inlinable package init() {
        rowTangent = V8()
        rowFactor = V8()
        columnTangents = nil
        isZero = true
    }

    /// Elements c ..< c + 8 of the row, `x` being the gradient's column factors at c.
    @inlinable @inline(__always)
    package func lanes(x: V8, at c: Int) -> V8 {
        if isZero { return V8() }
        guard let rx = columnTangents else { return rowTangent * x }
        return (rowTangent * x).addingProduct(rowFactor, load8(rx + c))
    }
}
