import Foundation

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

/// MetaOptimize (Sharifnassab, Salehkaleybar & Sutton, ICML 2025): a base rule that updates the weights with step
/// sizes α = exp(β), and a meta rule that learns the log step sizes β online from the meta-gradient z = Σ h·g, where
/// the trace h ≈ dw/dβ is the γ-discounted sum of past weight changes (spec §3).
///
/// The optimizer sees only the flat weight and gradient buffers (all tensors concatenated in canonical order).
/// Every buffer it owns is allocated once in `init`; ``step(weights:gradients:loss:diagonalHessian:)`` allocates
/// nothing. Not thread-safe: use one instance per run.
public final class MetaOptimizer {
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

    let layout: StepSizeLayout
    let hasDiagonalHessian: Bool
    // Per-parameter state.
    let h: UnsafeMutablePointer<Float>
    let m: UnsafeMutablePointer<Float>
    let v: UnsafeMutablePointer<Float>
    let usesFirstMoment: Bool
    let usesSecondMoment: Bool
    // Per-group state, double-buffered (current, next).
    var beta: UnsafeMutablePointer<Float>, nextBeta: UnsafeMutablePointer<Float>
    var alpha: UnsafeMutablePointer<Float>, nextAlpha: UnsafeMutablePointer<Float>
    var metaM: UnsafeMutablePointer<Float>, nextMetaM: UnsafeMutablePointer<Float>
    var metaV: UnsafeMutablePointer<Float>, nextMetaV: UnsafeMutablePointer<Float>
    let z: UnsafeMutablePointer<Float>
    let segments: UnsafeMutableBufferPointer<Segment>
    /// The one allocation holding every Float buffer above.
    let storage: UnsafeMutableRawPointer
    // Scalars (Double as in the official code).
    var basePower: Double = 1
    var baseMomentumPower: Double = 1
    var metaPower: Double = 1
    var metaMomentumPower: Double = 1
    // Cached hyper-parameters.
    let gammaF: Float
    let kappaF: Float

    /// Creates the optimizer. Throws ``OptimizerError`` for an invalid configuration or tensor layout.
    /// - Parameters:
    ///   - totalSteps: planned number of updates T (>= 0; >= 1 for schedules that need it).
    ///   - hasDiagonalHessian: whether a diagonal Hessian will be passed at every step (required by meta `idbd`).
    public init(tensors: [TensorDescriptor], configuration: OptimizerConfiguration, totalSteps: Int,
                hasDiagonalHessian: Bool = false) throws {
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
        parameterCount = layout.parameterCount
        groupCount = layout.groupCount
        blocks = layout.blocks
        gammaF = Float(config.gamma)
        kappaF = Float(config.weightDecay)

        usesFirstMoment = [.sgdm, .adamw, .lion].contains(config.base)
        usesSecondMoment = [.rmsprop, .adamw].contains(config.base)
        let g = groupCount
        var slab = FloatSlab(counts: [parameterCount, usesFirstMoment ? parameterCount : 0,
                                      usesSecondMoment ? parameterCount : 0] + Array(repeating: g, count: 9))
        storage = slab.base
        h = slab.next(); m = slab.next(); v = slab.next()
        beta = slab.next(); nextBeta = slab.next()
        alpha = slab.next(); nextAlpha = slab.next()
        metaM = slab.next(); nextMetaM = slab.next()
        metaV = slab.next(); nextMetaV = slab.next()
        z = slab.next()
        segments = .allocate(capacity: layout.segments.count)
        _ = segments.initialize(from: layout.segments)

        let beta0 = log(Float(config.alpha0))
        let alpha0 = stepSizeFromLog(beta0)
        beta.update(repeating: beta0, count: g)
        alpha.update(repeating: alpha0, count: g)
    }

