import SIMDSupport

/// The caller's contract of ``Optimizer/step(weights:gradients:outerProducts:loss:)``: the blocks are non-empty,
/// sorted, disjoint and inside the `parameterCount` parameters (a violation is a programming error, not data).
package func checkOuterProductLayout(_ blocks: UnsafeBufferPointer<OuterProductGradient>, parameterCount: Int) {
    var previousEnd = 0
    for block in blocks {
        precondition(block.rows >= 1 && block.columns >= 1 && block.offset >= previousEnd
                     && block.offset + block.count <= parameterCount,
                     "outerProducts: blocks must be non-empty, sorted, disjoint and inside the parameters")
        previousEnd = block.offset + block.count
    }
}

/// The frame of every ``Optimizer/step(weights:gradients:outerProducts:loss:)``: checks the layout contract
/// (``checkOuterProductLayout(_:parameterCount:)``), then runs `inPass` on the blocks when `formsInPass` accepts them,
/// or else writes every block's products into `gradients` and runs `dense`, the dense step (bit for bit the same).
package func stepOnOuterProducts(
    _ outerProducts: [OuterProductGradient], gradients: UnsafeMutableBufferPointer<Float>, parameterCount: Int,
    formsInPass: (UnsafeBufferPointer<OuterProductGradient>) -> Bool,
    inPass: (UnsafeBufferPointer<OuterProductGradient>) -> Bool, dense: () -> Bool
) -> Bool {
    outerProducts.withUnsafeBufferPointer { blocks in
        checkOuterProductLayout(blocks, parameterCount: parameterCount)
        guard formsInPass(blocks) else {
            for block in blocks { block.materialize(into: gradients.baseAddress! + block.offset) }
            return dense()
        }
        return inPass(blocks)
    }
}

/// True when the fused pass forms exactly the gradient the dense path would see: both factor vectors are finite and
/// max|row|·max|column| (exact in Double) is below the largest Float32, so no Float32 product can round to ∞; and,
/// when `flushing` (FTZ + DAZ during the step), no factor is subnormal, because DAZ would read it as 0 inside the
/// step where the dense gradient was formed from its true value. (Products that underflow are no concern: FTZ
/// turns them into the same signed zero that DAZ makes of the dense path's subnormal product.)
package func outerProductIsFusable(_ block: OuterProductGradient, flushing: Bool) -> Bool {
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
