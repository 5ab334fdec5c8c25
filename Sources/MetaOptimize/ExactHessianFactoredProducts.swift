import SIMDSupport

/// Batch-1 Hessian-vector products with the linear layers' weight blocks left factored, for
/// ``ExactHessianMetaOptimizer/useFactoredProducts(_:)``: `product(V, j, result)` writes H·V into `result` except in
/// the regions of `blocks[j]`, whose elements are the ``OuterProductTangent`` definition applied to column j's factors
/// (held until the next product of column j) and the gradient's δ and x.
public struct FactoredHessianVectorProducts {
    /// Per column (at least the optimizer's ``ExactHessianMetaOptimizer/groupCount``), one tangent block per
    /// outer-product block of the gradient, in the same order and over the same regions. Pointers fixed.
    public var blocks: [[OuterProductTangent]]
    /// H·V for column `column`, as above.
    public var product: (_ vector: UnsafePointer<Float>, _ column: Int, _ result: UnsafeMutablePointer<Float>) -> Void

    public init(blocks: [[OuterProductTangent]],
                product: @escaping (_ vector: UnsafePointer<Float>, _ column: Int,
                                    _ result: UnsafeMutablePointer<Float>) -> Void) {
        self.blocks = blocks
        self.product = product
    }
}

/// The factored products laid out for the pass (allocated once): column j's block b at `tangents[j·blockCount + b]`,
/// and k scratch rows.
struct FactoredTable {
    let product: (UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>) -> Void
    let blockCount: Int
    let tangents: UnsafeMutablePointer<OuterProductTangent>
    let rows: UnsafeMutablePointer<OuterProductTangentRow>

    init(_ products: FactoredHessianVectorProducts, columns k: Int) {
        product = products.product
        blockCount = products.blocks[0].count
        tangents = .allocate(capacity: max(1, k * blockCount))
        for j in 0 ..< k {
            for b in 0 ..< blockCount { (tangents + j * blockCount + b).initialize(to: products.blocks[j][b]) }
        }
        rows = .allocate(capacity: k)
        rows.initialize(repeating: OuterProductTangentRow(), count: k)
    }

    func deallocate() {
        tangents.deallocate()
        rows.deallocate()
    }
}
