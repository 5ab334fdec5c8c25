import MetaOptimize

/// The learning-rate-free and step-size-adaptive competitors of the suite (spec `baselines.md`), each reproducing
/// its reference PyTorch package step for step.
public enum CompetitorMethod: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    case prodigy
    case dadaptAdam = "dadapt-adam"
    case dadaptSGD = "dadapt-sgd"
    case dadaptAdaGrad = "dadapt-adagrad"
    case dadaptLion = "dadapt-lion"
    case dog
    case ldog
    case scheduleFreeAdamW = "schedule-free-adamw"
    case scheduleFreeSGD = "schedule-free-sgd"
    case mechanic
    case cocob
    case kt

    public var description: String { rawValue }

    /// The fixed-step-size grid summaries rank the method against: `adamw` for the Adam-like methods, `lion` for
    /// D-Adapt Lion, `sgd` for the SGD-like ones (Mechanic: the family of the base it wraps, AdamW by default).
    public var family: String {
        switch self {
        case .prodigy, .dadaptAdam, .scheduleFreeAdamW, .mechanic: return "adamw"
        case .dadaptLion: return "lion"
        case .dadaptSGD, .dadaptAdaGrad, .dog, .ldog, .scheduleFreeSGD, .cocob, .kt: return "sgd"
        }
    }

    /// The reference package and class, for tables and docs.
    public var reference: String {
        switch self {
        case .prodigy: return "prodigyopt 1.1.2 Prodigy"
        case .dadaptAdam: return "dadaptation 3.2 DAdaptAdam"
        case .dadaptSGD: return "dadaptation 3.2 DAdaptSGD"
        case .dadaptAdaGrad: return "dadaptation 3.2 DAdaptAdaGrad"
        case .dadaptLion: return "dadaptation 3.2 DAdaptLion"
        case .dog: return "dog-optimizer 1.0.3 DoG"
        case .ldog: return "dog-optimizer 1.0.3 LDoG"
        case .scheduleFreeAdamW: return "schedulefree 1.4.1 AdamWScheduleFree"
        case .scheduleFreeSGD: return "schedulefree 1.4.1 SGDScheduleFree"
        case .mechanic: return "mechanic-pytorch 0.0.1 mechanize"
        case .cocob: return "parameterfree 0.0.1 COCOB"
        case .kt: return "parameterfree 0.0.1 KT"
        }
    }

    public init(parsing text: String) throws {
        guard let method = CompetitorMethod(rawValue: text.lowercased()) else {
            throw OptimizerError.unknownName(field: "optimizer", found: text,
                                             expected: ["metaoptimize"] + CompetitorMethod.allCases.map(\.rawValue))
        }
        self = method
    }
}

/// The base optimizer Mechanic wraps (torch.optim classes, standard PyTorch formulas).
public enum MechanicBase: String, Codable, Sendable, CaseIterable {
    /// torch.optim.AdamW (decoupled decay `p ← p·(1 − lr·wd)`); with weight_decay 0 identical to torch.optim.Adam.
    case adamw
    /// torch.optim.Adam (coupled L2 decay `g ← g + wd·p`).
    case adam
    /// torch.optim.SGD (coupled L2 decay; momentum `sgd_momentum`, no dampening).
    case sgd
}

/// Every hyper-parameter of the competitors, named as in the packages. `nil` means "the package's default for the
/// selected method" (``resolved(for:)`` fills them in). `lr` is the package's `lr` (Mechanic: the base optimizer's
/// lr); `weightDecay` its `weight_decay` with the package's own coupling.
public struct CompetitorSettings: Codable, Sendable, Equatable {
    public var lr: Double?
    public var weightDecay: Double = 0
    /// Adam-style β1/β2 (Prodigy, D-Adapt Adam/Lion, schedule-free AdamW, Mechanic's Adam base); schedule-free
    /// SGD's `momentum` is β1.
    public var beta1: Double?
    public var beta2: Double?
    /// Prodigy β3 (nil: √β2).
    public var beta3: Double?
    public var eps: Double?
    public var d0: Double?
    public var dCoef: Double?
    public var growthRate: Double?
    /// Decoupled weight decay (Prodigy default true, D-Adapt Adam default false).
    public var decouple: Bool?
    public var useBiasCorrection: Bool?
    public var safeguardWarmup: Bool?
    public var sliceP: Int?
    /// D-Adapt Adam's per-group `layer_scale` ρ (one group here).
    public var layerScale: Double?
    /// Momentum of D-Adapt SGD/AdaGrad and of Mechanic's SGD base (package default 0).
    public var sgdMomentum: Double?
    public var repsRel: Double?
    public var initEta: Double?
    /// DoG/LDoG: keep the polynomial-decay average x̄ (γ = 8) and evaluate there (default false).
    public var dogAverage: Bool?
    public var warmupSteps: Int?
    /// Schedule-free's `r` (polynomial weighting power of the average).
    public var scheduleFreeR: Double?
    public var weightLrPower: Double?
    public var sDecay: Double?
    public var sInit: Double?
    public var storeDelta: Bool?
    /// Mechanic's tuner betas.
    public var mechanicBetas: [Double]?
    public var mechanicBase: MechanicBase?
    public var cocobAlpha: Double?
    /// KT's initial wealth `w`.
    public var initialWealth: Double?
    /// KT: clip the gradient norm to this value first (torch `clip_grad_norm_`; nil = no clipping, the package).
    public var ktClipNorm: Double?
    /// FTZ + DAZ during the step (``SubnormalHandling/flush``, the run default) or IEEE subnormals (`exact`, as
    /// PyTorch's CPU default).
    public var flushSubnormals = true

