import Foundation
import RuleKernels
import SIMDSupport

/// Why a run was marked diverged.
public enum DivergenceReason: String, Codable, Sendable, CaseIterable {
    /// The caller's loss was NaN or infinite (step refused, nothing updated).
    case nonFiniteLoss
    /// A gradient element was NaN or infinite (step refused, nothing updated).
    case nonFiniteGradient
    /// An element of the caller's diagonal Hessian (IDBD) was NaN or infinite (step refused, nothing updated).
    case nonFiniteHessian
    /// A meta-gradient z = Σ h·g overflowed (this step's base update was applied; β and meta state unchanged).
    case nonFiniteMetaGradient
    /// The meta update would have produced a non-finite β, α = exp(β) or meta moment (base update of this step
    /// applied, except for IDBD whose meta update comes first; β and meta state keep their last finite values).
    case nonFiniteStepSize
}

/// Summary of the β's of one reporting block (see ``StepSizeBlock``).
public struct StepSizeSummary: Sendable, Equatable {
    /// Mean of β over the block's groups (Double accumulation).
    public var meanLogStepSize: Double
    public var minLogStepSize: Float
    public var maxLogStepSize: Float
    /// exp(mean β) · schedule factor of the next step (the geometric-mean step size; exact α for one-group blocks).
    public var stepSize: Double
}

/// The batch-1 gradient of a linear layer's weight as an outer product δ ⊗ x (see ``OuterProduct``).
public typealias OuterProductGradient = OuterProduct

/// MetaOptimize (Sharifnassab, Salehkaleybar & Sutton, ICML 2025): a base rule that updates the weights with step
/// sizes α = exp(β), and a meta rule that learns the log step sizes β online from the meta-gradient z = Σ h·g, where
/// the trace h ≈ dw/dβ is the γ-discounted sum of past weight changes (spec §3).
///
/// The optimizer sees only the flat weight and gradient buffers (all tensors concatenated in canonical order).
/// Every buffer it owns is allocated once in `init`, laid out from the rules' declared state; a step allocates
/// nothing. Not thread-safe: use one instance per run.
public final class MetaOptimizer: Optimizer {
    /// The resolved configuration in force (see ``OptimizerConfiguration/resolved()``).
    public let configuration: OptimizerConfiguration
    public let tensors: [TensorDescriptor]
    /// Planned number of steps T (used by schedules).
    public let totalSteps: Int
    /// Total number of weights (length of the flat buffers).
    public let parameterCount: Int
    /// Number of β entries (step-size groups).
    public let groupCount: Int
    /// Reporting blocks: one per scalar/block, one per tensor for layerwise, nodewise and weightwise.
    public let blocks: [StepSizeBlock]
    /// Completed optimizer steps (a step refused because of a non-finite loss or gradient does not count).
    public internal(set) var stepsTaken: Int = 0
    /// 1-based number of the step at which the run diverged, or nil.
    public internal(set) var divergedAtStep: Int?
    public internal(set) var divergenceReason: DivergenceReason?
    /// Whether the last ``step(weights:gradients:outerProducts:loss:)`` formed the outer products inside its pass
    /// (false when it materialised them and ran the dense step).
    public internal(set) var lastStepFormedOuterProducts = false
    public let stepSizeReport: StepSizeReport

    let layout: StepSizeLayout
    let hasDiagonalHessian: Bool
    /// The caller's diagonal-Hessian buffer (meta `idbd`), read by ``step(weights:gradients:loss:)``.
    let diagonalHessianSource: UnsafePointer<Float>?
    let baseRule: any BaseRuleDefinition.Type
    let metaRule: any MetaRuleDefinition.Type
    /// The per-weight state buffers of the base rule and the per-group ones of the meta rule (their declarations).
    let baseState: StateLayout
    let metaState: StateLayout
    // Per-parameter state: trace and the base rule's buffers.
    let h: UnsafeMutablePointer<Float>
    let s0: UnsafeMutablePointer<Float>
    let s1: UnsafeMutablePointer<Float>
    // Per-group state, double-buffered (current, next).
    var beta: UnsafeMutablePointer<Float>, nextBeta: UnsafeMutablePointer<Float>
    var alpha: UnsafeMutablePointer<Float>, nextAlpha: UnsafeMutablePointer<Float>
    var metaS0: UnsafeMutablePointer<Float>, nextMetaS0: UnsafeMutablePointer<Float>
    var metaS1: UnsafeMutablePointer<Float>, nextMetaS1: UnsafeMutablePointer<Float>
    let z: UnsafeMutablePointer<Float>
    /// β as it was at the start of the last step (the trace's values).
    var betaAtStepStart: UnsafeMutablePointer<Float>
    let segments: UnsafeMutableBufferPointer<Segment>
    /// The one allocation holding every Float buffer above.
    let slab: StaggeredSlab
    // Bias-correction powers (Double as in the official code).
    var basePowers = BiasCorrectionPowers()
    var metaPowers = BiasCorrectionPowers()
    // Cached hyper-parameters.
    let gammaF: Float
    let kappaF: Float
    /// η and (1 − η·κ̄) in Float32, shared by every meta rule.
    let metaCommon: MetaCommon

