import Settings

/// The competitors' hyper-parameters, declared once (flags, JSON keys, help, README table). `--alpha0` is the
/// package's `lr` and `--weight-decay` its `weight_decay` (declared with the run settings); a key several packages
/// share is declared once, optional, its default text listing each package's default.
public enum CompetitorSettingDeclarations {
    public static let section = "Learning-rate-free methods"

    public static let all: [SettingDeclaration] = [
        number("beta1", "Prodigy, D-Adapt Adam/Lion, schedule-free AdamW, Mechanic's Adam base 0.9; schedule-free SGD momentum 0.9",
               "β1 of the Adam-style competitors (schedule-free SGD: its momentum)", .halfOpenUnit),
        number("beta2", "0.999; D-Adapt Lion 0.99",
               "β2 of the Adam-style competitors (D-Adapt Lion: its second β)", .halfOpenUnit),
        number("beta3", "sqrt(beta2)", "Prodigy β3, the EMA factor of its numerator and s", .halfOpenUnit),
        number("eps", "1e-8; D-Adapt AdaGrad 1e-6", "ε of the competitor's denominator (DoG: added once to G)", .positive),
        number("d0", "1e-6", "initial distance estimate d0 (Prodigy, D-Adaptation)", .positive),
        number("d_coef", "1", "Prodigy d_coef: multiplies the d estimate", .positive),
        number("growth_rate", "inf", "largest factor d may grow per step, >= 1 or inf (Prodigy, D-Adapt Adam/SGD/AdaGrad)", .any),
        bool("decouple", "Prodigy true, D-Adapt Adam false", "decoupled weight decay (else L2 added to the gradient)"),
        bool("use_bias_correction", "false", "Adam bias correction inside d·lr (Prodigy, D-Adapt Adam)"),
        bool("safeguard_warmup", "false", "Prodigy safeguard_warmup (d instead of d·lr in s)"),
        integer("slice_p", "1", "Prodigy slice_p: estimate d on every slice_p-th weight", .positive),
        number("layer_scale", "1", "D-Adapt Adam layer_scale of the (single) parameter group", .positive),
        number("sgd_momentum", "0", "momentum of D-Adapt SGD/AdaGrad and of Mechanic's SGD base", .halfOpenUnit),
        number("reps_rel", "1e-6", "DoG/LDoG reps_rel: initial r̄ = reps_rel·(1 + ‖x0‖)", .positive),
        number("init_eta", "none", "DoG/LDoG init_eta: explicit first step size (then reps_rel is 0)", .positive),
        bool("dog_average", "false", "DoG/LDoG: polynomial-decay iterate average x̄ (γ = 8) as the evaluation point"),
        integer("warmup_steps", "0", "schedule-free linear warm-up of lr over this many steps", .nonNegative),
        number("schedule_free_r", "0", "schedule-free r: averaging weight ∝ t^r·lr_max^weight_lr_power", .nonNegative),
        number("weight_lr_power", "2", "schedule-free weight_lr_power", .nonNegative),
        number("s_decay", "0.01", "Mechanic s_decay (weight-decay-like term of its tuner)", .nonNegative),
        number("s_init", "1e-8", "Mechanic s_init (initial scale numerator)", .positive),
        bool("store_delta", "false", "Mechanic store_delta: keep Δ as state instead of (x − ref)/S"),
        declaration("mechanic_betas", .text, "0.9,0.99,0.999,0.9999,0.99999,0.999999", "Mechanic tuner betas, comma-separated"),
        number("cocob_alpha", "100", "COCOB-Backprop α (warm-up of the betting fraction)", .positive),
        number("initial_wealth", "1e-4", "KT initial wealth w", .positive),
        number("kt_clip_norm", "none", "KT: clip the gradient norm to this first (torch clip_grad_norm_; spec: 1)", .positive),
    ]

    /// An optional setting of the section whose default is the package's (`defaultText`).
    private static func declaration(_ key: String, _ kind: SettingKind, _ defaultText: String, _ help: String,
                                    _ range: SettingRange = .any) -> SettingDeclaration {
        SettingDeclaration(key: key, kind: kind, isOptional: true, defaultValue: .null, defaultText: defaultText,
                           help: help, section: section, range: range)
    }

    private static func number(_ key: String, _ defaultText: String, _ help: String, _ range: SettingRange) -> SettingDeclaration {
        declaration(key, .number, defaultText, help, range)
    }

    private static func integer(_ key: String, _ defaultText: String, _ help: String, _ range: SettingRange) -> SettingDeclaration {
        declaration(key, .integer, defaultText, help, range)
    }

    private static func bool(_ key: String, _ defaultText: String, _ help: String) -> SettingDeclaration {
        declaration(key, .bool, defaultText, help)
    }
}
