import Foundation
import MetaOptimize
import SIMDSupport

// What every learning-rate-free competitor shares: the tensor layout, named state buffers in one slab (checkpoint
// export/restore by name), the divergence bookkeeping, and the step-size report plumbing. Each method's file holds
// its state declaration next to its update.

/// One parameter tensor's place in the flat buffers.
struct TensorSpan: Sendable {
    let offset: Int
    let count: Int
}

/// Named Float32 state arrays of one optimizer, allocated together (zero-initialised) and exported/restored by name.
final class StateBuffers {
    let names: [String]
    let counts: [Int]
    let pointers: [UnsafeMutablePointer<Float>]
    private let slab: StaggeredSlab

    /// - Parameter declarations: (name, element count) in checkpoint order.
    init(_ declarations: [(String, Int)]) {
        names = declarations.map(\.0)
        counts = declarations.map(\.1)
        // Buffer k at 576·k bytes past a page, skipping the two offsets the network's weights and gradients use.
        let slots = (0 ..< 16).filter { $0 != 4 && $0 != 5 }
        let offsets = counts.indices.map { PageStagger.optimizerState(slots[$0 % slots.count]) }
        slab = StaggeredSlab(counts: counts, pageOffsets: offsets)
        pointers = slab.buffers
    }

    deinit { slab.deallocate() }

    subscript(_ name: String) -> UnsafeMutablePointer<Float> {
        guard let k = names.firstIndex(of: name) else { preconditionFailure("no state buffer '\(name)'") }
        return pointers[k]
    }

    var arrays: [NamedArray] {
        zip(names, zip(pointers, counts)).map { NamedArray(name: $0.0, values: Array(UnsafeBufferPointer(start: $0.1.0, count: $0.1.1))) }
    }

    /// Copies validated arrays (same names and lengths, see ``OptimizerState/validate(against:)``) into the buffers.
    func load(_ arrays: [NamedArray]) {
        for (array, pointer) in zip(arrays, pointers) {
            array.values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: $0.count) }
        }
    }
}

/// Step counting and divergence, as MetaOptimize does it: a non-finite loss or gradient refuses the step (nothing
/// updated); a non-finite step size after an update marks the run diverged (that update stays applied).
struct StepBookkeeping: Sendable {
    var stepsTaken = 0
    var divergedAtStep: Int?
    var divergenceReason: DivergenceReason?

    /// True when the step may run: not diverged, finite loss, finite gradient. Otherwise records why and refuses.
    /// (The blocks of a factored gradient are finite by ``outerProductIsFusable(_:flushing:)``.)
    mutating func admit(loss: Float, gradients: GradientSource, count: Int) -> Bool {
        guard divergedAtStep == nil else { return false }
        guard loss.isFinite else { return diverge(.nonFiniteLoss) }
        guard gradients.denseIsFinite(count: count) else { return diverge(.nonFiniteGradient) }
        return true
    }

    /// Marks the run diverged at the current step (1-based) and returns false.
    mutating func diverge(_ reason: DivergenceReason) -> Bool {
        divergedAtStep = stepsTaken + 1
        divergenceReason = reason
        return false
    }
}

/// What every competitor holds besides its own state: its name (`--optimizer`), tensors, resolved settings (also
/// whether subnormals are flushed during the step) and step bookkeeping.
struct CompetitorBasics {
    let name: String
    let tensors: [TensorDescriptor]
    let spans: [TensorSpan]
    let settings: CompetitorSettings
    var book = StepBookkeeping()
}

/// The part of ``Optimizer`` the competitors implement through shared code.
protocol Competitor: Optimizer {
    var basics: CompetitorBasics { get set }
    var buffers: StateBuffers { get }
    /// Every scalar state variable, by its checkpoint name (exported and restored as Double).
    static var scalarFields: [(String, ReferenceWritableKeyPath<Self, Double>)] { get }
    /// Called after a restore has loaded the state (to drop caches derived from it). Default: nothing.
    func didRestore()
    /// The method's update on a finite loss and gradient. Returns nil on success, or the divergence reason when
    /// the update produced a non-finite step size (then the run is marked diverged).
    /// `g` is the dense gradient or, at batch 1, partly outer products formed inside the passes (same values).
    func update(weights w: UnsafeMutablePointer<Float>, gradients g: GradientSource, loss: Float) -> DivergenceReason?
    /// Value `k` of the trace columns (the step just completed) and of the curve columns.
    func traceValue(_ k: Int) -> Double
    func curveValue(_ k: Int) -> Double
}

