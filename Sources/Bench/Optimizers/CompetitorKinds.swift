import Competitors
import Foundation
import MetaOptimize
import Reports
import Settings

// The learning-rate-free competitors (spec baselines.md), one registered kind each. `--alpha0` is the package's
// `lr` (Mechanic: its base optimizer's lr), `--weight-decay` its `weight_decay`; the other hyper-parameters are
// declared once in `CompetitorSettingDeclarations` (listed with the first competitor, shared by all). Family: the
// fixed-step-size grid a method is ranked against (AdamW's for the Adam-like, Lion's for D-Adapt Lion, SGD's for
// the SGD-like; Mechanic: its base).

extension OptimizerKind {
    static let competitors: [OptimizerKind] = CompetitorMethod.allCases.enumerated().map { competitor($1, first: $0 == 0) }

    private static func competitor(_ method: CompetitorMethod, first: Bool) -> OptimizerKind {
        OptimizerKind(
            name: method.rawValue,
            summary: "\(method.reference) (learning-rate-free competitor; --alpha0 is its lr)",
            settings: first ? CompetitorSettingDeclarations.all : [],
            methodKind: { _ in .learningRateFree },
            family: { v in
                if method == .mechanic { return v.configuration.base == "adamw" ? "adamw" : "sgd" }
                return method.family
            },
            needsDiagonalHessian: { _ in false },
            make: { context in
                do {
                    return try makeCompetitor(method, tensors: context.tensors,
                                              settings: try competitorSettings(method, context.configuration.configuration))
                } catch let error as OptimizerError {
                    throw SettingError.invalid(error.description)
                }
            })
    }
}

/// The competitor keys of a configuration as ``CompetitorSettings`` (null: the package default), plus `alpha0`
/// as lr, `weight_decay`, the subnormal handling and (Mechanic) `--base`.
func competitorSettings(_ method: CompetitorMethod, _ c: RunConfiguration) throws -> CompetitorSettings {
    func number(_ key: String) -> Double? {
        switch c[key] {
        case .number(let x): return x
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
    func integer(_ key: String) -> Int? { if case .integer(let i) = c[key] { return i } else { return nil } }
    func flag(_ key: String) -> Bool? { if case .bool(let b) = c[key] { return b } else { return nil } }
    var s = CompetitorSettings()
    s.beta1 = number("beta1"); s.beta2 = number("beta2"); s.beta3 = number("beta3"); s.eps = number("eps")
    s.d0 = number("d0"); s.dCoef = number("d_coef"); s.growthRate = number("growth_rate")
    s.decouple = flag("decouple"); s.useBiasCorrection = flag("use_bias_correction")
    s.safeguardWarmup = flag("safeguard_warmup"); s.sliceP = integer("slice_p")
    s.layerScale = number("layer_scale"); s.sgdMomentum = number("sgd_momentum")
    s.repsRel = number("reps_rel"); s.initEta = number("init_eta"); s.dogAverage = flag("dog_average")
    s.warmupSteps = integer("warmup_steps"); s.scheduleFreeR = number("schedule_free_r")
    s.weightLrPower = number("weight_lr_power"); s.sDecay = number("s_decay"); s.sInit = number("s_init")
    s.storeDelta = flag("store_delta")
    if case .text(let text) = c["mechanic_betas"] {
        let values = text.split(separator: ",").map { Double(String($0).trimmingCharacters(in: CharacterSet.whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw SettingError.invalid("--mechanic-betas: expected comma-separated numbers, got '\(text)'")
        }
        s.mechanicBetas = values.map { $0! }
    }
    s.cocobAlpha = number("cocob_alpha"); s.initialWealth = number("initial_wealth"); s.ktClipNorm = number("kt_clip_norm")
    s.lr = c.alpha0
    s.weightDecay = c.weightDecay
    s.flushSubnormals = c.subnormals == "flush"
    if method == .mechanic {
        switch c.base {
        case "adamw": s.mechanicBase = .adamw
        case "sgd": s.mechanicBase = .sgd
        case "sgdm":
            s.mechanicBase = .sgd
            if s.sgdMomentum == nil { s.sgdMomentum = c.momentum ?? 0.9 }
        default:
            throw SettingError.invalid("--base \(c.base): Mechanic wraps adamw, sgd or sgdm (torch.optim, standard formulas)")
        }
    }
    return s
}

extension RunConfiguration {
    /// For a competitor run: the package's settings written back (so the configuration alone reproduces the run),
    /// after checking them; throws a one-line `SettingError` naming the setting. Other runs are unchanged.
    mutating func resolveCompetitorSettings() throws {
        guard let method = CompetitorMethod(rawValue: self.optimizer) else { return }
        let r: CompetitorSettings
        do {
            r = try competitorSettings(method, self).resolvedAndValidated(for: method)
        } catch let error as OptimizerError {
            throw SettingError.invalid(error.description)
        }
        if let lr = r.lr { self.alpha0 = lr }
        let numbers: [(String, Double?)] = [
            ("beta1", r.beta1), ("beta2", r.beta2), ("beta3", r.beta3), ("eps", r.eps), ("d0", r.d0),
            ("d_coef", r.dCoef), ("growth_rate", r.growthRate), ("layer_scale", r.layerScale),
            ("sgd_momentum", r.sgdMomentum), ("reps_rel", r.repsRel), ("init_eta", r.initEta),
            ("schedule_free_r", r.scheduleFreeR), ("weight_lr_power", r.weightLrPower), ("s_decay", r.sDecay),
            ("s_init", r.sInit), ("cocob_alpha", r.cocobAlpha), ("initial_wealth", r.initialWealth),
            ("kt_clip_norm", r.ktClipNorm),
        ]
        let flags: [(String, Bool?)] = [
            ("decouple", r.decouple), ("use_bias_correction", r.useBiasCorrection),
            ("safeguard_warmup", r.safeguardWarmup), ("dog_average", r.dogAverage), ("store_delta", r.storeDelta),
        ]
        let integers: [(String, Int?)] = [("slice_p", r.sliceP), ("warmup_steps", r.warmupSteps)]
        for (key, value) in numbers { if let value { self[key] = SettingValue.number(value) } }
        for (key, value) in flags { if let value { self[key] = SettingValue.bool(value) } }
        for (key, value) in integers { if let value { self[key] = SettingValue.integer(value) } }
        if let betas = r.mechanicBetas {
            self["mechanic_betas"] = SettingValue.text(betas.map { "\($0)" }.joined(separator: ","))
        }
    }

    /// The `--alpha0` a competitor uses when none is given: its package's default `lr` (nil for other methods and
    /// for COCOB and KT, which have none).
    public static func packageLearningRate(optimizer: String, base: String) -> Double? {
        guard let method = CompetitorMethod(rawValue: optimizer.lowercased()) else { return nil }
        return CompetitorSettings().resolved(for: method).lr
    }

    /// Whether a configuration JSON (or a result.json's `config`) sets `alpha0`.
    public static func setsAlpha0(json: Data) -> Bool {
        guard var object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else { return false }
        if let inner = object["config"] as? [String: Any], object["schema"] != nil { object = inner }
        return object["alpha0"] != nil
    }

    /// For a competitor selected without an explicit α0 (neither `--alpha0` nor the config file): its package's lr.
    public mutating func applyPackageLearningRate(alpha0Given: Bool) {
        if !alpha0Given, let lr = Self.packageLearningRate(optimizer: self.optimizer, base: self.base) { self.alpha0 = lr }
    }
}
