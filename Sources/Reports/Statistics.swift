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
    /// never chosen; nil when no point is eligible.
    public static func bestAlpha(_ points: [GridPoint]) -> GridPoint? {
        var best: GridPoint?
        for p in points where p.eligible {
            guard let b = best else { best = p; continue }
            let loss = p.onlineLoss!.mean, bLoss = b.onlineLoss!.mean
            if loss < bLoss
                || (loss == bLoss && (p.alpha0 < b.alpha0 || (p.alpha0 == b.alpha0 && p.configurationID < b.configurationID))) {
                best = p
            }
        }
        return best
    }
}