extension Competitor {
    func didRestore() {}

    /// The scalars of ``scalarFields`` by name.
    var scalarState: [String: Double] {
        Dictionary(uniqueKeysWithValues: Self.scalarFields.map { ($0.0, self[keyPath: $0.1]) })
    }

    var book: StepBookkeeping {
        get { basics.book }
        set { basics.book = newValue }
    }
    var spans: [TensorSpan] { basics.spans }
    var settings: CompetitorSettings { basics.settings }
    /// The method name, resolved settings and tensor shapes (a checkpoint restores only into the same).
    var identity: String { identityText(basics.name, basics.settings, basics.tensors) }

    var stepsTaken: Int { book.stepsTaken }
    var divergedAtStep: Int? { book.divergedAtStep }
    var divergenceReason: DivergenceReason? { book.divergenceReason }

    @discardableResult
    func step(weights: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, loss: Float) -> Bool {
        checkLengths(weights.count, gradients.count)
        return run(weights: weights.baseAddress!, gradients: GradientSource(dense: gradients.baseAddress!), loss: loss)
    }

    /// The batch-1 step: the outer-product blocks' gradients are formed inside the passes (never written) when
    /// their layout gives the dense step's lanes (``formsOuterProducts(_:)``); otherwise they are materialised and
    /// the dense step runs. Bit for bit the dense step either way.
    @discardableResult
    func step(weights: UnsafeMutableBufferPointer<Float>, gradients: UnsafeMutableBufferPointer<Float>,
              outerProducts: [OuterProductGradient], loss: Float) -> Bool {
        checkLengths(weights.count, gradients.count)
        guard book.divergedAtStep == nil else { return false }
        return stepOnOuterProducts(
            outerProducts, gradients: gradients, parameterCount: parameterCount, formsInPass: formsOuterProducts,
            inPass: { blocks in
                run(weights: weights.baseAddress!, gradients: GradientSource(dense: gradients.baseAddress!, blocks: blocks),
                    loss: loss)
            },
            dense: { run(weights: weights.baseAddress!, gradients: GradientSource(dense: gradients.baseAddress!), loss: loss) })
    }

    /// True when the blocks (laid out as ``checkOuterProductLayout(_:parameterCount:)`` requires) can be formed in
    /// the passes with the dense lanes: each inside one tensor at a multiple of 8 elements from its start and from
    /// 0, columns a multiple of 8, and their products exactly the dense values (``outerProductIsFusable(_:flushing:)``).
    func formsOuterProducts(_ blocks: UnsafeBufferPointer<OuterProductGradient>) -> Bool {
        blocks.allSatisfy { block in
            guard block.columns % 8 == 0, block.offset % 8 == 0,
                  let span = spans.first(where: { block.offset >= $0.offset && block.offset < $0.offset + $0.count })
            else { return false }
            return (block.offset - span.offset) % 8 == 0 && block.offset + block.count <= span.offset + span.count
                && outerProductIsFusable(block, flushing: settings.flushSubnormals)
        }
    }

    /// Both entry points: divergence checks, then the method's update.
    private func run(weights: UnsafeMutablePointer<Float>, gradients: GradientSource, loss: Float) -> Bool {
        guard book.divergedAtStep == nil else { return false }
        let floatingPointEnvironment = settings.flushSubnormals ? SubnormalFlush.begin() : nil
        defer { if let floatingPointEnvironment { SubnormalFlush.end(floatingPointEnvironment) } }
        guard book.admit(loss: loss, gradients: gradients, count: parameterCount) else { return false }
        if let reason = update(weights: weights, gradients: gradients, loss: loss) {
            return book.diverge(reason)
        }
        book.stepsTaken += 1
        return true
    }

    func curveStepSizes(into values: UnsafeMutableBufferPointer<Double>) {
        for k in 0 ..< min(values.count, stepSizeReport.curveColumns.count) { values[k] = curveValue(k) }
    }

    func traceStepSizes(into values: UnsafeMutableBufferPointer<Double>) {
        for k in 0 ..< min(values.count, stepSizeReport.traceColumns.count) { values[k] = traceValue(k) }
    }

    /// Natural log of each curve value (the step sizes of the last step).
    var finalLogStepSizes: [Double] {
        (0 ..< stepSizeReport.curveColumns.count).map { Foundation.log(curveValue($0)) }
    }

