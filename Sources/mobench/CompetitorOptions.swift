import ArgumentParser
import Bench
import Competitors

/// `--help` text of a competitor setting, from its declaration.
private func help(_ key: String) -> ArgumentHelp {
    guard let d = CompetitorSettingDeclarations.all.first(where: { $0.key == key }) else { return ArgumentHelp("") }
    return ArgumentHelp("\(d.help) (default: \(d.defaultDescription)).")
}

/// `--optimizer` and the learning-rate-free competitors' hyper-parameters (declared in
/// `CompetitorSettingDeclarations`). Parsing only; the values go into ``RunConfiguration``.
struct CompetitorOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Method: metaoptimize, \(CompetitorMethod.allCases.map(\.rawValue).joined(separator: ", ")) (default: metaoptimize). For the competitors --alpha0 is the package's lr (default: the package's) and --weight-decay its weight_decay."))
    var optimizer: String?
    @Option(help: help("beta1")) var beta1: Double?
    @Option(help: help("beta2")) var beta2: Double?
    @Option(help: help("beta3")) var beta3: Double?
    @Option(help: help("eps")) var eps: Double?
    @Option(help: help("d0")) var d0: Double?
    @Option(help: help("d_coef")) var dCoef: Double?
    @Option(help: help("growth_rate")) var growthRate: Double?
    @Option(help: help("decouple")) var decouple: Bool?
    @Option(help: help("use_bias_correction")) var useBiasCorrection: Bool?
    @Option(help: help("safeguard_warmup")) var safeguardWarmup: Bool?
    @Option(help: help("slice_p")) var sliceP: Int?
    @Option(help: help("layer_scale")) var layerScale: Double?
    @Option(help: help("sgd_momentum")) var sgdMomentum: Double?
    @Option(help: help("reps_rel")) var repsRel: Double?
    @Option(help: help("init_eta")) var initEta: Double?
    @Option(help: help("dog_average")) var dogAverage: Bool?
    @Option(help: help("warmup_steps")) var warmupSteps: Int?
    @Option(help: help("schedule_free_r")) var scheduleFreeR: Double?
    @Option(help: help("weight_lr_power")) var weightLrPower: Double?
    @Option(help: help("s_decay")) var sDecay: Double?
    @Option(help: help("s_init")) var sInit: Double?
    @Option(help: help("store_delta")) var storeDelta: Bool?
    @Option(help: help("mechanic_betas")) var mechanicBetas: String?
    @Option(help: help("cocob_alpha")) var cocobAlpha: Double?
    @Option(help: help("initial_wealth")) var initialWealth: Double?
    @Option(help: help("kt_clip_norm")) var ktClipNorm: Double?

    /// Writes the given flags into `c`. `alpha0Given`: whether `--alpha0` or the config file set α0; if neither
    /// did, a competitor gets its package's default lr.
    func apply(to c: inout RunConfiguration, alpha0Given: Bool) throws {
        if let optimizer { c.optimizer = optimizer }
        var s = c.competitor
        if let beta1 { s.beta1 = beta1 }
        if let beta2 { s.beta2 = beta2 }
        if let beta3 { s.beta3 = beta3 }
        if let eps { s.eps = eps }
        if let d0 { s.d0 = d0 }
        if let dCoef { s.dCoef = dCoef }
        if let growthRate { s.growthRate = growthRate }
        if let decouple { s.decouple = decouple }
        if let useBiasCorrection { s.useBiasCorrection = useBiasCorrection }
        if let safeguardWarmup { s.safeguardWarmup = safeguardWarmup }
        if let sliceP { s.sliceP = sliceP }
        if let layerScale { s.layerScale = layerScale }
        if let sgdMomentum { s.sgdMomentum = sgdMomentum }
        if let repsRel { s.repsRel = repsRel }
        if let initEta { s.initEta = initEta }
        if let dogAverage { s.dogAverage = dogAverage }
        if let warmupSteps { s.warmupSteps = warmupSteps }
        if let scheduleFreeR { s.scheduleFreeR = scheduleFreeR }
        if let weightLrPower { s.weightLrPower = weightLrPower }
        if let sDecay { s.sDecay = sDecay }
        if let sInit { s.sInit = sInit }
        if let storeDelta { s.storeDelta = storeDelta }
        if let mechanicBetas { s.mechanicBetas = try CompetitorSettings.parseBetas(mechanicBetas, source: "--mechanic-betas") }
        if let cocobAlpha { s.cocobAlpha = cocobAlpha }
        if let initialWealth { s.initialWealth = initialWealth }
        if let ktClipNorm { s.ktClipNorm = ktClipNorm }
        c.competitor = s
        if !alpha0Given, let lr = RunConfiguration.packageLearningRate(optimizer: c.optimizer, base: c.base) {
            c.alpha0 = lr
        }
    }
}
