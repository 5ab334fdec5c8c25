import Competitors
import Foundation

// The competitors' hyper-parameters in a run configuration: flat JSON keys (the declarations'
// `CompetitorSettingDeclarations.all`), optional, written only when set. A resolved competitor run records every
// setting its package uses, so `result.json` alone reproduces it. `growth_rate` may be `"inf"` (JSON has no ∞).

/// Any string as a coding key.
struct FlatKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension CompetitorSettings {
    /// The JSON keys (one per declaration), in declaration order.
    static var flatKeys: [String] { CompetitorSettingDeclarations.all.map(\.key) }

    /// Reads the competitor keys present in a flat configuration object (the others stay nil). `lr`,
    /// `weight_decay` and the subnormal handling come from the run's own `alpha0`, `weight_decay`, `subnormals`.
    init(flatFrom decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: FlatKey.self)
        func number(_ key: String) throws -> Double? {
            let k = FlatKey(key)
            guard c.contains(k), try !c.decodeNil(forKey: k) else { return nil }
            if let text = try? c.decode(String.self, forKey: k) {
                switch text { case "inf": return .infinity; default:
                    throw DecodingError.dataCorruptedError(forKey: k, in: c, debugDescription: "expected a number or \"inf\"")
                }
            }
            return try c.decode(Double.self, forKey: k)
        }
        func integer(_ key: String) throws -> Int? { try c.decodeIfPresent(Int.self, forKey: FlatKey(key)) }
        func flag(_ key: String) throws -> Bool? { try c.decodeIfPresent(Bool.self, forKey: FlatKey(key)) }
        beta1 = try number("beta1"); beta2 = try number("beta2"); beta3 = try number("beta3"); eps = try number("eps")
        d0 = try number("d0"); dCoef = try number("d_coef"); growthRate = try number("growth_rate")
        decouple = try flag("decouple"); useBiasCorrection = try flag("use_bias_correction")
        safeguardWarmup = try flag("safeguard_warmup"); sliceP = try integer("slice_p")
        layerScale = try number("layer_scale"); sgdMomentum = try number("sgd_momentum")
        repsRel = try number("reps_rel"); initEta = try number("init_eta"); warmupSteps = try integer("warmup_steps")
        dogAverage = try flag("dog_average")
        scheduleFreeR = try number("schedule_free_r"); weightLrPower = try number("weight_lr_power")
        sDecay = try number("s_decay"); sInit = try number("s_init"); storeDelta = try flag("store_delta")
        if let text = try c.decodeIfPresent(String.self, forKey: FlatKey("mechanic_betas")) {
            mechanicBetas = try Self.parseBetas(text, source: "mechanic_betas")
        }
        cocobAlpha = try number("cocob_alpha"); initialWealth = try number("initial_wealth")
        ktClipNorm = try number("kt_clip_norm")
    }

    /// Writes the keys that are set.
    func encodeFlat(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: FlatKey.self)
        func number(_ key: String, _ value: Double?) throws {
            guard let value else { return }
            if value.isInfinite && value > 0 { try c.encode("inf", forKey: FlatKey(key)) } else { try c.encode(value, forKey: FlatKey(key)) }
        }
        try number("beta1", beta1); try number("beta2", beta2); try number("beta3", beta3); try number("eps", eps)
        try number("d0", d0); try number("d_coef", dCoef); try number("growth_rate", growthRate)
        try c.encodeIfPresent(decouple, forKey: FlatKey("decouple"))
        try c.encodeIfPresent(useBiasCorrection, forKey: FlatKey("use_bias_correction"))
        try c.encodeIfPresent(safeguardWarmup, forKey: FlatKey("safeguard_warmup"))
        try c.encodeIfPresent(sliceP, forKey: FlatKey("slice_p"))
        try number("layer_scale", layerScale); try number("sgd_momentum", sgdMomentum)
        try number("reps_rel", repsRel); try number("init_eta", initEta)
        try c.encodeIfPresent(dogAverage, forKey: FlatKey("dog_average"))
        try c.encodeIfPresent(warmupSteps, forKey: FlatKey("warmup_steps"))
        try number("schedule_free_r", scheduleFreeR); try number("weight_lr_power", weightLrPower)
        try number("s_decay", sDecay); try number("s_init", sInit)
        try c.encodeIfPresent(storeDelta, forKey: FlatKey("store_delta"))
        if let mechanicBetas {
            try c.encode(mechanicBetas.map { "\($0)" }.joined(separator: ","), forKey: FlatKey("mechanic_betas"))
        }
        try number("cocob_alpha", cocobAlpha); try number("initial_wealth", initialWealth)
        try number("kt_clip_norm", ktClipNorm)
    }

    /// "0.9,0.99" → [0.9, 0.99]; throws a one-line `SettingError` naming `source`.
    public static func parseBetas(_ text: String, source: String) throws -> [Double] {
        let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw SettingError.invalid("\(source): expected comma-separated numbers, got '\(text)'")
        }
        return values.map { $0! }
    }
}
