import Foundation

/// Tolerances of the regression comparison (`mobench compare`).
public struct ComparisonOptions: Codable, Sendable, Equatable {
    /// Multiplier of the combined standard error √(se_b² + se_c²). Default 3.
    public var k: Double
    /// Relative floor of the threshold, as a fraction of |baseline mean|. Default 0.02 (2 %), which keeps
    /// single-seed (se = 0) and very-low-noise metrics from flagging tiny numerical drift.
    public var relativeFloor: Double
    /// Throughput tolerance as a fraction: steps/s regress when current < baseline × (1 − tolerance) and improve
    /// when current > baseline × (1 + tolerance). Default 0.25 (timings are noisy and machine-dependent).
    public var throughputTolerance: Double

    public init(k: Double = 3, relativeFloor: Double = 0.02, throughputTolerance: Double = 0.25) {
        self.k = k
        self.relativeFloor = relativeFloor
        self.throughputTolerance = throughputTolerance
    }

    enum CodingKeys: String, CodingKey {
        case k
        case relativeFloor = "relative_floor"
        case throughputTolerance = "throughput_tolerance"
    }
}

/// A compared metric and the direction in which it is better.
///
/// `online_loss` and `auc_online_loss`: lower is better. `online_accuracy`, `cumulative_accuracy`: higher is
/// better. `diverged_seeds`: lower is better, any increase is a regression. `steps_per_second`: higher is better,
/// judged by ``ComparisonOptions/throughputTolerance`` only.
public enum ComparedMetric: String, Codable, Sendable, Equatable, CaseIterable {
    case onlineLoss = "online_loss"
    case onlineAccuracy = "online_accuracy"
    case cumulativeAccuracy = "cumulative_accuracy"
    case aucOnlineLoss = "auc_online_loss"
    case divergedSeeds = "diverged_seeds"
    case stepsPerSecond = "steps_per_second"

    public var lowerIsBetter: Bool {
        switch self {
        case .onlineLoss, .aucOnlineLoss, .divergedSeeds: return true
        case .onlineAccuracy, .cumulativeAccuracy, .stepsPerSecond: return false
        }
    }

    /// Display scale (accuracies in %).
    var displayScale: Double { self == .onlineAccuracy || self == .cumulativeAccuracy ? 100 : 1 }

    var displayName: String {
        switch self {
        case .onlineLoss: return "online loss ↓"
        case .onlineAccuracy: return "online acc % ↑"
        case .cumulativeAccuracy: return "cumulative acc % ↑"
        case .aucOnlineLoss: return "AUC online loss ↓"
        case .divergedSeeds: return "diverged seeds ↓"
        case .stepsPerSecond: return "steps/s ↑"
        }
    }

    func value(_ c: ConfigurationSummary) -> Estimate? {
        switch self {
        case .onlineLoss: return c.onlineLoss
        case .onlineAccuracy: return c.onlineAccuracy
        case .cumulativeAccuracy: return c.cumulativeAccuracy
        case .aucOnlineLoss: return c.aucOnlineLoss
        case .divergedSeeds: return Estimate(mean: Double(c.divergedCount), standardError: 0, n: c.n)
        case .stepsPerSecond: return c.stepsPerSecond
        }
    }
}

/// The verdict on one (configuration, metric).
public enum RowVerdict: String, Codable, Sendable, Equatable {
    case ok, improved, regressed
}

/// One line of the comparison.
public struct ComparisonRow: Codable, Sendable, Equatable {
    public var configurationID: String
    public var metric: ComparedMetric
    public var baseline: Estimate?
    public var current: Estimate?
    /// current mean − baseline mean (raw units: fractions for accuracies).
    public var change: Double?
    /// The threshold the change was judged against (raw units; for throughput the allowed drop in steps/s).
    public var threshold: Double?
    public var verdict: RowVerdict

