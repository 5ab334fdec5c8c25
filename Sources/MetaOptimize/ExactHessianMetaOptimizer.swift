import Foundation
import RuleKernels
import SIMDSupport

/// Whether MetaOptimize keeps the Hessian terms of its trace recursion (spec metaoptimize-hessian.md).
public enum HessianMode: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// The paper's and official code's Hessian-free trace (``MetaOptimizer``). Default.
    case free
    /// Every Hessian term kept (``ExactHessianMetaOptimizer``), via one Hessian-vector product per step size.
    case exact

    public init(parsing text: String) throws {
        guard let mode = HessianMode(rawValue: text.lowercased()) else {
            throw OptimizerError.unknownName(field: "hessian", found: text, expected: HessianMode.allCases.map(\.rawValue))
        }
        self = mode
    }

    public var description: String { rawValue }
}

/// The approximation of the meta-state block Y of the exact trace (spec metaoptimize-hessian.md §2).
public enum HessianApproximation: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// The 2×2 approximation (paper Algorithm 2): Y carries dβ/dβ through the meta rule, including the curvature
    /// C = X_wᵀ∇²f X_w. Default.
    case twoByTwo = "2x2"
    /// The L-approximation: Y ≡ I.
    case l = "l"

    public init(parsing text: String) throws {
        guard let value = HessianApproximation(rawValue: text.lowercased()) else {
            throw OptimizerError.unknownName(field: "approximation", found: text,
                                             expected: HessianApproximation.allCases.map(\.rawValue))
        }
        self = value
    }

    public var description: String { rawValue }
}

/// Writes H·v into `result` for the current weights and the loss of the current step's batch (the one whose
/// gradient is passed to ``ExactHessianMetaOptimizer/step(weights:gradients:loss:)``). Both buffers have the
/// parameters' flat layout; `vector` and `result` never overlap.
public typealias HessianVectorProductOracle = (_ vector: UnsafePointer<Float>, _ result: UnsafeMutablePointer<Float>) -> Void

/// MetaOptimize with exact Hessian-vector products (spec metaoptimize-hessian.md; the paper's eq. 14 with the 2×2
/// or L-approximation, Algorithm 2, which the paper never ran): for every step-size group j it carries the full
/// tangent X_w^(j) = H_t[:, j] of the weights (and X_m, X_v of the base moments) with all Hessian terms, and feeds
/// z_t[j] = ⟨X_w^(j), ∇f_t(w_t)⟩ (over all weights) to the unchanged meta rule.
///
/// Same base and meta updates as ``MetaOptimizer`` in faithful mode (the base rules' own lanes, the meta rules'
/// own passes); with every Hessian-vector product zero and the L-approximation it is bit-identical to it. Bases:
/// SGD, SGDm, RMSProp, AdamW, Adagrad, Lion (whose Hessian-free trace is already exact); metas: fixed, SGD, RMSProp, Adam, Lion (MNM with L only). Granularities: scalar, blocks,
/// last-layer-and-others, layerwise (k groups ⇒ k products per step); nodewise and weightwise are refused.
///
/// Every buffer is allocated in `init`; a step allocates nothing (the oracle must not either). Not thread-safe.
public final class ExactHessianMetaOptimizer: Optimizer {
    public let configuration: OptimizerConfiguration
    public let approximation: HessianApproximation
    public let tensors: [TensorDescriptor]
    public let totalSteps: Int
    /// Number of weights, of step-size groups, and the reporting blocks (one group per block): the layout's.
    public var parameterCount: Int { layout.parameterCount }
    public var groupCount: Int { layout.groupCount }
    public var blocks: [StepSizeBlock] { layout.blocks }
    /// Completed optimizer steps.
    public private(set) var stepsTaken: Int = 0
    /// 1-based number of the step at which the run diverged, or nil.
    public private(set) var divergedAtStep: Int?
    public private(set) var divergenceReason: DivergenceReason?
    /// Hessian-vector products evaluated so far (k per step, 0 where none is needed).
    public private(set) var productsEvaluated: Int = 0
    /// Whether the last step formed the outer products (gradient and Hessian-vector products) inside its pass.
    public private(set) var lastStepFormedOuterProducts = false
    /// The trace columns: ``MetaOptimizer``'s (β per group, then z per group).
    public let stepSizeReport: StepSizeReport

