import Foundation
import Competitors
import MetaOptimize
import Reports

// The learning-rate-free competitors (spec baselines.md), one registered kind each. `--alpha0` is the package's
// `lr` (Mechanic: its base optimizer's lr), `--weight-decay` its `weight_decay`; the other hyper-parameters are the
// `competitor` settings. Family: the fixed-step-size grid a method is ranked against (AdamW's for the Adam-like,
// Lion's for D-Adapt Lion, SGD's for the SGD-like; Mechanic: its base).

extension OptimizerKind {
    static let competitors: [OptimizerKind] = CompetitorMethod.allCases.map(competitor)

    private static func competitor(_ method: CompetitorMethod) -> OptimizerKind {
        OptimizerKind(
            name: method.rawValue,
            summary: "\(method.reference) (learning-rate-free competitor; --alpha0 is its lr)",
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

/// The settings a competitor run uses: the run's `competitor` block, plus `alpha0` as lr, `weight_decay`, the
/// subnormal handling and (Mechanic) `--base`.
func competitorSettings(_ method: CompetitorMethod, _ c: RunConfiguration) throws -> CompetitorSettings {
    var s = c.competitor
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
        guard let method = CompetitorMethod(rawValue: optimizer) else { return }
        let resolved: CompetitorSettings
        do {
            resolved = try competitorSettings(method, self).resolvedAndValidated(for: method)
        } catch let error as OptimizerError {
            throw SettingError.invalid(error.description)
        }
        if let lr = resolved.lr { alpha0 = lr }
        var recorded = resolved
        recorded.lr = nil
        recorded.weightDecay = 0
        recorded.flushSubnormals = true
        recorded.mechanicBase = nil
        competitor = recorded
    }

    /// The `--alpha0` a competitor uses when none is given: its package's default `lr` (nil for other methods and
    /// for COCOB and KT, which have none).
    public static func packageLearningRate(optimizer: String, base: String) -> Double? {
        guard let method = CompetitorMethod(rawValue: optimizer.lowercased()) else { return nil }
        return CompetitorSettings().resolved(for: method).lr
    }
}

extension RunConfiguration {
    /// Whether a configuration JSON (or a result.json's `config`) sets `alpha0`.
    public static func setsAlpha0(json: Data) -> Bool {
        guard var object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else { return false }
        if let inner = object["config"] as? [String: Any], object["schema"] != nil { object = inner }
        return object["alpha0"] != nil
    }
}