    public init() {}

    /// The settings with every `nil` replaced by the package default of `method` (settings a method does not use
    /// stay nil).
    public func resolved(for method: CompetitorMethod) -> CompetitorSettings {
        var r = CompetitorSettings()
        r.weightDecay = weightDecay
        r.flushSubnormals = flushSubnormals
        switch method {
        case .prodigy:
            r.lr = lr ?? 1; r.beta1 = beta1 ?? 0.9; r.beta2 = beta2 ?? 0.999
            r.beta3 = beta3 ?? (r.beta2!).squareRoot(); r.eps = eps ?? 1e-8; r.d0 = d0 ?? 1e-6
            r.dCoef = dCoef ?? 1; r.growthRate = growthRate ?? .infinity; r.decouple = decouple ?? true
            r.useBiasCorrection = useBiasCorrection ?? false; r.safeguardWarmup = safeguardWarmup ?? false
            r.sliceP = sliceP ?? 1
        case .dadaptAdam:
            r.lr = lr ?? 1; r.beta1 = beta1 ?? 0.9; r.beta2 = beta2 ?? 0.999; r.eps = eps ?? 1e-8
            r.d0 = d0 ?? 1e-6; r.growthRate = growthRate ?? .infinity; r.decouple = decouple ?? false
            r.useBiasCorrection = useBiasCorrection ?? false; r.layerScale = layerScale ?? 1
        case .dadaptSGD:
            r.lr = lr ?? 1; r.sgdMomentum = sgdMomentum ?? 0; r.d0 = d0 ?? 1e-6; r.growthRate = growthRate ?? .infinity
        case .dadaptAdaGrad:
            r.lr = lr ?? 1; r.sgdMomentum = sgdMomentum ?? 0; r.eps = eps ?? 1e-6; r.d0 = d0 ?? 1e-6
            r.growthRate = growthRate ?? .infinity
        case .dadaptLion:
            r.lr = lr ?? 1; r.beta1 = beta1 ?? 0.9; r.beta2 = beta2 ?? 0.99; r.d0 = d0 ?? 1e-6
        case .dog, .ldog:
            r.lr = lr ?? 1; r.repsRel = repsRel ?? 1e-6; r.eps = eps ?? 1e-8; r.initEta = initEta
            r.dogAverage = dogAverage ?? false
        case .scheduleFreeAdamW:
            r.lr = lr ?? 0.0025; r.beta1 = beta1 ?? 0.9; r.beta2 = beta2 ?? 0.999; r.eps = eps ?? 1e-8
            r.warmupSteps = warmupSteps ?? 0; r.scheduleFreeR = scheduleFreeR ?? 0; r.weightLrPower = weightLrPower ?? 2
        case .scheduleFreeSGD:
            r.lr = lr ?? 1; r.beta1 = beta1 ?? 0.9
            r.warmupSteps = warmupSteps ?? 0; r.scheduleFreeR = scheduleFreeR ?? 0; r.weightLrPower = weightLrPower ?? 2
        case .mechanic:
            let base = mechanicBase ?? .adamw
            r.mechanicBase = base; r.lr = lr ?? 1e-3
            if base == .sgd { r.sgdMomentum = sgdMomentum ?? 0 } else {
                r.beta1 = beta1 ?? 0.9; r.beta2 = beta2 ?? 0.999; r.eps = eps ?? 1e-8
            }
            r.sDecay = sDecay ?? 0.01; r.sInit = sInit ?? 1e-8; r.storeDelta = storeDelta ?? false
            r.mechanicBetas = mechanicBetas ?? [0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999]
        case .cocob:
            r.cocobAlpha = cocobAlpha ?? 100; r.eps = eps ?? 1e-8
        case .kt:
            r.initialWealth = initialWealth ?? 1e-4; r.ktClipNorm = ktClipNorm
        }
        return r
    }

    /// ``resolved(for:)``, checked; throws ``OptimizerError/invalidValue(field:expected:found:)`` naming the key.
    public func resolvedAndValidated(for method: CompetitorMethod) throws -> CompetitorSettings {
        let r = resolved(for: method)
        try r.validate(for: method)
        return r
    }