    deinit {
        storage.deallocate()
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
    ///     only; required there). For softmax cross-entropy with a linear model, logits = W·x + b with
    ///     probabilities p: H[W_kj] = p_k(1 − p_k)·x_j², H[b_k] = p_k(1 − p_k) (see
    ///     ``MetaOptimizer/softmaxLinearDiagonalHessian(probabilities:input:into:)``); for squared error ½(y − wᵀx)²
    ///     it is x_j².
    /// - Returns: true when the step completed. False when the run is diverged: either it already was, or the loss,
    ///   a gradient or a Hessian element is non-finite (then nothing was updated), or this step produced a
    ///   non-finite meta-gradient or step size (then the base update of this step was applied, β and meta state
    ///   keep their last finite values; see ``DivergenceReason``).
    /// - Precondition: buffer lengths equal ``parameterCount``; `diagonalHessian` is given for meta `idbd`.
    @discardableResult
    public func step(weights: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, loss: Float,
                     diagonalHessian: UnsafeBufferPointer<Float>? = nil) -> Bool {
        guard divergedAtStep == nil else { return false }
        precondition(weights.count == parameterCount, "weights: expected \(parameterCount) values, found \(weights.count)")
        precondition(gradients.count == parameterCount,
                     "gradients: expected \(parameterCount) values, found \(gradients.count)")
        var hessian: UnsafePointer<Float>? = nil
        if configuration.meta == .idbd {
            guard let h = diagonalHessian?.baseAddress, diagonalHessian?.count == parameterCount else {
                preconditionFailure("meta idbd: expected a diagonal Hessian of \(parameterCount) values")
            }
            hessian = h
        }
        return run(weights: weights.baseAddress!, gradients: gradients.baseAddress!,
                   outerProducts: UnsafeBufferPointer(start: nil, count: 0), loss: loss, hessian: hessian)
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
        precondition(weights.count == parameterCount, "weights: expected \(parameterCount) values, found \(weights.count)")
        precondition(gradients.count == parameterCount,
                     "gradients: expected \(parameterCount) values, found \(gradients.count)")
        var previousEnd = 0
        for block in outerProducts {
            precondition(block.rows >= 1 && block.columns >= 1 && block.offset >= previousEnd
                         && block.offset + block.rows * block.columns <= parameterCount,
                         "outerProducts: blocks must be non-empty, sorted, disjoint and inside the parameters")
            previousEnd = block.offset + block.rows * block.columns
        }
        return outerProducts.withUnsafeBufferPointer { blocks in
            let fused = !layout.elementwise && configuration.meta != .idbd
                && outerProductsAlign(blocks, segments: segments)
                && blocks.allSatisfy { outerProductIsFusable($0, flushing: configuration.subnormals == .flush) }
            lastStepFormedOuterProducts = fused
            if !fused {
                for block in blocks { materialize(block, into: gradients.baseAddress!) }
                return step(weights: weights, gradients: UnsafeBufferPointer(gradients), loss: loss)
            }
            return run(weights: weights.baseAddress!, gradients: gradients.baseAddress!, outerProducts: blocks,
                       loss: loss, hessian: nil)
        }
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
        guard loss.isFinite else { return diverge(at: t, .nonFiniteLoss) }
        // Every element outside the blocks must be finite; the blocks' products are (outerProductIsFusable).
        var position = 0
        for block in blocks {
            guard allFinite(g + position, count: block.offset - position) else {
                return diverge(at: t, .nonFiniteGradient)
            }
            position = block.offset + block.rows * block.columns
        }
        guard allFinite(g + position, count: parameterCount - position) else {
            return diverge(at: t, .nonFiniteGradient)
        }
        let buffers = BaseBuffers(w: w, g: g, h: h, m: m, v: v)
        if let hessian {
            guard allFinite(hessian, count: parameterCount) else { return diverge(at: t, .nonFiniteHessian) }
            return idbdStep(buffers, hessian: hessian, factor: basePassPlan.factor, t: t)
        }
        // Base update (fused with z and the trace).
        if blocks.isEmpty {
            runBasePass(advanceBaseKernel(), buffers, basePassPlan)
        } else {
            runFactoredBasePass(advanceBaseKernel(), buffers, basePassPlan, blocks)
        }
        return finishStep(t: t)
    }

    /// After the base pass: counts the step, checks z, runs the meta update.
    private func finishStep(t: Int) -> Bool {
        stepsTaken = t
        if !layout.elementwise {
            for j in 0 ..< groupCount where !z[j].isFinite { return diverge(at: t, .nonFiniteMetaGradient) }
        }
        return metaUpdate(t: t)
    }

    /// The base rule's kernel for the next step; advances the bias-correction powers λ^t, ρ^t.
    private func advanceBaseKernel() -> BaseKernel {
        let c = configuration
        switch (c.base, c.mode) {
        case (.sgd, _):
            return .sgd
        case (.sgdm, .faithful):
            return .sgdmFaithful(SGDmFaithfulDirection(rho: c.momentum!))
        case (.sgdm, .standard):
            return .sgdmStandard(SGDmStandardDirection(rho: c.momentum!))
        case (.rmsprop, .faithful):
            basePower *= c.normalizer!
            return .rmspropFaithful(RMSPropFaithfulDirection(lambda: c.normalizer!,
                                                               mu: (1 - c.normalizer!) / (1 - basePower)))
        case (.rmsprop, .standard):
            basePower *= c.normalizer!
            return .rmspropStandard(RMSPropStandardDirection(lambda: c.normalizer!))
        case (.adamw, .faithful):
            basePower *= c.normalizer!
            baseMomentumPower *= c.momentum!
            return .adamwFaithful(AdamWFaithfulDirection(rho: c.momentum!, lambda: c.normalizer!,
                                                           mu: (1 - c.normalizer!) / (1 - basePower)))
        case (.adamw, .standard):
            basePower *= c.normalizer!
            baseMomentumPower *= c.momentum!
            return .adamwStandard(AdamWStandardDirection(rho: c.momentum!, lambda: c.normalizer!,
                                                           rhoPower: baseMomentumPower, lambdaPower: basePower))
        case (.lion, _):
            return .lion(LionDirection(interpolation: c.lionInterpolation!, rho: c.momentum!))
        }
    }

    private var basePassPlan: BasePassPlan {
        BasePassPlan(elementwise: layout.elementwise, segments: segments, alpha: alpha, z: z,
                     parameterCount: parameterCount,
                     factor: Float(configuration.schedule.factor(step: stepsTaken, totalSteps: totalSteps)),
                     gamma: gammaF, kappa: kappaF)
    }

    /// Runs the meta rule into the next buffers and commits them when every new value is finite.
    private func metaUpdate(t: Int) -> Bool {
        let c = configuration
        let common = MetaCommon(eta: c.metaStepSize, metaWeightDecay: c.metaWeightDecay)
        var power = metaPower, momentumPower = metaMomentumPower
        switch c.meta {
        case .rmsprop:
            power *= c.metaNormalizer!
        case .adam, .mnm:
            power *= c.metaNormalizer!
            momentumPower *= c.metaMomentum!
        case .fixed, .sgd, .hypergradient, .idbd, .lion:
            break
        }
        let mu = c.metaNormalizer.map { (1 - $0) / (1 - power) } ?? 1
        let b = MetaBuffers(z: z, beta: beta, m: metaM, v: metaV, nextBeta: nextBeta, nextM: nextMetaM,
                            nextV: nextMetaV, nextAlpha: nextAlpha, count: groupCount)
        let kernel: MetaKernel
        switch (c.meta, c.mode) {
        case (.fixed, _):
            return true
        case (.sgd, _), (.hypergradient, _), (.idbd, _):
            kernel = .sgd(SGDMeta(common: common))
        case (.rmsprop, .faithful):
            kernel = .rmspropFaithful(RMSPropFaithfulMeta(common: common, lambda: c.metaNormalizer!, mu: mu))
        case (.rmsprop, .standard):
            kernel = .rmspropStandard(RMSPropStandardMeta(common: common, lambda: c.metaNormalizer!))
        case (.adam, .faithful):
            kernel = .adamFaithful(AdamFaithfulMeta(common: common, rho: c.metaMomentum!, lambda: c.metaNormalizer!,
                                                    mu: mu))
        case (.adam, .standard):
            kernel = .adamStandard(AdamStandardMeta(common: common, rho: c.metaMomentum!, lambda: c.metaNormalizer!,
                                                    rhoPower: momentumPower, lambdaPower: power))
        case (.mnm, _):
            kernel = .mnm(MNMMeta(common: common, rho: c.metaMomentum!, lambda: c.metaNormalizer!, mu: mu))
        case (.lion, _):
            kernel = .lion(LionMeta(common: common, interpolation: c.metaLionInterpolation!, rho: c.metaMomentum!))
        }
        let ok = runMetaPass(kernel, b)
        guard ok else { return diverge(at: t, .nonFiniteStepSize) }
        swap(&beta, &nextBeta)
        swap(&alpha, &nextAlpha)
        swap(&metaM, &nextMetaM)
        swap(&metaV, &nextMetaV)
        metaPower = power
        metaMomentumPower = momentumPower
        return true
    }

    /// IDBD order: z = h·g, β ← β − η·z (meta SGD), then the base SGD update with the new α and the
    /// Hessian-decayed trace h ← γ·max(0, 1 − α·(κ + H_ii))·h − δ (γ = 1 after resolution).
    private func idbdStep(_ b: BaseBuffers, hessian: UnsafePointer<Float>, factor: Float, t: Int) -> Bool {
        elementwiseProducts(h: h, g: b.g, z: z, count: parameterCount)
        let common = MetaCommon(eta: configuration.metaStepSize, metaWeightDecay: configuration.metaWeightDecay)
        let mb = MetaBuffers(z: z, beta: beta, m: metaM, v: metaV, nextBeta: nextBeta, nextM: nextMetaM,
                             nextV: nextMetaV, nextAlpha: nextAlpha, count: groupCount)
        guard runMetaPass(.sgd(SGDMeta(common: common)), mb) else { return diverge(at: t, .nonFiniteStepSize) }
        swap(&beta, &nextBeta)
        swap(&alpha, &nextAlpha)
        idbdBasePass(b, hessian: hessian, alpha: alpha, count: parameterCount, factor: factor, gamma: gammaF,
                     kappa: kappaF)
        stepsTaken = t
        return true
    }

    private func diverge(at step: Int, _ reason: DivergenceReason) -> Bool {
        divergedAtStep = step
        divergenceReason = reason
        return false
    }

    // MARK: - Reporting

    /// True once the run has diverged.
    public var isDiverged: Bool { divergedAtStep != nil }

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
        case .scalar, .blocks, .lastLayerAndOthers, .layerwise:
            return blocks[group].name
        case .nodewise, .weightwise:
            let k = blocks.lastIndex { $0.groups.lowerBound <= group }!
            return "\(blocks[k].name)[\(group - blocks[k].groups.lowerBound)]"
        }
    }
}

