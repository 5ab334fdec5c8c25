/// A weight tensor whose gradient is the outer product of two vectors, as for a linear layer at batch size 1:
/// δ (the gradient with respect to the layer's outputs) and x (the layer's input). The network hands these over,
/// the optimizer forms the products inside its fused pass.
///
/// Definition (the one rule both sides use): element (r, c) of the `rows × columns` row-major block starting at
/// `offset` in the flat parameter layout is `rowFactors[r] · columnFactors[c]` (one Float32 product), and exactly
/// +0 for the whole row when `rowFactors[r] == 0` (a dead ReLU unit). Materialised (``materialize(into:)``), this
/// is value for value the dense gradient. The pointers belong to the network: valid while it lives, overwritten by
/// its next step.
public struct OuterProduct {
    /// First element of the tensor in the flat parameter buffer.
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

    /// Writes the products into `out` (`rows · columns` values, row-major), by the definition above.
    @inlinable
    package func materialize(into out: UnsafeMutablePointer<Float>) {
        writeOuterProduct(rowFactors: rowFactors, rows: rows, columnFactors: columnFactors, columns: columns,
                          into: out)
    }
}

/// `out[r, c] = rowFactors[r]·columnFactors[c]` (one Float32 product), exactly +0 for the whole row when
/// `rowFactors[r] == 0` (the ``OuterProduct`` definition).
@inlinable @inline(__always)
package func writeOuterProduct(rowFactors d: UnsafePointer<Float>, rows m: Int, columnFactors x: UnsafePointer<Float>,
                               columns n: Int, into out: UnsafeMutablePointer<Float>) {
    let n8 = n & ~7
    for o in 0 ..< m {
        let g = d[o]
        let r = out + o * n
        if g == 0 {
            zeroFloats(r, n)
            continue
        }
        let s = splat(g)
        var i = 0
        while i < n8 {
            store8(s * load8(x + i), r + i)
            i += 8
        }
        while i < n {
            r[i] = g * x[i]
            i += 1
        }
    }
}