    func exportState() -> OptimizerState {
        OptimizerState(method: identity, stepsTaken: book.stepsTaken, divergedAtStep: book.divergedAtStep,
                       divergenceReason: book.divergenceReason, arrays: buffers.arrays, scalars: scalarState)
    }

    func restore(_ state: OptimizerState) throws {
        try state.validate(against: exportState())
        for (name, value) in state.scalars where value.isNaN {
            throw OptimizerError.stateMismatch(field: name, expected: "a number", found: "nan")
        }
        buffers.load(state.arrays)
        for (name, field) in Self.scalarFields { self[keyPath: field] = state.scalars[name]! }  // validated above
        didRestore()
        book = StepBookkeeping(stepsTaken: state.stepsTaken, divergedAtStep: state.divergedAtStep,
                               divergenceReason: state.divergenceReason)
    }

    var parameterCount: Int { spans.last.map { $0.offset + $0.count } ?? 0 }
}

/// One step size (`step_size` in the curve and the trace), plus one more value in the trace (`d`, `rbar`, …).
func oneStepSize(alsoTracing extra: String) -> StepSizeReport {
    StepSizeReport(groupNames: ["all"], curveColumns: ["step_size"], traceColumns: ["step_size", extra])
}

/// The tensors' spans in the flat buffers; throws for an empty or malformed layout.
func tensorSpans(_ tensors: [TensorDescriptor]) throws -> [TensorSpan] {
    guard !tensors.isEmpty else {
        throw OptimizerError.invalidValue(field: "tensors", expected: "at least one parameter tensor", found: "none")
    }
    var spans: [TensorSpan] = []
    var offset = 0
    for (index, tensor) in tensors.enumerated() {
        guard tensor.count >= 1, tensor.count == tensor.shape.reduce(1, *) else {
            throw OptimizerError.invalidTensor(index: index, name: tensor.name, expected: "count = product of shape",
                                               found: "count \(tensor.count)")
        }
        spans.append(TensorSpan(offset: offset, count: tensor.count))
        offset += tensor.count
    }
    return spans
}

/// A stable text for a method's identity: name, settings (JSON, sorted keys) and tensor shapes.
func identityText(_ method: String, _ settings: CompetitorSettings, _ tensors: [TensorDescriptor]) -> String {
    struct Identity: Encodable {
        var settings: CompetitorSettings
        var tensors: [TensorDescriptor]
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                  nan: "nan")
    let json = (try? encoder.encode(Identity(settings: settings, tensors: tensors)))
        .map { String(decoding: $0, as: UTF8.self) } ?? ""
    return method + " " + json
}

/// A D-Adaptation-style method (Prodigy, D-Adapt Adam/SGD/AdaGrad/Lion): it logs λ, the d·lr (with bias
/// correction) its last step used, as `step_size`, and d after that step as the trace's second column.
protocol DistanceAdapting: Competitor {
    var d: Double { get }
    var lastLambda: Double { get }
    /// The package's step counter `k` (not advanced by a skipped step).
    var k: Double { get set }
}

/// `step_size` (λ) and `d`.
let distanceAdaptingReport = oneStepSize(alsoTracing: "d")

extension DistanceAdapting {
    var stepSizeReport: StepSizeReport { distanceAdaptingReport }
    func traceValue(_ c: Int) -> Double { c == 0 ? lastLambda : d }
    func curveValue(_ c: Int) -> Double { lastLambda }

    /// The end of a step: unless it was skipped, counts it in `k` and returns nil, or
    /// ``DivergenceReason/nonFiniteStepSize`` when d or the λ the step used (`dlr`) is not finite; a skipped step
    /// (the package's zero-denominator case) returns nil.
    func completeStep(movedWeights: Bool = true, used dlr: Double) -> DivergenceReason? {
        guard movedWeights else { return nil }
        k += 1
        return d.isFinite && dlr.isFinite ? nil : .nonFiniteStepSize
    }
}

/// Adam's bias correction inside d·lr at step t (Prodigy, D-Adapt Adam): √(1 − β2ᵗ)/(1 − β1ᵗ), or 1 when off.
func adamBiasCorrection(beta1: Double, beta2: Double, step t: Double, enabled: Bool) -> Double {
    enabled ? (1 - pow(beta2, t)).squareRoot() / (1 - pow(beta1, t)) : 1
}
