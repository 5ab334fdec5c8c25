import Foundation

/// A mean over seeds with its standard error.
///
/// `standardError` is the sample standard deviation (with n − 1 in the denominator) divided by √n; it is 0 when
/// n = 1 (one seed carries no information about the spread — read it as "unknown", not "exact").
public struct Estimate: Codable, Sendable, Equatable {
    public var mean: Double
    public var standardError: Double
    /// Number of values averaged.
    public var n: Int

    enum CodingKeys: String, CodingKey {
        case mean
        case standardError = "standard_error"
        case n
    }
}

/// One point of a fixed-α grid, as seen by the best-α choice.
public struct GridCandidate: Codable, Sendable, Equatable {
    public var configurationID: String
    /// The fixed step size α of this grid point.
    public var alpha0: Double
    /// Mean online loss over the seeds (nats); nil when no seed produced one.
    public var meanOnlineLoss: Double?
    /// Number of seeds that diverged; any divergence makes the point ineligible.
    public var divergedSeeds: Int

    /// A grid point is eligible as "best" when no seed diverged and it has a finite mean online loss.
    public var isEligible: Bool {
        guard divergedSeeds == 0, let loss = meanOnlineLoss else { return false }
        return loss.isFinite
    }

    enum CodingKeys: String, CodingKey {
        case configurationID = "configuration_id"
        case alpha0
        case meanOnlineLoss = "mean_online_loss"
        case divergedSeeds = "diverged_seeds"
    }
}

/// The outcome of ``Statistics/bestAlpha(_:)``.
public struct BestAlphaChoice: Sendable, Equatable {
    /// The chosen grid point; nil when no point is eligible.
    public var best: GridCandidate?
    /// Points that were not eligible (a diverged seed or no finite mean), in input order.
    public var ineligible: [GridCandidate]
}

/// Statistics used by summaries and comparisons. All functions are deterministic (fixed summation order).
public enum Statistics {
    /// Arithmetic mean; nil for an empty input.
    public static func mean(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        var sum = 0.0
        for v in values { sum += v }
        return sum / Double(values.count)
    }

    /// Sample standard deviation with n − 1 in the denominator; nil for an empty input, 0 for one value.
    public static func sampleStandardDeviation(_ values: [Double]) -> Double? {
        guard let m = mean(values) else { return nil }
        guard values.count > 1 else { return 0 }
        var ss = 0.0
        for v in values { ss += (v - m) * (v - m) }
        return (ss / Double(values.count - 1)).squareRoot()
    }

    /// Standard error of the mean: sample standard deviation (n − 1) / √n; nil for an empty input,
    /// 0 for a single value (documented convention: the spread is unknown, not zero).
    public static func standardError(_ values: [Double]) -> Double? {
        guard let sd = sampleStandardDeviation(values) else { return nil }
        return sd / Double(values.count).squareRoot()
    }

    /// Mean and standard error together; nil for an empty input.
    public static func estimate(_ values: [Double]) -> Estimate? {
        guard let m = mean(values), let se = standardError(values) else { return nil }
        return Estimate(mean: m, standardError: se, n: values.count)
    }

    /// The combined standard error of a difference of two independent means: √(se₁² + se₂²).
    public static func combinedStandardError(_ a: Double, _ b: Double) -> Double {
        (a * a + b * b).squareRoot()
    }

    /// Area under the online-loss curve, `auc_online_loss`, in nats·steps.
    ///
    /// Trapezoidal integral of the piecewise-linear curve through (0, L₁), (s₁, L₁), (s₂, L₂), …, (s_m, L_m), where
    /// s_i is the completed step count at the end of bin i and L_i its mean online loss: the curve starts at step 0
    /// with the first bin's loss. For equal bins of width w the result is w·L₁ + Σ_{i≥2} w·(L_{i−1} + L_i)/2.
    /// Points are used in order of increasing step; nil for an empty curve.
    public static func aucOnlineLoss(steps: [Int], losses: [Double]) -> Double? {
        let count = min(steps.count, losses.count)
        guard count > 0 else { return nil }
        let order = (0..<count).sorted { steps[$0] != steps[$1] ? steps[$0] < steps[$1] : $0 < $1 }
        var previousStep = 0.0
        var previousLoss = losses[order[0]]
        var area = 0.0
        for i in order {
            let s = Double(steps[i])
            area += (s - previousStep) * (previousLoss + losses[i]) / 2
            previousStep = s
            previousLoss = losses[i]
        }
        return area
    }

    /// `auc_online_loss` of a run's curve (see ``aucOnlineLoss(steps:losses:)``).
    public static func aucOnlineLoss(_ curve: [CurvePoint]) -> Double? {
        aucOnlineLoss(steps: curve.map(\.step), losses: curve.map(\.onlineLoss))
    }

    /// The best fixed α of a grid: the eligible point (no diverged seed, finite mean) with the lowest mean online
    /// loss over seeds; exact ties go to the smaller α (then to the smaller configuration ID). Ineligible points are
    /// reported, never chosen.
    public static func bestAlpha(_ candidates: [GridCandidate]) -> BestAlphaChoice {
        var best: GridCandidate?
        var ineligible: [GridCandidate] = []
        for c in candidates {
            guard c.isEligible, let loss = c.meanOnlineLoss else {
                ineligible.append(c)
                continue
            }
            if let b = best, let bLoss = b.meanOnlineLoss {
                if loss < bLoss
                    || (loss == bLoss && (c.alpha0 < b.alpha0
                        || (c.alpha0 == b.alpha0 && c.configurationID < b.configurationID))) {
                    best = c
                }
            } else {
                best = c
            }
        }
        return BestAlphaChoice(best: best, ineligible: ineligible)
    }
}
