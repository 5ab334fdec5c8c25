/// A weight tensor whose gradient is the outer product of two vectors, as for a linear layer at batch size 1
/// (δ = gradient with respect to the layer's outputs, x = the layer's input).
///
/// Element (r, c) of the `rows × columns` row-major block starting at `offset` in the flat parameter layout is
/// `rowFactors[r] · columnFactors[c]` (one Float32 product), and exactly +0 for the whole row when
/// `rowFactors[r] == 0`. See ``MetaOptimizer/step(weights:gradients:outerProducts:loss:)``.
public struct OuterProductGradient {
    /// First element of the tensor in the flat parameter buffer.
    public var offset: Int
    public var rows: Int
    public var columns: Int
    /// `rows` values.
    public var rowFactors: UnsafePointer<Float>
    /// `columns` values.
    public var columnFactors: UnsafePointer<Float>

    public init(offset: Int, rows: Int, columns: Int, rowFactors: UnsafePointer<Float>,
                columnFactors: UnsafePointer<Float>) {
        self.offset = offset
        self.rows = rows
        self.columns = columns
        self.rowFactors = rowFactors
        self.columnFactors = columnFactors
    }
}

/// True when the fused pass forms exactly the gradient the dense path would see: both factor vectors are finite and
/// max|row|·max|column| (exact in Double) is below the largest Float32, so no Float32 product can round to ∞; and,
/// when `flushing` (FTZ + DAZ during the step), no factor is subnormal, because DAZ would read it as 0 inside the
/// step where the dense gradient was formed from its true value. (Products that underflow are no concern: FTZ
/// turns them into the same signed zero that DAZ makes of the dense path's subnormal product.)
func outerProductIsFusable(_ block: OuterProductGradient, flushing: Bool) -> Bool {
    guard let rowMax = maximumMagnitude(block.rowFactors, count: block.rows, rejectSubnormals: flushing),
          let columnMax = maximumMagnitude(block.columnFactors, count: block.columns, rejectSubnormals: flushing)
    else { return false }
    return Double(rowMax) * Double(columnMax) < Double(Float.greatestFiniteMagnitude)
}

/// max |p[i]|, or nil when some value is NaN or infinite, or (with `rejectSubnormals`) subnormal.
func maximumMagnitude(_ p: UnsafePointer<Float>, count: Int, rejectSubnormals: Bool) -> Float? {
    guard allFinite(p, count: count) else { return nil }
    var result: Float = 0
    var smallestNonzero = Float.infinity
    for i in 0 ..< count {
        let a = abs(p[i])
        result = max(result, a)
        if a != 0 { smallestNonzero = min(smallestNonzero, a) }
    }
    if rejectSubnormals && smallestNonzero < Float.leastNormalMagnitude { return nil }
    return result
}

/// Writes the block's products into the dense gradient buffer (the definition above).
func materialize(_ block: OuterProductGradient, into gradients: UnsafeMutablePointer<Float>) {
    let n = block.columns
    for r in 0 ..< block.rows {
        let factor = block.rowFactors[r]
        let row = gradients + block.offset + r * n
        if factor == 0 {
            row.update(repeating: 0, count: n)
            continue
        }
        let s = V8(repeating: factor)
        var c = 0
        while c + 8 <= n {
            store8(row, c, s * load8(block.columnFactors, c))
            c += 8
        }
        while c < n {
            row[c] = factor * block.columnFactors[c]
            c += 1
        }
    }
}