    /// Creates the optimizer. Throws ``OptimizerError`` for an invalid configuration or tensor layout.
    /// - Parameters:
    ///   - totalSteps: planned number of updates T (>= 0; >= 1 for schedules that need it).
    ///   - hasDiagonalHessian: whether a diagonal Hessian will be passed at every step (required by meta `idbd`).
    ///   - diagonalHessian: a buffer of ``parameterCount`` values that the caller rewrites with the diagonal
    ///     Hessian before every step; ``step(weights:gradients:loss:)`` then reads it (meta `idbd`). Implies
    ///     `hasDiagonalHessian`.
    public init(tensors: [TensorDescriptor], configuration: OptimizerConfiguration, totalSteps: Int,
                hasDiagonalHessian: Bool = false, diagonalHessian: UnsafePointer<Float>? = nil) throws {
        let hasDiagonalHessian = hasDiagonalHessian || diagonalHessian != nil
        try configuration.validate(tensors: tensors, hasDiagonalHessian: hasDiagonalHessian)
        let config = configuration.resolved()
        guard totalSteps >= 0 else {
            throw OptimizerError.invalidValue(field: "totalSteps", expected: "a number of steps >= 0",
                                              found: "\(totalSteps)")
        }
        if config.schedule.needsTotalSteps, totalSteps < 1 {
            throw OptimizerError.invalidValue(field: "totalSteps",
                                              expected: "at least 1 planned step for schedule \(config.schedule)",
                                              found: "\(totalSteps)")
        }
        if case .warmupCosine(let w) = config.schedule, w > totalSteps {
            throw OptimizerError.invalidValue(field: "schedule",
                                              expected: "a warm-up no longer than the run (\(totalSteps) steps)",
                                              found: config.schedule.description)
        }
        let layout = try StepSizeLayout(tensors: tensors, granularity: config.granularity)
        self.configuration = config
        self.tensors = tensors
        self.totalSteps = totalSteps
        self.layout = layout
        self.hasDiagonalHessian = hasDiagonalHessian
        diagonalHessianSource = diagonalHessian
        parameterCount = layout.parameterCount
        groupCount = layout.groupCount
        blocks = layout.blocks
        gammaF = Float(config.gamma)
        kappaF = Float(config.weightDecay)
        metaCommon = MetaCommon(eta: config.metaStepSize, metaWeightDecay: config.metaWeightDecay)
        baseRule = config.base.definition
        metaRule = config.meta.definition
        baseState = baseRule.state(config.mode)
        metaState = metaRule.state(config.mode)

        let p = parameterCount, g = groupCount
        let counts = [p, baseState.hasFirst ? p : 0, baseState.hasSecond ? p : 0] + Array(repeating: g, count: 9)
        slab = StaggeredSlab(counts: counts, pageOffsets: counts.indices.map(PageStagger.optimizerState))
        let b = slab.buffers
        h = b[0]; s0 = b[1]; s1 = b[2]
        beta = b[3]; nextBeta = b[4]
        alpha = b[5]; nextAlpha = b[6]
        metaS0 = b[7]; nextMetaS0 = b[8]
        metaS1 = b[9]; nextMetaS1 = b[10]
        z = b[11]
        betaAtStepStart = beta
        segments = .allocate(capacity: layout.segments.count)
        _ = segments.initialize(from: layout.segments)

        let beta0 = log(Float(config.alpha0))
        let alpha0 = stepSizeFromLog(beta0)
        beta.update(repeating: beta0, count: g)
        alpha.update(repeating: alpha0, count: g)
        stepSizeReport = Self.report(granularity: config.granularity, groupCount: g, blocks: layout.blocks)
    }