    private let layout: StepSizeLayout
    private let oracle: HessianVectorProductOracle
    private let segments: UnsafeMutableBufferPointer<Segment>
    private let accumulators: UnsafeMutablePointer<V8>
    private let slab: StaggeredSlab
    /// The base rule's state slots (positional, as its lanes declare them) and the tangents of its first and second
    /// moments (X_m, X_v), k columns of n.
    private let s0, s1, xw, xm, xv, hv: UnsafeMutablePointer<Float>
    private var beta, nextBeta, alpha, nextAlpha, metaS0, nextMetaS0, metaS1, nextMetaS1: UnsafeMutablePointer<Float>
    /// β as it was at the start of the last step (the trace's values).
    private var betaAtStepStart: UnsafeMutablePointer<Float>
    private let z: UnsafeMutablePointer<Float>
    /// k×k, row-major: Y (β-row), Ȳ_m, Ȳ_v, C, M, and the next Y.
    private var y: UnsafeMutablePointer<Float>, nextY: UnsafeMutablePointer<Float>
    private let yM, yV, curvature, multiplier: UnsafeMutablePointer<Float>
    private var basePowers = BiasCorrectionPowers()
    private var metaPowers = BiasCorrectionPowers()
    private let gammaF, kappaF: Float
    private let metaCommon: MetaCommon
    private let baseState: StateLayout
    private let metaState: StateLayout
    /// Slot of the meta second moment v̄ in the meta state (for Y; m̄, when the rule has one, is slot 0), or nil.
    private let metaSecondSlot: Int?
    private let usesXm, usesXv, needsProducts: Bool
    /// The factored products (``useFactoredProducts(_:)``), or nil.
    private var factoredTable: FactoredTable?

    /// Creates the optimizer. Throws ``OptimizerError`` (one line) for an invalid or unsupported configuration.
    /// - Parameters:
    ///   - oracle: Hessian-vector products of the current step's loss (called inside ``step(weights:gradients:loss:)``
    ///     before the weights change, k times per step).
    public init(tensors: [TensorDescriptor], configuration: OptimizerConfiguration,
                approximation: HessianApproximation = .twoByTwo, totalSteps: Int,
                modelName: String = "the model", oracle: @escaping HessianVectorProductOracle) throws {
        try configuration.validate(tensors: tensors, hasDiagonalHessian: false)
        let c = configuration.resolved()
        try Self.checkSupported(c, approximation: approximation, tensors: tensors, modelName: modelName)
        guard totalSteps >= 0 else {
            throw OptimizerError.invalidValue(field: "totalSteps", expected: "a number of steps >= 0", found: "\(totalSteps)")
        }
        if c.schedule.needsTotalSteps, totalSteps < 1 {
            throw OptimizerError.invalidValue(field: "totalSteps",
                                              expected: "at least 1 planned step for schedule \(c.schedule)",
                                              found: "\(totalSteps)")
        }
        let layout = try StepSizeLayout(tensors: tensors, granularity: c.granularity)
        self.configuration = c
        self.approximation = approximation
        self.tensors = tensors
        self.totalSteps = totalSteps
        self.layout = layout
        self.oracle = oracle
        gammaF = Float(c.gamma)
        kappaF = Float(c.weightDecay)
        metaCommon = MetaCommon(eta: c.metaStepSize, metaWeightDecay: c.metaWeightDecay)
        baseState = c.base.definition.state(.faithful)
        metaState = c.meta.definition.state(.faithful)
        metaSecondSlot = metaState.names.firstIndex(of: "metaSecondMoment")
        usesXm = [.sgdm, .adamw].contains(c.base)
        usesXv = [.rmsprop, .adamw, .adagrad].contains(c.base)
        let curvatureMeta = [.sgd, .rmsprop, .adam].contains(c.meta)
        needsProducts = c.base != .lion || (approximation == .twoByTwo && curvatureMeta)
        let n = layout.parameterCount, k = layout.groupCount
        let counts = [baseState.hasFirst ? n : 0, baseState.hasSecond ? n : 0, k * n, usesXm ? k * n : 0,
                      usesXv ? k * n : 0, needsProducts ? k * n : 0] + Array(repeating: k, count: 9)
            + Array(repeating: k * k, count: 6)
        slab = StaggeredSlab(counts: counts, pageOffsets: counts.indices.map(PageStagger.optimizerState))
        let b = slab.buffers
        s0 = b[0]; s1 = b[1]
        xw = b[2]; xm = b[3]; xv = b[4]; hv = b[5]
        beta = b[6]; nextBeta = b[7]; alpha = b[8]; nextAlpha = b[9]
        metaS0 = b[10]; nextMetaS0 = b[11]; metaS1 = b[12]; nextMetaS1 = b[13]
        z = b[14]
        y = b[15]; nextY = b[16]; yM = b[17]; yV = b[18]
        curvature = b[19]; multiplier = b[20]
        betaAtStepStart = beta
        stepSizeReport = MetaOptimizer.report(granularity: c.granularity, groupCount: k, blocks: layout.blocks)
        accumulators = .allocate(capacity: k + k * k)
        accumulators.initialize(repeating: V8(), count: k + k * k)
        segments = .allocate(capacity: layout.segments.count)
        _ = segments.initialize(from: layout.segments)
        let beta0 = log(Float(c.alpha0))
        beta.update(repeating: beta0, count: k)
        alpha.update(repeating: stepSizeFromLog(beta0), count: k)
        for j in 0 ..< k { y[j * k + j] = 1 }
    }