    /// Checks a resolved configuration against the packages' constructor checks (and what keeps the arithmetic
    /// finite). Throws ``OptimizerError/invalidValue(field:expected:found:)`` naming the setting's JSON key.
    func validate(for method: CompetitorMethod) throws {
        func check(_ key: String, _ value: Double?, _ expected: String, _ ok: (Double) -> Bool) throws {
            guard let value else { return }
            guard !value.isNaN, ok(value) else {
                throw OptimizerError.invalidValue(field: key, expected: expected, found: "\(value)")
            }
        }
        let positive: (Double) -> Bool = { $0 > 0 && $0.isFinite }
        let coefficient: (Double) -> Bool = { $0 >= 0 && $0 < 1 }
        try check("weight_decay", weightDecay, "a finite number >= 0") { $0 >= 0 && $0.isFinite }
        if method == .cocob || method == .kt {} else {
            // schedule-free and every other package require lr > 0 (DoG: c > 0).
            try check("alpha0", lr, "the package's lr > 0 and finite", positive)
        }
        try check("beta1", beta1, method == .scheduleFreeSGD ? "momentum in (0, 1)" : "a value in [0, 1)") {
            method == .scheduleFreeSGD ? ($0 > 0 && $0 < 1) : coefficient($0)
        }
        try check("beta2", beta2, "a value in [0, 1)", coefficient)
        try check("beta3", beta3, "a value in [0, 1)", coefficient)
        try check("eps", eps, "a finite number > 0", positive)
        try check("d0", d0, "a finite number > 0", positive)
        try check("d_coef", dCoef, "a finite number > 0", positive)
        try check("growth_rate", growthRate, "a number >= 1 (inf: no limit)") { $0 >= 1 }
        if let sliceP, sliceP < 1 {
            throw OptimizerError.invalidValue(field: "slice_p", expected: "an integer >= 1", found: "\(sliceP)")
        }
        try check("layer_scale", layerScale, "a finite number > 0", positive)
        try check("sgd_momentum", sgdMomentum, "a value in [0, 1)", coefficient)
        try check("reps_rel", repsRel, "a finite number > 0", positive)
        try check("init_eta", initEta, "a finite number > 0", positive)
        if let warmupSteps, warmupSteps < 0 {
            throw OptimizerError.invalidValue(field: "warmup_steps", expected: "an integer >= 0", found: "\(warmupSteps)")
        }
        try check("schedule_free_r", scheduleFreeR, "a finite number >= 0") { $0 >= 0 && $0.isFinite }
        try check("weight_lr_power", weightLrPower, "a finite number >= 0") { $0 >= 0 && $0.isFinite }
        try check("s_decay", sDecay, "a finite number >= 0") { $0 >= 0 && $0.isFinite }
        try check("s_init", sInit, "a finite number > 0", positive)
        if let mechanicBetas {
            guard !mechanicBetas.isEmpty, mechanicBetas.allSatisfy({ $0 >= 0 && $0 < 1 }) else {
                throw OptimizerError.invalidValue(field: "mechanic_betas", expected: "one or more values in [0, 1)",
                                                  found: mechanicBetas.map { "\($0)" }.joined(separator: ","))
            }
        }
        try check("cocob_alpha", cocobAlpha, "a finite number > 0", positive)
        try check("initial_wealth", initialWealth, "a finite number > 0", positive)
        try check("kt_clip_norm", ktClipNorm, "a finite number > 0", positive)
    }
}

/// Creates the competitor `method` for these tensors (canonical order, contiguous in the flat buffers) with
/// `settings` (nil fields: the package's defaults). Throws ``OptimizerError`` naming the offending setting.
public func makeCompetitor(_ method: CompetitorMethod, tensors: [TensorDescriptor],
                           settings: CompetitorSettings) throws -> any Optimizer {
    let s = settings.resolved(for: method)
    try s.validate(for: method)
    let spans = try tensorSpans(tensors)
    switch method {
    case .prodigy: return Prodigy(tensors: tensors, spans: spans, settings: s)
    case .dadaptAdam: return DAdaptAdam(tensors: tensors, spans: spans, settings: s)
    case .dadaptSGD: return DAdaptSGD(tensors: tensors, spans: spans, settings: s)
    case .dadaptAdaGrad: return DAdaptAdaGrad(tensors: tensors, spans: spans, settings: s)
    case .dadaptLion: return DAdaptLion(tensors: tensors, spans: spans, settings: s)
    case .dog: return DoG(tensors: tensors, spans: spans, settings: s, layerwise: false)
    case .ldog: return DoG(tensors: tensors, spans: spans, settings: s, layerwise: true)
    case .scheduleFreeAdamW: return ScheduleFree(tensors: tensors, spans: spans, settings: s, adam: true)
    case .scheduleFreeSGD: return ScheduleFree(tensors: tensors, spans: spans, settings: s, adam: false)
    case .mechanic: return Mechanic(tensors: tensors, spans: spans, settings: s)
    case .cocob: return COCOB(tensors: tensors, spans: spans, settings: s)
    case .kt: return KT(tensors: tensors, spans: spans, settings: s)
    }
}