    deinit {
        slab.deallocate()
        segments.deallocate()
    }

    // MARK: - Step

    /// One optimizer step (spec §3.2 order): α_t = exp(β_t)·schedule → z_t = Σ_group h_t·g_t (old trace, new
    /// gradient) → base update with α_t (also updates h) → meta update of β with z_t. For meta `idbd` the order is
    /// IDBD's: z = h·g, then β ← β − η·z, then the base update with the new α (spec §6.3).
    ///
    /// - Parameters:
    ///   - weights: the flat weights (length ``parameterCount``), updated in place.
    ///   - gradients: gradient of the (mean mini-batch) loss at the current weights, same layout.
    ///   - loss: the pre-update loss; only checked for finiteness.
    ///   - diagonalHessian: the diagonal of the loss Hessian at the current weights, same layout (meta `idbd`
    ///     only; required there).
    /// - Returns: true when the step completed. False when the run is diverged: either it already was, or the loss,
    ///   a gradient or a Hessian element is non-finite (then nothing was updated), or this step produced a
    ///   non-finite meta-gradient or step size (then the base update of this step was applied, β and meta state
    ///   keep their last finite values; see ``DivergenceReason``).
    /// - Precondition: buffer lengths equal ``parameterCount``; `diagonalHessian` is given for meta `idbd`.
    @discardableResult
    public func step(weights: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, loss: Float,
                     diagonalHessian: UnsafeBufferPointer<Float>?) -> Bool {
        guard divergedAtStep == nil else { return false }
        checkLengths(weights.count, gradients.count)
        var hessian: UnsafePointer<Float>? = nil
        if metaRule.usesDiagonalHessian {
            guard let h = diagonalHessian?.baseAddress, diagonalHessian?.count == parameterCount else {
                preconditionFailure("meta \(configuration.meta): expected a diagonal Hessian of \(parameterCount) values")
            }
            hessian = h
        }
        return run(weights: weights.baseAddress!, gradients: gradients.baseAddress!,
                   outerProducts: UnsafeBufferPointer(start: nil, count: 0), loss: loss, hessian: hessian)
    }

    /// ``step(weights:gradients:loss:diagonalHessian:)`` with the diagonal Hessian read from the buffer given at
    /// init (meta `idbd`), or none (every other meta rule).
    @discardableResult
    public func step(weights: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                     loss: Float) -> Bool {
        step(weights: weights, gradients: gradients, loss: loss,
             diagonalHessian: diagonalHessianSource.map { UnsafeBufferPointer(start: $0, count: parameterCount) })
    }

    /// One optimizer step with the gradient partly in factored form: exactly
    /// ``step(weights:gradients:loss:diagonalHessian:)`` on the gradient whose `outerProducts` regions hold
    /// rowFactors[r]·columnFactors[c] (+0 for rows whose factor is 0) and whose other elements are in `gradients`
    /// (same results, bit for bit). For step-size segments aligned with the blocks (whole rows, row lengths and
    /// block starts multiples of 8 inside each segment: the networks of this package with batch size 1) the
    /// products are formed inside the fused pass, so the block gradients are never written or read back; otherwise
    /// (weightwise, IDBD, odd widths, non-finite factors or products that could overflow, and subnormal factors
    /// when flushing) the blocks are first written into `gradients` and the dense step runs.
    ///
    /// - Parameters:
    ///   - gradients: full-length buffer holding every gradient element outside the blocks (the blocks' regions
    ///     are ignored, and overwritten when the step materialises them).
    ///   - outerProducts: blocks sorted by offset, not overlapping, inside the parameter range.
    /// - Returns: as ``step(weights:gradients:loss:diagonalHessian:)``.
    @discardableResult
    public func step(weights: UnsafeMutableBufferPointer<Float>, gradients: UnsafeMutableBufferPointer<Float>,
                     outerProducts: [OuterProductGradient], loss: Float) -> Bool {
        guard divergedAtStep == nil else { return false }
        checkLengths(weights.count, gradients.count)
        return stepOnOuterProducts(
            outerProducts, gradients: gradients, parameterCount: parameterCount,
            formsInPass: { blocks in
                !layout.elementwise && !metaRule.usesDiagonalHessian && outerProductsAlign(blocks, segments: segments)
                    && blocks.allSatisfy { outerProductIsFusable($0, flushing: configuration.subnormals == .flush) }
            },
            inPass: { blocks in
                lastStepFormedOuterProducts = true
                return run(weights: weights.baseAddress!, gradients: gradients.baseAddress!, outerProducts: blocks,
                           loss: loss, hessian: nil)
            },
            dense: {
                lastStepFormedOuterProducts = false
                return step(weights: weights, gradients: UnsafeBufferPointer(gradients), loss: loss)
            })
    }