    deinit {
        factoredTable?.deallocate()
        slab.deallocate()
        segments.deallocate()
        accumulators.deallocate()
    }

    /// The one-line refusals of spec §3 and of the combinations the spec does not define.
    static func checkSupported(_ c: OptimizerConfiguration, approximation: HessianApproximation,
                               tensors: [TensorDescriptor], modelName: String) throws {
        switch c.granularity {
        case .nodewise, .weightwise:
            let layout = try StepSizeLayout(tensors: tensors, granularity: c.granularity)
            throw OptimizerError.incompatible(
                field: "granularity",
                expected: "'scalar', 'blocks:…', 'last-layer-and-others' or 'layerwise' with hessian: exact (it needs one Hessian-vector product and one full-size tangent per step size per step) — or hessian: free",
                found: "'\(c.granularity)' with \(layout.groupCount) step sizes (\(modelName))")
        default: break
        }
        guard c.mode == .faithful else {
            throw OptimizerError.incompatible(field: "mode", expected: "faithful with hessian: exact (standard mode has no exact trace)",
                                              found: c.mode.rawValue)
        }
        if c.meta == .mnm, approximation != .l {
            throw OptimizerError.incompatible(field: "approximation", expected: "l for meta mnm with hessian: exact",
                                              found: approximation.rawValue)
        }
        guard [.fixed, .sgd, .rmsprop, .adam, .lion, .mnm].contains(c.meta) else {
            throw OptimizerError.incompatible(
                field: "meta", expected: "fixed, sgd, rmsprop, adam, lion or mnm with hessian: exact (hypergradient = meta sgd with gamma 0)",
                found: c.meta.rawValue)
        }
        guard [.sgd, .sgdm, .rmsprop, .adamw, .adagrad, .lion].contains(c.base) else {
            throw OptimizerError.incompatible(field: "base", expected: "sgd, sgdm, rmsprop, adamw, adagrad or lion with hessian: exact",
                                              found: c.base.rawValue)
        }
    }

    // MARK: - Step

    /// One step in the order of spec §1.2: α_t = exp(β_t); z_t[j] = ⟨X_w^(j), g⟩; Hv^(j) = ∇²f·X_w^(j) (oracle);
    /// 2×2: C = X_wᵀ∇²f X_w, M = γY + (1−γ)I (L: M = I); base update with every tangent; meta update with z_t;
    /// 2×2: Y update.
    /// - Returns: true when the step completed; false when the run is (now) diverged (non-finite loss or gradient:
    ///   nothing updated; non-finite z: base update applied, β unchanged; non-finite β, α or Y: base update applied).
    @discardableResult
    public func step(weights: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, loss: Float) -> Bool {
        guard divergedAtStep == nil else { return false }
        checkLengths(weights.count, gradients.count)
        lastStepFormedOuterProducts = false
        return run(weights: weights.baseAddress!, gradients: gradients.baseAddress!, factors: nil, loss: loss)
    }

