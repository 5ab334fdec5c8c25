import Foundation

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
/// Same base and meta updates as ``MetaOptimizer`` in faithful mode; with every Hessian-vector product zero and
/// the L-approximation it is bit-identical to it. Bases: SGD, SGDm, RMSProp, AdamW, Lion (whose Hessian-free trace
/// is already exact); metas: fixed, SGD, RMSProp, Adam, Lion (MNM with L only). Granularities: scalar, blocks,
/// last-layer-and-others, layerwise (k groups ⇒ k products per step); nodewise and weightwise are refused.
///
/// Every buffer is allocated in `init`; a step allocates nothing (the oracle must not either). Not thread-safe.
public final class ExactHessianMetaOptimizer {
    public let configuration: OptimizerConfiguration
    public let approximation: HessianApproximation
    public let tensors: [TensorDescriptor]
    public let totalSteps: Int
    public let parameterCount: Int
    public let groupCount: Int
    public let blocks: [StepSizeBlock]
    /// Completed optimizer steps.
    public private(set) var stepsTaken: Int = 0
    /// 1-based number of the step at which the run diverged, or nil.
    public private(set) var divergedAtStep: Int?
    public private(set) var divergenceReason: DivergenceReason?
    /// Hessian-vector products evaluated so far (k per step, 0 where none is needed).
    public private(set) var productsEvaluated: Int = 0