    /// The step shared by both entry points (spec §3.2 order, or IDBD's when `hessian` is given): `gradients` holds
    /// every element outside `outerProducts` (all of them when there are none), and the blocks' products are
    /// formed in the fused pass (callers check alignment and ``outerProductIsFusable(_:flushing:)`` first).
    private func run(weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
                     outerProducts blocks: UnsafeBufferPointer<OuterProductGradient>, loss: Float,
                     hessian: UnsafePointer<Float>?) -> Bool {
        guard divergedAtStep == nil else { return false }
        let floatingPointEnvironment = configuration.subnormals == .flush ? SubnormalFlush.begin() : nil
        defer { if let floatingPointEnvironment { SubnormalFlush.end(floatingPointEnvironment) } }
        let t = stepsTaken + 1
        betaAtStepStart = beta
        if let reason = stepInputProblem(loss: loss, gradients: g, count: parameterCount, outside: blocks) {
            return diverge(at: t, reason)
        }
        let buffers = BaseBuffers(w: w, g: g, h: h, s0: s0, s1: s1)
        if let hessian {
            guard allFinite(hessian, count: parameterCount) else { return diverge(at: t, .nonFiniteHessian) }
            return idbdStep(buffers, hessian: hessian, factor: basePassPlan.factor, t: t)
        }
        // Base update (fused with z and the trace).
        baseRule.pass(configuration.mode, configuration, &basePowers,
                      BaseStep(buffers: buffers, plan: basePassPlan, blocks: blocks))
        stepsTaken = t
        if !layout.elementwise {
            for j in 0 ..< groupCount where !z[j].isFinite { return diverge(at: t, .nonFiniteMetaGradient) }
        }
        return metaUpdate(t: t)
    }

    var basePassPlan: BasePassPlan {
        BasePassPlan(elementwise: layout.elementwise, segments: segments, alpha: alpha, z: z,
                     parameterCount: parameterCount,
                     factor: Float(configuration.schedule.factor(step: stepsTaken, totalSteps: totalSteps)),
                     gamma: gammaF, kappa: kappaF)
    }

    var metaBuffers: MetaBuffers {
        MetaBuffers(z: z, beta: beta, s0: metaS0, s1: metaS1, nextBeta: nextBeta, nextS0: nextMetaS0,
                    nextS1: nextMetaS1, nextAlpha: nextAlpha, count: groupCount)
    }

    /// Runs the meta rule into the next buffers and commits them when every new value is finite.
    private func metaUpdate(t: Int) -> Bool {
        guard metaRule.learnsStepSize else { return true }
        var powers = metaPowers
        guard metaRule.pass(configuration.mode, configuration, metaCommon, &powers, metaBuffers) else {
            return diverge(at: t, .nonFiniteStepSize)
        }
        swap(&beta, &nextBeta)
        swap(&alpha, &nextAlpha)
        swap(&metaS0, &nextMetaS0)
        swap(&metaS1, &nextMetaS1)
        metaPowers = powers
        return true
    }

    func diverge(at step: Int, _ reason: DivergenceReason) -> Bool {
        divergedAtStep = step
        divergenceReason = reason
        return false
    }

    // MARK: - Reporting

    /// Copies β (one per group) into `buffer` (its count must be ``groupCount``). No allocation.
    public func logStepSizes(into buffer: UnsafeMutableBufferPointer<Float>) {
        precondition(buffer.count == groupCount, "logStepSizes: expected \(groupCount) values, found \(buffer.count)")
        guard let base = buffer.baseAddress else { return }
        base.update(from: beta, count: groupCount)
    }