    /// The same step with the gradient partly given as outer products (batch 1): bit for bit
    /// ``step(weights:gradients:loss:)`` on the gradient whose `outerProducts` regions hold
    /// rowFactors[r]·columnFactors[c]. With ``useFactoredProducts(_:)`` set, blocks that match its tangent blocks and
    /// align with the step-size segments, and fusable factors (as ``MetaOptimizer``'s factored step decides), both
    /// the gradient and every Hessian-vector product of those blocks are formed inside the pass (neither is
    /// written to or read from memory); otherwise the blocks are materialised and the dense step runs.
    @discardableResult
    public func step(weights: UnsafeMutableBufferPointer<Float>, gradients: UnsafeMutableBufferPointer<Float>,
                     outerProducts: [OuterProductGradient], loss: Float) -> Bool {
        guard divergedAtStep == nil else { return false }
        checkLengths(weights.count, gradients.count)
        return stepOnOuterProducts(
            outerProducts, gradients: gradients, parameterCount: parameterCount,
            formsInPass: { blocks in factoredTable.map { factorsFit(blocks, table: $0) } ?? false },
            inPass: { blocks in
                let table = factoredTable!
                lastStepFormedOuterProducts = true
                return run(weights: weights.baseAddress!, gradients: gradients.baseAddress!,
                           factors: ExactFactors(blocks: blocks, tangents: table.tangents, rows: table.rows), loss: loss)
            },
            dense: {
                lastStepFormedOuterProducts = false
                return run(weights: weights.baseAddress!, gradients: gradients.baseAddress!, factors: nil, loss: loss)
            })
    }

    /// Makes ``step(weights:gradients:outerProducts:loss:)`` form the Hessian-vector products of the outer-product
    /// blocks in its pass, from `products` (at least ``groupCount`` columns, each with one tangent block per
    /// gradient block). Allocates its tables here, once.
    public func useFactoredProducts(_ products: FactoredHessianVectorProducts) {
        precondition(products.blocks.count >= groupCount,
                     "factored products: \(products.blocks.count) columns for \(groupCount) step sizes")
        let count = products.blocks[0].count
        precondition(products.blocks.allSatisfy { $0.count == count }, "factored products: columns differ in blocks")
        factoredTable?.deallocate()
        factoredTable = FactoredTable(products, columns: groupCount)
    }

    /// Whether the gradient's blocks can be formed in the pass with the factored products.
    private func factorsFit(_ blocks: UnsafeBufferPointer<OuterProductGradient>, table: FactoredTable) -> Bool {
        guard blocks.count == table.blockCount, outerProductsAlign(blocks, segments: segments) else {
            return false
        }
        let flushing = configuration.subnormals == .flush
        for (index, block) in blocks.enumerated() {
            guard outerProductIsFusable(block, flushing: flushing) else { return false }
            for j in 0 ..< groupCount where !table.tangents[j * table.blockCount + index].matches(block) {
                return false
            }
        }
        return true
    }

    /// The step shared by both entry points: `g` holds every gradient element outside `factors`' blocks (all of
    /// them without factors), whose products the pass forms (callers checked alignment and fusability).
    private func run(weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, factors: ExactFactors?,
                     loss: Float) -> Bool {
        let environment = configuration.subnormals == .flush ? SubnormalFlush.begin() : nil
        defer { if let environment { SubnormalFlush.end(environment) } }
        let t = stepsTaken + 1
        betaAtStepStart = beta
        if let reason = stepInputProblem(loss: loss, gradients: g, count: parameterCount,
                                         outside: factors?.blocks ?? UnsafeBufferPointer(start: nil, count: 0)) {
            return diverge(at: t, reason)
        }
        let n = parameterCount, k = groupCount
        if needsProducts {
            if factors != nil, let table = factoredTable {
                for j in 0 ..< k { table.product(UnsafePointer(xw + j * n), j, hv + j * n) }
            } else {
                for j in 0 ..< k { oracle(UnsafePointer(xw + j * n), hv + j * n) }
            }
            productsEvaluated += k
        }
        let gamma = gammaF
        if approximation == .twoByTwo {
            for r in 0 ..< k {
                for col in 0 ..< k { multiplier[r * k + col] = gamma * y[r * k + col] + (r == col ? 1 - gamma : 0) }
            }
        } else {
            for r in 0 ..< k { for col in 0 ..< k { multiplier[r * k + col] = r == col ? 1 : 0 } }
        }
        let buffers = ExactBuffers(w: w, g: g, s0: s0, s1: s1, xw: xw, xm: xm, xv: xv, hv: hv,
                                   multiplier: multiplier, n: n, k: k, accumulators: accumulators,
                                   curvature: approximation == .twoByTwo && needsProducts)
        let factor = Float(configuration.schedule.factor(step: stepsTaken, totalSteps: totalSteps))
        // z and C (from the old tangents) are accumulated inside the pass.
        runExactBasePass(advanceBaseKernel(), ExactPass(
            buffers: buffers, segments: segments, alpha: alpha, factor: factor, gamma: gamma, kappa: kappaF, z: z,
            c: curvature, factors: factors))
        stepsTaken = t
        for j in 0 ..< k where !z[j].isFinite { return diverge(at: t, .nonFiniteMetaGradient) }
        return metaUpdate(t: t)
    }

