import Networks

/// The batch of the current step, on which the exact-Hessian optimizer's Hessian-vector products are taken: the
/// runner points it at the step's inputs and sets the batch size before each optimizer step.
public final class HessianBatch {
    public var inputs = UnsafeBufferPointer<Float>(start: nil, count: 0)
    public var batchSize = 1
    public init() {}
}