    /// β per group (a copy).
    public var logStepSizes: [Float] { Array(UnsafeBufferPointer(start: beta, count: groupCount)) }

    /// β of group `group`.
    public func logStepSize(group: Int) -> Float {
        precondition(group >= 0 && group < groupCount, "group \(group) out of 0..<\(groupCount)")
        return beta[group]
    }

    /// Schedule factor the next step will use.
    public var nextScheduleFactor: Double {
        configuration.schedule.factor(step: stepsTaken, totalSteps: totalSteps)
    }

    /// The Float32 step size the next step uses for group `group`, α = exp(β)·schedule factor, widened to Double.
    /// (For α0 = 1e-4 and meta `fixed` this is 9.99999901978299e-05, the value the official runs log.) For meta
    /// `idbd` the next step first updates β, so it uses exp of the updated β instead.
    public func stepSize(group: Int) -> Double {
        precondition(group >= 0 && group < groupCount, "group \(group) out of 0..<\(groupCount)")
        return Double(alpha[group] * Float(nextScheduleFactor))
    }

    /// The meta-gradients z of the last completed step (one per group; zero before the first step).
    public func metaGradients(into buffer: UnsafeMutableBufferPointer<Float>) {
        precondition(buffer.count == groupCount, "metaGradients: expected \(groupCount) values, found \(buffer.count)")
        guard let base = buffer.baseAddress else { return }
        base.update(from: z, count: groupCount)
    }

    /// The meta-gradients z of the last completed step (a copy).
    public var metaGradients: [Float] { Array(UnsafeBufferPointer(start: z, count: groupCount)) }

    /// Names of the reporting blocks (column labels).
    public var blockNames: [String] { blocks.map(\.name) }
    public var blockCount: Int { blocks.count }

    /// Summary of the β's of reporting block `block` (no allocation).
    public func stepSizeSummary(block: Int) -> StepSizeSummary {
        let groups = blocks[block].groups
        var sum = 0.0
        var lo = Float.infinity, hi = -Float.infinity
        for j in groups {
            let b = beta[j]
            sum += Double(b)
            lo = min(lo, b)
            hi = max(hi, b)
        }
        let mean = sum / Double(groups.count)
        let stepSize: Double
        if groups.count == 1 {
            stepSize = Double(alpha[groups.lowerBound] * Float(nextScheduleFactor))
        } else {
            stepSize = exp(mean) * nextScheduleFactor
        }
        return StepSizeSummary(meanLogStepSize: mean, minLogStepSize: lo, maxLogStepSize: hi, stepSize: stepSize)
    }

    /// A readable name of step-size group `group`: the block name, or `tensor[row]` (nodewise) /
    /// `tensor[flat index]` (weightwise).
    public func groupName(_ group: Int) -> String {
        precondition(group >= 0 && group < groupCount, "group \(group) out of 0..<\(groupCount)")
        switch configuration.granularity {
        case .scalar, .blocks, .lastLayerAndOthers, .layerwise: return blocks[group].name
        case .nodewise, .weightwise:
            let k = blocks.lastIndex { $0.groups.lowerBound <= group }!
            return "\(blocks[k].name)[\(group - blocks[k].groups.lowerBound)]"
        }
    }
}

/// Flushes subnormal float32 values to zero (x86 FTZ + DAZ) for the duration of one optimizer step, then restores
/// the thread's floating-point environment (``SubnormalHandling/flush``). Also used by the competitors.
package enum SubnormalFlush {
    #if arch(x86_64) && canImport(Glibc)
    @inline(__always)
    package static func begin() -> fenv_t {
        var saved = fenv_t()
        fegetenv(&saved)
        var flushing = saved
        flushing.__mxcsr |= 0x8040   // FTZ (bit 15) | DAZ (bit 6)
        fesetenv(&flushing)
        return saved
    }

    @inline(__always)
    package static func end(_ saved: fenv_t) {
        var environment = saved
        fesetenv(&environment)
    }
    #else
    @inline(__always) package static func begin() -> Int { 0 }
    @inline(__always) package static func end(_: Int) {}
    #endif
}