    enum CodingKeys: String, CodingKey {
        case configurationID = "configuration_id"
        case metric, baseline, current, change, threshold, verdict
    }
}

/// The overall outcome; `exitStatus` 0, 1 or 2.
public enum ComparisonStatus: String, Codable, Sendable, Equatable {
    case ok, regression, incomparable

    public var exitStatus: Int32 {
        switch self {
        case .ok: return 0
        case .regression: return 1
        case .incomparable: return 2
        }
    }
}

/// The result of ``Comparison/compare(baseline:current:options:)``.
public struct ComparisonReport: Codable, Sendable, Equatable {
    public var status: ComparisonStatus
    public var options: ComparisonOptions
    /// Why the two summaries cannot be compared (empty when they can).
    public var incomparableReasons: [String]
    /// Informative notes (e.g. a different suite digest).
    public var notes: [String]
    /// One row per (configuration, metric), baseline configuration order, metric order of ``ComparedMetric``.
    /// Empty when incomparable.
    public var rows: [ComparisonRow]

    /// 0 nothing regressed, 1 a regression, 2 incomparable.
    public var exitStatus: Int32 { status.exitStatus }

    public var regressions: [ComparisonRow] { rows.filter { $0.verdict == .regressed } }
    public var improvements: [ComparisonRow] { rows.filter { $0.verdict == .improved } }

    enum CodingKeys: String, CodingKey {
        case status, options
        case incomparableReasons = "incomparable_reasons"
        case notes, rows
    }

    /// The one-line verdict.
    public var verdictLine: String {
        let tolerances = "k = \(NumberFormatting.compact(options.k)), "
            + "relative floor \(percent(options.relativeFloor)), throughput tolerance \(percent(options.throughputTolerance))"
        switch status {
        case .incomparable: return "INCOMPARABLE: " + incomparableReasons.joined(separator: "; ")
        case .regression:
            return "REGRESSION: \(regressions.count) of \(rows.count) checks regressed, \(improvements.count) improved "
                + "(\(tolerances))"
        case .ok: return "OK: nothing regressed; \(improvements.count) of \(rows.count) checks improved (\(tolerances))"
        }
    }

    private func percent(_ x: Double) -> String {
        NumberFormatting.compact(x * 100) + " %"
    }

    func table(_ rows: [ComparisonRow]) -> TextTable {
        TextTable(headers: ["configuration", "metric", "baseline", "current", "change", "verdict"],
                  alignments: [.left, .left, .right, .right, .right, .left],
                  rows: rows.map { r in
                      let scale = r.metric.displayScale
                      var change = "–"
                      if let d = r.change {
                          let se = Statistics.combinedStandardError(r.baseline?.standardError ?? 0,
                                                                    r.current?.standardError ?? 0) * scale
                          let digits = r.metric == .divergedSeeds || r.metric == .stepsPerSecond ? 0
                              : (se > 0 ? NumberFormatting.decimals(forStandardError: se)
                                  : NumberFormatting.decimals(forValue: (r.current?.mean ?? d) * scale))
                          let sign = d > 0 ? "+" : (d < 0 ? "−" : "")
                          change = sign + NumberFormatting.fixed(Swift.abs(d) * scale, decimals: digits)
                          if let b = r.baseline?.mean, b != 0, r.metric != .divergedSeeds {
                              change += " (\(sign)\(NumberFormatting.fixed(Swift.abs(d / b) * 100, decimals: 1)) %)"
                          }
                      }
                      func show(_ e: Estimate?) -> String {
                          r.metric == .divergedSeeds ? e.map { "\(Int($0.mean))/\($0.n)" } ?? "–"
                              : NumberFormatting.estimate(e, scale: scale,
                                                          maxDecimals: r.metric == .stepsPerSecond ? 0 : 8)
                      }
                      return [r.configurationID, r.metric.displayName, show(r.baseline), show(r.current), change,
                              r.verdict.rawValue]
                  })
    }

