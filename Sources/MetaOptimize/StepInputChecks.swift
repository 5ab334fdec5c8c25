import SIMDSupport

/// What a MetaOptimize step checks before it changes anything (shared by the Hessian-free and exact optimizers):
/// the loss is finite, then every gradient element outside the outer-product `blocks` (sorted, disjoint; their
/// products are checked by ``outerProductIsFusable(_:flushing:)``) is finite. Returns the reason to diverge, or nil.
func stepInputProblem(loss: Float, gradients g: UnsafePointer<Float>, count: Int,
                      outside blocks: UnsafeBufferPointer<OuterProductGradient>) -> DivergenceReason? {
    guard loss.isFinite else { return .nonFiniteLoss }
    return GradientSource(dense: g, blocks: blocks).denseIsFinite(count: count) ? nil : .nonFiniteGradient
}