/// One zero-initialised allocation for all of the optimizer's Float buffers. Each buffer starts on a 64-byte
/// boundary at a different offset modulo 4 KiB (so that the streams of the fused pass do not alias in the L1 cache
/// and store buffer), and on Linux the slab is 2 MiB-aligned and advised to use transparent huge pages (fewer TLB
/// misses when the state is several MB).
struct FloatSlab {
    let base: UnsafeMutableRawPointer
    private var offsets: [Int]
    private var index = 0

    init(counts: [Int]) {
        var offsets: [Int] = []
        var end = 0
        for (k, count) in counts.enumerated() {
            let bytes = max(count, 8) * MemoryLayout<Float>.stride
            // Next 4 KiB boundary, then a per-buffer stagger of k·(9 cache lines) modulo 4 KiB.
            let start = (end + 4095) / 4096 * 4096 + (k * 576) % 4096
            offsets.append(start)
            end = start + bytes
        }
        let hugePage = 2 << 20
        let total = (end + hugePage - 1) / hugePage * hugePage
        base = UnsafeMutableRawPointer.allocate(byteCount: total, alignment: hugePage)
        #if os(Linux)
        _ = madvise(base, total, 14)  // MADV_HUGEPAGE
        #endif
        base.initializeMemory(as: UInt8.self, repeating: 0, count: total)
        self.offsets = offsets
    }