    /// The terminal summary of `mobench compare`: the verdict line (with the counts), the reasons when
    /// incomparable, notes, then only the regressed checks as an aligned table, and where the full report went
    /// (`fullReport`, the `--markdown` file) or how to get it.
    public func shortText(fullReport: String?) -> String {
        var out: String
        if status == .incomparable {
            // The reasons one per line (at most 10), not repeated in the verdict line.
            let n = incomparableReasons.count
            out = "INCOMPARABLE: \(n) reason\(n == 1 ? "" : "s") the summaries cannot be compared\n"
            out += incomparableReasons.prefix(10).map { "- \($0)\n" }.joined()
            if n > 10 { out += "- … and \(n - 10) more\(fullReport.map { " (all in \($0))" } ?? " (--markdown FILE lists all)")\n" }
        } else {
            out = verdictLine + "\n"
        }
        out += notes.map { "- note: \($0)\n" }.joined()
        if !regressions.isEmpty {
            out += "\nRegressions\n" + table(regressions).plainText()
            if !out.hasSuffix("\n") { out += "\n" }
        }
        if status != .incomparable {
            out += fullReport.map { "full report (all \(rows.count) checks): \($0)\n" }
                ?? "(--markdown FILE writes all \(rows.count) checks)\n"
        }
        return out
    }

    /// Markdown: the verdict line, then regressions, improvements, and every row.
    public func markdown() -> String { render(markdown: true) }

    /// The same as aligned monospaced text.
    public func plainText() -> String { render(markdown: false) }

    private func render(markdown: Bool) -> String {
        var out = (markdown ? "**\(verdictLine)**" : verdictLine) + "\n\n"
        func section(_ title: String, _ rows: [ComparisonRow]) {
            guard !rows.isEmpty else { return }
            out += (markdown ? "### \(title)" : "\(title)\n" + String(repeating: "-", count: title.count)) + "\n\n"
            out += markdown ? table(rows).markdown() : table(rows).plainText()
            out += "\n"
        }
        if status == .incomparable {
            out += incomparableReasons.map { "- \($0)" }.joined(separator: "\n") + "\n"
        }
        if !notes.isEmpty { out += notes.map { "- note: \($0)" }.joined(separator: "\n") + "\n\n" }
        section("Regressions", regressions)
        section("Improvements", improvements)
        section("All checks", rows)
        return out
    }
}