    /// This step's tangent lanes, advancing the bias-correction powers as the base rule's own pass does.
    private func advanceBaseKernel() -> ExactBaseKernel {
        let c = configuration
        let gamma = V8(repeating: gammaF)
        switch c.base {
        case .sgd: return .sgd(SGDTangent(gamma: gamma))
        case .sgdm: return .sgdm(SGDmTangent(direction: SGDmRule.Faithful(rho: c.momentum!), gamma: gamma))
        case .rmsprop:
            let lambda = c.normalizer!
            basePowers.normalizer *= lambda
            return .rmsprop(RMSPropTangent(
                direction: RMSPropRule.Faithful(lambda: lambda, mu: (1 - lambda) / (1 - basePowers.normalizer)),
                gamma: gamma))
        case .adamw:
            let rho = c.momentum!, lambda = c.normalizer!
            basePowers.normalizer *= lambda
            basePowers.momentum *= rho
            return .adamw(AdamWTangent(
                direction: AdamWRule.Faithful(rho: rho, lambda: lambda, mu: (1 - lambda) / (1 - basePowers.normalizer)),
                gamma: gamma))
        case .adagrad: return .adagrad(AdagradTangent(gamma: gamma))
        default:
            precondition(c.base == .lion, "base \(c.base) has no exact trace (refused at init)")
            return .lion(LionTangent(direction: LionRule.Lanes(interpolation: c.lionInterpolation!, rho: c.momentum!)))
        }
    }

    /// The faithful meta update of β (the meta rule's own pass, as ``MetaOptimizer`` runs it), then the 2×2 update
    /// of Y.
    private func metaUpdate(t: Int) -> Bool {
        let c = configuration
        guard c.meta.learnsStepSize else { return true }
        var powers = metaPowers
        let b = MetaBuffers(z: z, beta: beta, s0: metaS0, s1: metaS1, nextBeta: nextBeta, nextS0: nextMetaS0,
                            nextS1: nextMetaS1, nextAlpha: nextAlpha, count: groupCount)
        guard c.meta.definition.pass(.faithful, c, metaCommon, &powers, b) else {
            return diverge(at: t, .nonFiniteStepSize)
        }
        // μ̄ = (1 − λ̄)/(1 − λ̄^t) of this step (the rules that normalise advanced λ̄^t).
        let mu = c.metaNormalizer.map { (1 - $0) / (1 - powers.normalizer) } ?? 1
        if approximation == .twoByTwo, !updateY(mu: Float(mu)) { return diverge(at: t, .nonFiniteStepSize) }
        swap(&beta, &nextBeta)
        swap(&alpha, &nextAlpha)
        swap(&metaS0, &nextMetaS0)
        swap(&metaS1, &nextMetaS1)
        if approximation == .twoByTwo { swap(&y, &nextY) }
        metaPowers = powers
        return true
    }