    private let layout: StepSizeLayout
    private let oracle: HessianVectorProductOracle
    private let segments: UnsafeMutableBufferPointer<Segment>
    private let accumulators: UnsafeMutablePointer<V8>
    private let storage: UnsafeMutableRawPointer
    private let m, v, xw, xm, xv, hv: UnsafeMutablePointer<Float>
    private var beta, nextBeta, alpha, nextAlpha, metaM, nextMetaM, metaV, nextMetaV: UnsafeMutablePointer<Float>
    private let z: UnsafeMutablePointer<Float>
    /// k×k, row-major: Y (β-row), Ȳ_m, Ȳ_v, C, M, and the next Y.
    private var y: UnsafeMutablePointer<Float>, nextY: UnsafeMutablePointer<Float>
    private let yM, yV, curvature, multiplier: UnsafeMutablePointer<Float>
    private var basePower: Double = 1
    private var metaPower: Double = 1
    private let gammaF, kappaF: Float
    private let usesM, usesV, usesXm, usesXv, needsProducts: Bool

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
        parameterCount = layout.parameterCount
        groupCount = layout.groupCount
        blocks = layout.blocks
        gammaF = Float(c.gamma)
        kappaF = Float(c.weightDecay)
        usesM = [.sgdm, .adamw, .lion].contains(c.base)
        usesV = [.rmsprop, .adamw].contains(c.base)
        usesXm = [.sgdm, .adamw].contains(c.base)
        usesXv = [.rmsprop, .adamw].contains(c.base)
        let curvatureMeta = [.sgd, .rmsprop, .adam].contains(c.meta)
        needsProducts = c.base != .lion || (approximation == .twoByTwo && curvatureMeta)
        let n = parameterCount, k = groupCount
        var slab = FloatSlab(counts: [n, usesM ? n : 0, usesV ? n : 0, k * n, usesXm ? k * n : 0, usesXv ? k * n : 0,
                                      needsProducts ? k * n : 0] + Array(repeating: k, count: 9)
                                      + Array(repeating: k * k, count: 6))
        storage = slab.base
        _ = slab.next()
        m = slab.next(); v = slab.next()
        xw = slab.next(); xm = slab.next(); xv = slab.next(); hv = slab.next()
        beta = slab.next(); nextBeta = slab.next(); alpha = slab.next(); nextAlpha = slab.next()
        metaM = slab.next(); nextMetaM = slab.next(); metaV = slab.next(); nextMetaV = slab.next()
        z = slab.next()
        y = slab.next(); nextY = slab.next(); yM = slab.next(); yV = slab.next()
        curvature = slab.next(); multiplier = slab.next()
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
        storage.deallocate()
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
        switch c.meta {
        case .fixed, .sgd, .rmsprop, .adam, .lion: break
        case .mnm where approximation == .l: break
        case .mnm:
            throw OptimizerError.incompatible(field: "approximation", expected: "l for meta mnm with hessian: exact",
                                              found: approximation.rawValue)
        case .hypergradient, .idbd:
            throw OptimizerError.incompatible(
                field: "meta", expected: "fixed, sgd, rmsprop, adam, lion or mnm with hessian: exact (hypergradient = meta sgd with gamma 0)",
                found: c.meta.rawValue)
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
        precondition(weights.count == parameterCount, "weights: expected \(parameterCount) values, found \(weights.count)")
        precondition(gradients.count == parameterCount, "gradients: expected \(parameterCount) values, found \(gradients.count)")
        let environment = configuration.subnormals == .flush ? SubnormalFlush.begin() : nil
        defer { if let environment { SubnormalFlush.end(environment) } }
        let t = stepsTaken + 1
        let w = weights.baseAddress!, g = gradients.baseAddress!
        guard loss.isFinite else { return diverge(at: t, .nonFiniteLoss) }
        guard allFinite(g, count: parameterCount) else { return diverge(at: t, .nonFiniteGradient) }
        let n = parameterCount, k = groupCount
        if needsProducts {
            for j in 0 ..< k { oracle(UnsafePointer(xw + j * n), hv + j * n) }
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
        let buffers = ExactBuffers(w: w, g: g, m: m, v: v, xw: xw, xm: xm, xv: xv, hv: hv,
                                   multiplier: multiplier, n: n, k: k, accumulators: accumulators,
                                   curvature: approximation == .twoByTwo && needsProducts)
        let factor = Float(configuration.schedule.factor(step: stepsTaken, totalSteps: totalSteps))
        // z and C (from the old tangents) are accumulated inside the pass.
        runExactBasePass(advanceBaseKernel(), buffers, segments: segments, alpha: alpha, factor: factor,
                         gamma: gamma, kappa: kappaF, z: z, c: curvature)
        stepsTaken = t
        for j in 0 ..< k where !z[j].isFinite { return diverge(at: t, .nonFiniteMetaGradient) }
        return metaUpdate(t: t)
    }

    private func advanceBaseKernel() -> ExactBaseKernel {
        let c = configuration
        let gamma = V8(repeating: gammaF)
        switch c.base {
        case .sgd: return .sgd(SGDTangent(gamma: gamma))
        case .sgdm: return .sgdm(SGDmTangent(direction: SGDmFaithfulDirection(rho: c.momentum!), gamma: gamma))
        case .rmsprop:
            basePower *= c.normalizer!
            return .rmsprop(RMSPropTangent(
                direction: RMSPropFaithfulDirection(lambda: c.normalizer!, mu: (1 - c.normalizer!) / (1 - basePower)),
                gamma: gamma))
        case .adamw:
            basePower *= c.normalizer!
            return .adamw(AdamWTangent(
                direction: AdamWFaithfulDirection(rho: c.momentum!, lambda: c.normalizer!,
                                                  mu: (1 - c.normalizer!) / (1 - basePower)),
                gamma: gamma))
        case .lion:
            return .lion(LionTangent(direction: LionDirection(interpolation: c.lionInterpolation!, rho: c.momentum!)))
        }
    }

    /// The faithful meta update of β (the Hessian-free optimizer's kernels), then the 2×2 update of Y.
    private func metaUpdate(t: Int) -> Bool {
        let c = configuration
        let common = MetaCommon(eta: c.metaStepSize, metaWeightDecay: c.metaWeightDecay)
        var power = metaPower
        if c.meta == .rmsprop || c.meta == .adam || c.meta == .mnm { power *= c.metaNormalizer! }
        let mu = c.metaNormalizer.map { (1 - $0) / (1 - power) } ?? 1
        let kernel: MetaKernel
        switch c.meta {
        case .fixed: return true
        case .sgd, .hypergradient, .idbd: kernel = .sgd(SGDMeta(common: common))
        case .rmsprop: kernel = .rmspropFaithful(RMSPropFaithfulMeta(common: common, lambda: c.metaNormalizer!, mu: mu))
        case .adam:
            kernel = .adamFaithful(AdamFaithfulMeta(common: common, rho: c.metaMomentum!, lambda: c.metaNormalizer!, mu: mu))
        case .mnm: kernel = .mnm(MNMMeta(common: common, rho: c.metaMomentum!, lambda: c.metaNormalizer!, mu: mu))
        case .lion:
            kernel = .lion(LionMeta(common: common, interpolation: c.metaLionInterpolation!, rho: c.metaMomentum!))
        }
        let b = MetaBuffers(z: z, beta: beta, m: metaM, v: metaV, nextBeta: nextBeta, nextM: nextMetaM,
                            nextV: nextMetaV, nextAlpha: nextAlpha, count: groupCount)
        guard runMetaPass(kernel, b) else { return diverge(at: t, .nonFiniteStepSize) }
        if approximation == .twoByTwo, !updateY(mu: Float(mu)) { return diverge(at: t, .nonFiniteStepSize) }
        swap(&beta, &nextBeta)
        swap(&alpha, &nextAlpha)
        swap(&metaM, &nextMetaM)
        swap(&metaV, &nextMetaV)
        if approximation == .twoByTwo { swap(&y, &nextY) }
        metaPower = power
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
        for r in 0 ..< k {
            let zr = z[r]
            let vBar = nextMetaV[r]
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
                    let d = nextMetaM[r] / s
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
                case .fixed:
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

    public var isDiverged: Bool { divergedAtStep != nil }

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

    // MARK: - State

    /// Everything needed to continue bit-identically (the weights belong to the caller).
    public struct State: Codable, Sendable, Equatable {
        public var schema = 1
        public var configuration: OptimizerConfiguration
        public var approximation: HessianApproximation
        public var tensors: [TensorDescriptor]
        public var totalSteps: Int
        public var stepsTaken: Int
        public var divergedAtStep: Int?
        public var divergenceReason: DivergenceReason?
        public var productsEvaluated: Int
        public var basePower: Double
        public var metaPower: Double
        /// Named Float arrays: logStepSizes, firstMoment, secondMoment, metaFirstMoment, metaSecondMoment,
        /// metaGradients, weightTangents (k·n, column-major), momentTangents, secondMomentTangents, y, yMomentum,
        /// ySecondMoment (k×k).
        public var arrays: [String: [Float]]
    }

    private var namedBuffers: [(String, UnsafeMutablePointer<Float>, Int)] {
        let n = parameterCount, k = groupCount
        return [
            ("logStepSizes", beta, k), ("firstMoment", m, usesM ? n : 0), ("secondMoment", v, usesV ? n : 0),
            ("metaFirstMoment", metaM, k), ("metaSecondMoment", metaV, k), ("metaGradients", z, k),
            ("weightTangents", xw, k * n), ("momentTangents", xm, usesXm ? k * n : 0),
            ("secondMomentTangents", xv, usesXv ? k * n : 0), ("y", y, k * k), ("yMomentum", yM, k * k),
            ("ySecondMoment", yV, k * k),
        ]
    }

    public func exportState() -> State {
        var arrays: [String: [Float]] = [:]
        for (name, p, count) in namedBuffers { arrays[name] = Array(UnsafeBufferPointer(start: p, count: count)) }
        return State(configuration: configuration, approximation: approximation, tensors: tensors,
                     totalSteps: totalSteps, stepsTaken: stepsTaken, divergedAtStep: divergedAtStep,
                     divergenceReason: divergenceReason, productsEvaluated: productsEvaluated, basePower: basePower,
                     metaPower: metaPower, arrays: arrays)
    }

    /// Replaces the state with `state` (from ``exportState()`` of an optimizer with the same tensors, resolved
    /// configuration, approximation and planned steps). Throws and changes nothing when it does not fit.
    public func restore(_ state: State) throws {
        func mismatch(_ field: String, _ expected: String, _ found: String) -> OptimizerError {
            .stateMismatch(field: field, expected: expected, found: found)
        }
        guard state.schema == 1 else { throw mismatch("schema", "1", "\(state.schema)") }
        guard state.tensors == tensors else { throw mismatch("tensors", "the optimizer's tensors", "different tensors") }
        guard state.configuration.resolved() == configuration else {
            throw mismatch("configuration", "the optimizer's resolved configuration", "a different configuration")
        }
        guard state.approximation == approximation else {
            throw mismatch("approximation", approximation.rawValue, state.approximation.rawValue)
        }
        guard state.totalSteps == totalSteps else { throw mismatch("totalSteps", "\(totalSteps)", "\(state.totalSteps)") }
        guard state.stepsTaken >= 0 else { throw mismatch("stepsTaken", ">= 0", "\(state.stepsTaken)") }
        for (name, _, count) in namedBuffers where state.arrays[name]?.count != count {
            throw mismatch(name, "\(count) values", "\(state.arrays[name]?.count ?? 0) values")
        }
        guard state.arrays["logStepSizes"]!.allSatisfy({ $0.isFinite && stepSizeFromLog($0).isFinite }) else {
            throw mismatch("logStepSizes", "finite values with finite exp", "a non-finite value")
        }
        for power in [state.basePower, state.metaPower] where !(power.isFinite && power >= 0 && power <= 1) {
            throw mismatch("powers", "values in [0, 1]", "\(power)")
        }
        for (name, p, count) in namedBuffers where count > 0 {
            state.arrays[name]!.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: count) }
        }
        for j in 0 ..< groupCount { alpha[j] = stepSizeFromLog(beta[j]) }
        basePower = state.basePower
        metaPower = state.metaPower
        stepsTaken = state.stepsTaken
        divergedAtStep = state.divergedAtStep
        divergenceReason = state.divergenceReason
        productsEvaluated = state.productsEvaluated
    }
}