/// Regression comparison of two suite summaries (`mobench compare BASELINE.json CURRENT.json`).
///
/// For every configuration and metric (see ``ComparedMetric`` for directions), the change is current mean −
/// baseline mean. The threshold is max(k × √(se_b² + se_c²), relativeFloor × |baseline mean|): a change worse than
/// the threshold (strictly) is `regressed`, better than it `improved`, anything else `ok`. Steps/s use only the
/// throughput tolerance; more diverged seeds than the baseline is a regression. A metric that disappears (all
/// seeds now diverge) regresses; one that appears improves. The summaries are incomparable (status 2) when the
/// suite names, schemas, expected seeds or configuration sets differ, or a configuration's seeds or per-seed stream
/// fingerprints differ.
public enum Comparison {
    public static func compare(baseline: SuiteSummary, current: SuiteSummary,
                               options: ComparisonOptions = ComparisonOptions()) -> ComparisonReport {
        var reasons: [String] = []
        var notes: [String] = []
        if baseline.schema != current.schema {
            reasons.append("different schemas (baseline \"\(baseline.schema)\", current \"\(current.schema)\")")
        }
        if baseline.suite != current.suite {
            reasons.append("different suites (baseline \"\(baseline.suite)\", current \"\(current.suite)\")")
        }
        if baseline.suiteDigest != current.suiteDigest {
            notes.append("the suite definition changed (digest \(baseline.suiteDigest) → \(current.suiteDigest))")
        }
        if Set(baseline.expectedSeeds) != Set(current.expectedSeeds) {
            reasons.append("different seeds (baseline \(list(baseline.expectedSeeds.sorted())), "
                + "current \(list(current.expectedSeeds.sorted())))")
        }
        let baselineIDs = baseline.configurations.map(\.configurationID)
        let currentIDs = Set(current.configurations.map(\.configurationID))
        let onlyBaseline = baselineIDs.filter { !currentIDs.contains($0) }
        let onlyCurrent = current.configurations.map(\.configurationID).filter { !Set(baselineIDs).contains($0) }
        if !onlyBaseline.isEmpty {
            reasons.append("configurations only in the baseline: " + onlyBaseline.joined(separator: ", "))
        }
        if !onlyCurrent.isEmpty {
            reasons.append("configurations only in the current summary: " + onlyCurrent.joined(separator: ", "))
        }
        var pairs: [(ConfigurationSummary, ConfigurationSummary)] = []
        for b in baseline.configurations {
            guard let c = current.configuration(b.configurationID) else { continue }
            pairs.append((b, c))
            if b.seeds != c.seeds {
                reasons.append("\(b.configurationID): different seeds (baseline \(list(b.seeds)), "
                    + "current \(list(c.seeds)))")
                continue
            }
            let currentPrints = Dictionary(c.streamFingerprints.map { ($0.seed, $0.fingerprint) },
                                           uniquingKeysWith: { first, _ in first })
            let differing = b.streamFingerprints.filter { currentPrints[$0.seed] != $0.fingerprint }.map(\.seed)
            if !differing.isEmpty {
                reasons.append("\(b.configurationID): different stream fingerprints for seeds \(list(differing))")
            }
        }
        guard reasons.isEmpty else {
            return ComparisonReport(status: .incomparable, options: options, incomparableReasons: reasons,
                                    notes: notes, rows: [])
        }
        var rows: [ComparisonRow] = []
        for (b, c) in pairs {
            for metric in ComparedMetric.allCases {
                rows.append(judge(metric, id: b.configurationID, baseline: metric.value(b), current: metric.value(c),
                                  options: options))
            }
        }
        let status: ComparisonStatus = rows.contains { $0.verdict == .regressed } ? .regression : .ok
        return ComparisonReport(status: status, options: options, incomparableReasons: [], notes: notes, rows: rows)
    }

    /// The verdict on one metric (see ``Comparison``).
    public static func judge(_ metric: ComparedMetric, id: String, baseline: Estimate?, current: Estimate?,
                             options: ComparisonOptions) -> ComparisonRow {
        var row = ComparisonRow(configurationID: id, metric: metric, baseline: baseline, current: current,
                                change: nil, threshold: nil, verdict: .ok)
        switch (baseline, current) {
        case (nil, nil): return row
        case (.some, nil):
            row.verdict = .regressed
            return row
        case (nil, .some):
            row.verdict = .improved
            return row
        case let (b?, c?):
            let change = c.mean - b.mean
            row.change = change
            // Positive `worse` = current worse than baseline.
            let worse = metric.lowerIsBetter ? change : -change
            let threshold: Double
            switch metric {
            case .divergedSeeds:
                threshold = 0
            case .stepsPerSecond:
                threshold = options.throughputTolerance * Swift.abs(b.mean)
            default:
                threshold = max(options.k * Statistics.combinedStandardError(b.standardError, c.standardError),
                                options.relativeFloor * Swift.abs(b.mean))
            }
            row.threshold = threshold
            if !worse.isFinite {
                row.verdict = worse.isNaN ? .regressed : (worse > 0 ? .regressed : .improved)
            } else if worse > threshold {
                row.verdict = .regressed
            } else if -worse > threshold {
                row.verdict = .improved
            }
            return row
        }
    }

    private static func list(_ seeds: [UInt64]) -> String {
        "[" + seeds.map(String.init).joined(separator: ", ") + "]"
    }
}