    /// Spec §2.2 and §2.4: the new Y into `nextY`, Ȳ_m and Ȳ_v in place; false when a new value is not finite.
    private func updateY(mu: Float) -> Bool {
        let c = configuration
        let k = groupCount
        let gamma = gammaF, eta = Float(c.metaStepSize)
        let shrink = Float(1 - c.metaStepSize * c.metaWeightDecay)
        let epsilon: Float = 1e-10
        var finite = true
        let nextV = metaSecondSlot == 0 ? nextMetaS0 : nextMetaS1
        let nextM = nextMetaS0
        for r in 0 ..< k {
            let zr = z[r]
            let vBar = metaSecondSlot == nil ? 0 : nextV[r]
            let q = mu * vBar + epsilon
            let s = q.squareRoot()
            for col in 0 ..< k {
                let index = r * k + col
                let mm = multiplier[index], cc = curvature[index]
                var value: Float
                switch c.meta {
                case .sgd, .hypergradient, .idbd:
                    value = shrink * mm - gamma * eta * cc
                case .adam:
                    let newYm = gamma * (Float(c.metaMomentum!) * yM[index] + cc)
                    let newYv = gamma * (Float(c.metaNormalizer!) * yV[index] + 2 * zr * cc)
                    let d = nextM[r] / s
                    value = shrink * mm - eta * (newYm / s - d * (mu * newYv) / (2 * q))
                    finite = finite && newYm.isFinite && newYv.isFinite
                    yM[index] = newYm
                    yV[index] = newYv
                case .rmsprop:
                    let newYv = gamma * (Float(c.metaNormalizer!) * yV[index] + 2 * zr * cc)
                    let d = zr / s
                    value = shrink * mm - eta * ((gamma * cc) / s - d * (mu * newYv) / (2 * q))
                    finite = finite && newYv.isFinite
                    yV[index] = newYv
                case .lion, .mnm:
                    value = shrink * mm
                default:
                    value = mm
                }
                finite = finite && value.isFinite
                nextY[index] = value
            }
        }
        return finite
    }

    private func diverge(at step: Int, _ reason: DivergenceReason) -> Bool {
        divergedAtStep = step
        divergenceReason = reason
        return false
    }

    // MARK: - Reporting (the same surface as MetaOptimizer)

    /// Copies β (one per group) into `buffer` (count ``groupCount``). No allocation.
    public func logStepSizes(into buffer: UnsafeMutableBufferPointer<Float>) {
        precondition(buffer.count == groupCount, "logStepSizes: expected \(groupCount) values, found \(buffer.count)")
        buffer.baseAddress!.update(from: beta, count: groupCount)
    }

    public var logStepSizes: [Float] { Array(UnsafeBufferPointer(start: beta, count: groupCount)) }

    public func logStepSize(group: Int) -> Float {
        precondition(group >= 0 && group < groupCount, "group \(group) out of 0..<\(groupCount)")
        return beta[group]
    }

    public var nextScheduleFactor: Double { configuration.schedule.factor(step: stepsTaken, totalSteps: totalSteps) }

    /// The Float32 step size the next step uses for group `group`, α = exp(β)·schedule factor, widened to Double.
    public func stepSize(group: Int) -> Double {
        precondition(group >= 0 && group < groupCount, "group \(group) out of 0..<\(groupCount)")
        return Double(alpha[group] * Float(nextScheduleFactor))
    }

    /// z_t of the last completed step, one per group: the value fed to the meta rule (zero before the first step).
    public func metaGradients(into buffer: UnsafeMutableBufferPointer<Float>) {
        precondition(buffer.count == groupCount, "metaGradients: expected \(groupCount) values, found \(buffer.count)")
        buffer.baseAddress!.update(from: z, count: groupCount)
    }

    public var metaGradients: [Float] { Array(UnsafeBufferPointer(start: z, count: groupCount)) }

    /// Row-major k×k Y (the β-row of the meta block; identity for the L-approximation).
    public var metaStateSensitivity: [Float] {
        approximation == .l
            ? (0 ..< groupCount * groupCount).map { $0 % (groupCount + 1) == 0 ? 1 : 0 }
            : Array(UnsafeBufferPointer(start: y, count: groupCount * groupCount))
    }

    /// Column j of the weight tangent X_w^(j) (a copy; the γ-weighted dw/dβ_j).
    public func weightTangent(column j: Int) -> [Float] {
        precondition(j >= 0 && j < groupCount)
        return Array(UnsafeBufferPointer(start: xw + j * parameterCount, count: parameterCount))
    }

    public var blockNames: [String] { blocks.map(\.name) }
    public var blockCount: Int { blocks.count }

    /// The name of step-size group `group` (its block's name: exact mode has only block granularities).
    public func groupName(_ group: Int) -> String {
        precondition(group >= 0 && group < groupCount, "group \(group) out of 0..<\(groupCount)")
        return blocks[group].name
    }

    /// Summary of block `block` (one group per block in exact mode).
    public func stepSizeSummary(block: Int) -> StepSizeSummary {
        let j = blocks[block].groups.lowerBound
        return StepSizeSummary(meanLogStepSize: Double(beta[j]), minLogStepSize: beta[j], maxLogStepSize: beta[j],
                               stepSize: stepSize(group: j))
    }