    mutating func next() -> UnsafeMutablePointer<Float> {
        defer { index += 1 }
        return (base + offsets[index]).assumingMemoryBound(to: Float.self)
    }
}

extension MetaOptimizer {
    /// The diagonal Hessian of softmax cross-entropy for a linear model logits = W·x + b (W: [classes, inputs]
    /// row-major, followed by b: [classes], the canonical order of `fc.weight`, `fc.bias`), as needed by meta
    /// `idbd`: H[W_kj] = p_k(1 − p_k)·x_j², H[b_k] = p_k(1 − p_k), with p = softmax(logits) of the current sample.
    /// (Exact diagonal for batch size 1; for a mini-batch pass the mean over the batch.)
    public static func softmaxLinearDiagonalHessian(probabilities: UnsafeBufferPointer<Float>,
                                                    input: UnsafeBufferPointer<Float>,
                                                    into hessian: UnsafeMutableBufferPointer<Float>) {
        let k = probabilities.count, n = input.count
        precondition(hessian.count == k * n + k, "hessian: expected \(k * n + k) values, found \(hessian.count)")
        for c in 0 ..< k {
            let p = probabilities[c]
            let curvature = p * (1 - p)
            for j in 0 ..< n { hessian[c * n + j] = curvature * (input[j] * input[j]) }
            hessian[k * n + c] = curvature
        }
    }
}

/// The logging convention of the official runs (spec §3.6): α and β are logged after steps 1, 101, 201, … at
/// x = completed steps − 1 (0, 100, 200, …).
public enum OfficialLogging {
    /// The x value to log at after `completedSteps` steps, or nil when the official code would not log there.
    public static func logPoint(completedSteps: Int) -> Int? {
        guard completedSteps >= 1, (completedSteps - 1) % 100 == 0 else { return nil }
        return completedSteps - 1
    }
}


/// Flushes subnormal float32 values to zero (x86 FTZ + DAZ) for the duration of one optimizer step, then restores
/// the thread's floating-point environment (``SubnormalHandling/flush``).
enum SubnormalFlush {
    #if arch(x86_64) && canImport(Glibc)
    @inline(__always)
    static func begin() -> fenv_t {
        var saved = fenv_t()
        fegetenv(&saved)
        var flushing = saved
        flushing.__mxcsr |= 0x8040   // FTZ (bit 15) | DAZ (bit 6)
        fesetenv(&flushing)
        return saved
    }

    @inline(__always)
    static func end(_ saved: fenv_t) {
        var environment = saved
        fesetenv(&environment)
    }
    #else
    @inline(__always) static func begin() -> Int { 0 }
    @inline(__always) static func end(_: Int) {}
    #endif
}