    /// α = exp(β)·schedule factor per group (what the next step uses).
    public func curveStepSizes(into values: UnsafeMutableBufferPointer<Double>) {
        for j in 0 ..< groupCount { values[j] = stepSize(group: j) }
    }

    /// β at the start of the step just completed, then z_t of that step (``MetaOptimizer``'s trace columns).
    public func traceStepSizes(into values: UnsafeMutableBufferPointer<Double>) {
        for j in 0 ..< groupCount {
            values[j] = Double(betaAtStepStart[j])
            values[groupCount + j] = Double(z[j])
        }
    }

    /// β per group.
    public var finalLogStepSizes: [Double] { (0 ..< groupCount).map { Double(beta[$0]) } }

    /// E.g. "MetaOptimize (exact Hessian, 2x2): adamw base (faithful), adam meta, scalar, α0 = 1e-05, …".
    public var summary: String {
        configuration.metaOptimizeSummary(name: "MetaOptimize (exact Hessian, \(approximation))",
                                          fixedSuffix: " (exact Hessian trace)")
    }

    // MARK: - State

    /// Identifies the resolved configuration, approximation, tensors and planned steps (a state restores only into
    /// the same).
    private var stateMethod: String {
        struct Identity: Encodable {
            var configuration: OptimizerConfiguration
            var approximation: HessianApproximation
            var tensors: [TensorDescriptor]
            var totalSteps: Int
        }
        return OptimizerState.methodIdentity(
            "metaoptimize-exact-hessian",
            Identity(configuration: configuration, approximation: approximation, tensors: tensors, totalSteps: totalSteps))
    }

    /// The state's arrays (name, buffer, length), in checkpoint order: β, the base rule's state under the names its
    /// lanes declare, the meta rule's likewise, z, the tangents X_w, X_m, X_v (k·n, column-major) and the k×k
    /// blocks Y, Ȳ_m, Ȳ_v.
    private var namedBuffers: [StateBuffer] {
        let n = parameterCount, k = groupCount
        var arrays: [StateBuffer] = [("logStepSizes", beta, k)]
        for (name, buffer) in zip(baseState.names, [s0, s1]) { arrays.append((name, buffer, n)) }
        for (name, buffer) in zip(metaState.names, [metaS0, metaS1]) { arrays.append((name, buffer, k)) }
        arrays.append(("metaGradients", z, k))
        arrays.append(("weightTangents", xw, k * n))
        if usesXm { arrays.append(("momentTangents", xm, k * n)) }
        if usesXv { arrays.append(("secondMomentTangents", xv, k * n)) }
        arrays += [("y", y, k * k), ("yMomentum", yM, k * k), ("ySecondMoment", yV, k * k)]
        return arrays
    }

    /// A copy of the complete optimizer state (the weights belong to the caller).
    public func exportState() -> OptimizerState {
        OptimizerState(
            method: stateMethod, stepsTaken: stepsTaken, divergedAtStep: divergedAtStep,
            divergenceReason: divergenceReason,
            buffers: namedBuffers,
            scalars: OptimizerState.powerScalars(base: basePowers, meta: metaPowers)
                .merging(["productsEvaluated": Double(productsEvaluated)]) { $1 })
    }

    /// Replaces the state with `state` (from ``exportState()`` of an optimizer with the same tensors, resolved
    /// configuration, approximation and planned steps). Continuing afterwards is bit-identical. Throws
    /// ``OptimizerError/stateMismatch(field:expected:found:)`` and changes nothing when it does not fit.
    public func restore(_ state: OptimizerState) throws {
        try state.validate(against: exportState())
        try state.checkStepSizesAndPowers()
        let products = state.scalars["productsEvaluated"]!
        guard products.isFinite, products >= 0, products == products.rounded(), products < 0x1p53 else {
            throw OptimizerError.stateMismatch(field: "productsEvaluated", expected: "a whole number >= 0",
                                               found: "\(products)")
        }
        state.copyArrays(into: namedBuffers, base: &basePowers, meta: &metaPowers)
        for j in 0 ..< groupCount { alpha[j] = stepSizeFromLog(beta[j]) }
        stepsTaken = state.stepsTaken
        divergedAtStep = state.divergedAtStep
        divergenceReason = state.divergenceReason
        productsEvaluated = Int(products)
    }
}
