import Foundation

/// A seed that diverged, and the step at which the runner stopped it (when known).
public struct SeedDivergence: Codable, Sendable, Equatable {
    public var seed: UInt64
    public var step: Int?
}

/// The stream fingerprint one seed of a configuration saw.
public struct SeedFingerprint: Codable, Sendable, Equatable {
    public var seed: UInt64
    public var fingerprint: String
}

/// One point of a configuration's learning curve aggregated over its non-diverged seeds.
///
/// Consecutive runner bins may be merged (see ``SuiteSummary/build(suite:suiteDigest:records:expectedSeeds:maxCurvePoints:)``):
/// per seed, the merged online loss and accuracy are the step-weighted means of the merged bins, the cumulative
/// accuracy and step sizes those at the end of the last merged bin; then mean (and s.e.) over seeds.
public struct AggregatedCurvePoint: Codable, Sendable, Equatable {
    /// Completed steps at the end of the (merged) bin.
    public var step: Int
    /// Task index of the last merged bin (as the runner numbers tasks).
    public var task: Int
    /// Online loss (nats): mean and standard error over the seeds that have this point.
    public var onlineLoss: Estimate
    /// Mean over seeds of the bin's online accuracy (fraction).
    public var onlineAccuracy: Double
    /// Mean over seeds of the cumulative accuracy (fraction) at the end of the bin.
    public var cumulativeAccuracy: Double
    /// Mean over seeds of β = log α per step-size group (so exp of it is the geometric mean of α over seeds); for
    /// log-α summaries the means of [mean, min, max] of log α.
    public var logStepSizes: [Double]
    /// Arithmetic mean over seeds of α per step-size group (the paper's averaging); nil for log-α summaries.
    public var stepSizes: [Double]?

    /// Geometric mean of α over seeds per group: exp(mean β).
    public var geometricMeanStepSizes: [Double] { logStepSizes.map { Foundation.exp($0) } }

    enum CodingKeys: String, CodingKey {
        case step, task
        case onlineLoss = "online_loss"
        case onlineAccuracy = "online_accuracy"
        case cumulativeAccuracy = "cumulative_accuracy"
        case logStepSizes = "log_step_sizes"
        case stepSizes = "step_sizes"
    }
}

/// Everything about one configuration over its seeds.
///
/// Metrics (`onlineLoss`, accuracies, AUC, per-task values) are over the NON-diverged seeds only, with their count
/// in `Estimate.n`; diverged seeds are counted in `divergedCount` and listed in `divergedSeeds`. A metric is nil
/// when no non-diverged seed has it. Throughput and wall time are over all seeds.
public struct ConfigurationSummary: Codable, Sendable, Equatable {
    public var configurationID: String
    public var group: String
    public var label: String
    public var method: MethodKind
    public var grid: String?
    /// Comparison family (`RunRecord.family`).
    public var family: String?
    public var alpha0: Double
    /// Seeds with a record, ascending.
    public var seeds: [UInt64]
    /// Expected seeds without a record.
    public var missingSeeds: [UInt64] = []
    public var divergedCount: Int = 0
    public var divergedSeeds: [SeedDivergence] = []
    public var streamFingerprints: [SeedFingerprint] = []
    public var plannedSteps: Int = 0
    public var taskLength: Int = 0
    public var stepSizeGroups: [String] = []
    public var stepSizesAreLogSummary: Bool = false
    public var onlineLoss: Estimate?
    public var onlineAccuracy: Estimate?
    public var cumulativeAccuracy: Estimate?
    /// `auc_online_loss` in nats·steps (see ``Statistics/aucOnlineLoss(steps:losses:)``).
    public var aucOnlineLoss: Estimate?
    /// Per task index: test accuracy (fraction) at the end of the task.
    public var taskTestAccuracy: [Estimate?] = []
    /// Per task index: online accuracy (fraction) within the task.
    public var taskOnlineAccuracy: [Estimate?] = []
    /// Mean over tasks of the end-of-task test accuracy (fraction), computed per seed then mean ± s.e. over seeds
    /// (the paper's "mean task test accuracy").
    public var meanTaskTestAccuracy: Estimate?
    /// Steps per second over all seeds (diverged ones included).
    public var stepsPerSecond: Estimate?
    /// Total wall time over all seeds, seconds.
    public var wallSecondsTotal: Double = 0
    public var curve: [AggregatedCurvePoint] = []

    /// Number of seeds with a record.
    public var n: Int { seeds.count }

    enum CodingKeys: String, CodingKey {
        case configurationID = "configuration_id"
        case group, label, method, grid, family, alpha0, seeds
        case missingSeeds = "missing_seeds"
        case divergedCount = "diverged_count"
        case divergedSeeds = "diverged_seeds"
        case streamFingerprints = "stream_fingerprints"
        case plannedSteps = "planned_steps"
        case taskLength = "task_length"
        case stepSizeGroups = "step_size_groups"
        case stepSizesAreLogSummary = "step_sizes_are_log_summary"
        case onlineLoss = "online_loss"
        case onlineAccuracy = "online_accuracy"
        case cumulativeAccuracy = "cumulative_accuracy"
        case aucOnlineLoss = "auc_online_loss"
        case taskTestAccuracy = "task_test_accuracy"
        case taskOnlineAccuracy = "task_online_accuracy"
        case meanTaskTestAccuracy = "mean_task_test_accuracy"
        case stepsPerSecond = "steps_per_second"
        case wallSecondsTotal = "wall_seconds_total"
        case curve
    }
}

/// One point of a fixed-α grid in the summary.
public struct GridPoint: Codable, Sendable, Equatable {
    public var configurationID: String
    public var alpha0: Double
    /// Online loss over the non-diverged seeds.
    public var onlineLoss: Estimate?
    /// Seeds with a record.
    public var n: Int
    public var divergedCount: Int
    /// Whether the point could be chosen as best (no diverged seed, a finite mean online loss).
    public var eligible: Bool

    enum CodingKeys: String, CodingKey {
        case configurationID = "configuration_id"
        case alpha0
        case onlineLoss = "online_loss"
        case n
        case divergedCount = "diverged_count"
        case eligible
    }
}

extension GridPoint {
    /// The grid point of one fixed-α configuration of the grid.
    init(member c: ConfigurationSummary) {
        self.init(configurationID: c.configurationID, alpha0: c.alpha0, onlineLoss: c.onlineLoss, n: c.n,
                  divergedCount: c.divergedCount, eligible: c.divergedCount == 0 && (c.onlineLoss?.mean.isFinite ?? false))
    }
}

/// A fixed-α grid and its best α (lowest mean online loss among points without a diverged seed; ties → smaller α).
public struct GridSummary: Codable, Sendable, Equatable {
    /// The grid name (`RunRecord.grid`).
    public var name: String
    public var group: String
    /// Method label of the grid's configurations (of its first point).
    public var label: String
    /// Comparison family of the grid (`RunRecord.family` of its first point).
    public var family: String?
    /// Grid points in increasing α.
    public var points: [GridPoint]
    public var bestConfigurationID: String?
    public var bestAlpha0: Double?

    /// The best point, if any.
    public var best: GridPoint? { points.first { $0.configurationID == bestConfigurationID } }

    enum CodingKeys: String, CodingKey {
        case name, group, label, family, points
        case bestConfigurationID = "best_configuration_id"
        case bestAlpha0 = "best_alpha0"
    }
}

/// Verdict of an adaptive method against a fixed α on mean online loss, at 2 combined standard errors.
public enum MethodVerdict: String, Codable, Sendable, Equatable {
    /// The adaptive method's mean online loss is lower by more than 2 combined s.e.
    case better
    /// Higher by more than 2 combined s.e.
    case worse
    /// Within 2 combined s.e.
    case tie
    /// One of the two has no mean online loss (all seeds diverged or missing).
    case unavailable
}

/// An adaptive configuration (MetaOptimize, hypergradient) against one point of a fixed-α grid of its group.
public struct MethodComparison: Codable, Sendable, Equatable {
    public var configurationID: String
    public var label: String
    public var grid: String
    public var fixedConfigurationID: String
    public var fixedAlpha0: Double
    /// Whether the fixed point is the grid's best α.
    public var fixedIsBest: Bool
    /// Mean online loss of the adaptive method minus that of the fixed α (nats); negative = adaptive lower.
    public var difference: Double?
    /// √(se₁² + se₂²).
    public var combinedStandardError: Double?
    public var verdict: MethodVerdict

    enum CodingKeys: String, CodingKey {
        case configurationID = "configuration_id"
        case label, grid
        case fixedConfigurationID = "fixed_configuration_id"
        case fixedAlpha0 = "fixed_alpha0"
        case fixedIsBest = "fixed_is_best"
        case difference
        case combinedStandardError = "combined_standard_error"
        case verdict
    }

    /// The verdict rule: `better` when difference < −2·se, `worse` when > 2·se, else `tie` (with se = 0 any
    /// non-zero difference decides).
    public static func verdict(difference: Double?, combinedStandardError: Double?) -> MethodVerdict {
        guard let d = difference, let se = combinedStandardError, d.isFinite, se.isFinite else { return .unavailable }
        if d < -2 * se { return .better }
        if d > 2 * se { return .worse }
        return .tie
    }
}

/// The suite summary written as `summary.json` (schema "mobench-summary-1").
///
/// Accuracies are fractions, losses nats, AUC nats·steps, α raw (not β). Configurations keep the order in which
/// they first appear in the records given to ``build(suite:suiteDigest:records:expectedSeeds:maxCurvePoints:)``
/// (pass records in suite order for a deterministic file); seeds are sorted.
public struct SuiteSummary: Codable, Sendable, Equatable {
    public static let schemaVersion = "mobench-summary-1"

    public var schema: String = SuiteSummary.schemaVersion
    public var suite: String
    /// Digest of the suite definition (informative: a changed digest does not by itself make summaries incomparable).
    public var suiteDigest: String
    public var expectedSeeds: [UInt64]
    public var configurations: [ConfigurationSummary]
    public var grids: [GridSummary] = []
    public var comparisons: [MethodComparison] = []
    /// Problems found while summarising (missing or duplicate seeds, inconsistent fields, differing streams, …).
    public var warnings: [String] = []

    enum CodingKeys: String, CodingKey {
        case schema, suite
        case suiteDigest = "suite_digest"
        case expectedSeeds = "expected_seeds"
        case configurations, grids, comparisons, warnings
    }

    /// Groups in order of first appearance.
    public var groups: [String] {
        var seen = Set<String>()
        return configurations.compactMap { seen.insert($0.group).inserted ? $0.group : nil }
    }

    /// The configuration with this ID.
    public func configuration(_ id: String) -> ConfigurationSummary? {
        configurations.first { $0.configurationID == id }
    }

    /// Configurations of a group, in summary order.
    public func configurations(inGroup group: String) -> [ConfigurationSummary] {
        configurations.filter { $0.group == group }
    }

    /// Grids of a group, in summary order.
    public func grids(inGroup group: String) -> [GridSummary] {
        grids.filter { $0.group == group }
    }

    /// Reads `summary.json`, checking the schema.
    public static func load(from url: URL) throws(ReportsError) -> SuiteSummary {
        let summary = try ReportsJSON.read(SuiteSummary.self, from: url)
        guard summary.schema == schemaVersion else {
            throw .schemaMismatch(file: url.path, expected: schemaVersion, found: summary.schema)
        }
        return summary
    }

    /// Writes `summary.json` atomically.
    public func write(to url: URL) throws(ReportsError) {
        try ReportsJSON.write(self, to: url)
    }
}

// MARK: - Building

extension SuiteSummary {
    /// Summarises finished runs.
    ///
    /// - Parameters:
    ///   - suite: suite name; `suiteDigest`: digest of its definition.
    ///   - records: one per (configuration, seed), in suite order (configurations keep their first-appearance order).
    ///   - expectedSeeds: the suite's seeds; absent ones are listed per configuration as `missing_seeds`.
    ///   - maxCurvePoints: the aggregated curves keep at most this many points (consecutive runner bins are merged,
    ///     per seed, before averaging over seeds).
    public static func build(suite: String, suiteDigest: String, records: [RunRecord], expectedSeeds: [UInt64],
                             maxCurvePoints: Int = 200) -> SuiteSummary {
        var warnings: [String] = []
        var order: [String] = []
        var byConfiguration: [String: [RunRecord]] = [:]
        for r in records {
            if byConfiguration[r.configurationID] == nil { order.append(r.configurationID) }
            byConfiguration[r.configurationID, default: []].append(r)
        }
        let expected = expectedSeeds.sorted()
        var configurations: [ConfigurationSummary] = []
        for id in order {
            let runs = deduplicated(byConfiguration[id] ?? [], warnings: &warnings)
            configurations.append(summarise(id: id, runs: runs, expectedSeeds: expected,
                                            maxCurvePoints: maxCurvePoints, warnings: &warnings))
        }
        warnings += streamWarnings(configurations)
        let grids = buildGrids(configurations)
        let comparisons = buildComparisons(configurations, grids: grids)
        return SuiteSummary(suite: suite, suiteDigest: suiteDigest, expectedSeeds: expected,
                            configurations: configurations, grids: grids, comparisons: comparisons,
                            warnings: warnings)
    }

    /// Sorts by seed and drops repeated seeds (keeping the first), with a warning.
    private static func deduplicated(_ runs: [RunRecord], warnings: inout [String]) -> [RunRecord] {
        var seen = Set<UInt64>()
        var kept: [RunRecord] = []
        for r in runs {
            if seen.insert(r.seed).inserted {
                kept.append(r)
            } else {
                warnings.append("\(r.configurationID): seed \(r.seed) has more than one record; the first is used")
            }
        }
        return kept.sorted { $0.seed < $1.seed }
    }

    private static func summarise(id: String, runs: [RunRecord], expectedSeeds: [UInt64], maxCurvePoints: Int,
                                  warnings: inout [String]) -> ConfigurationSummary {
        let first = runs[0]
        for r in runs.dropFirst() {
            var differing: [String] = []
            if r.group != first.group { differing.append("group") }
            if r.label != first.label { differing.append("label") }
            if r.method != first.method { differing.append("method") }
            if r.grid != first.grid { differing.append("grid") }
            if r.alpha0 != first.alpha0 { differing.append("alpha0") }
            if r.plannedSteps != first.plannedSteps { differing.append("planned_steps") }
            if r.taskLength != first.taskLength { differing.append("task_length") }
            if r.stepSizeGroups != first.stepSizeGroups
                || r.stepSizesAreLogSummary != first.stepSizesAreLogSummary {
                differing.append("step_size_groups")
            }
            if !differing.isEmpty {
                warnings.append("\(id): seed \(r.seed) differs from seed \(first.seed) in "
                    + differing.joined(separator: ", ") + "; the values of seed \(first.seed) are shown")
            }
        }
        let seedSet = Set(runs.map(\.seed))
        let missing = expectedSeeds.filter { !seedSet.contains($0) }
        let unexpected = runs.map(\.seed).filter { !expectedSeeds.contains($0) }
        if !unexpected.isEmpty {
            warnings.append("\(id): seeds \(unexpected.map(String.init).joined(separator: ", ")) are not in the "
                + "suite's seeds")
        }
        let ok = runs.filter { !$0.diverged }
        let diverged = runs.filter(\.diverged)

        func metric(_ name: String, _ value: (RunRecord) -> Double?) -> Estimate? {
            var values: [Double] = []
            for r in ok {
                guard let v = value(r) else { continue }
                if v.isFinite {
                    values.append(v)
                } else {
                    warnings.append("\(id): seed \(r.seed) is not marked diverged but its \(name) is \(v); "
                        + "left out of the mean")
                }
            }
            return Statistics.estimate(values)
        }

        let taskCount = ok.map { max($0.taskTestAccuracy.count, $0.taskOnlineAccuracy.count) }.max() ?? 0
        var taskTest: [Estimate?] = []
        var taskOnline: [Estimate?] = []
        for k in 0..<taskCount {
            taskTest.append(Statistics.estimate(ok.compactMap {
                k < $0.taskTestAccuracy.count ? $0.taskTestAccuracy[k] : nil
            }.filter(\.isFinite)))
            taskOnline.append(Statistics.estimate(ok.compactMap {
                k < $0.taskOnlineAccuracy.count ? $0.taskOnlineAccuracy[k] : nil
            }.filter(\.isFinite)))
        }
        let throughput = Statistics.estimate(runs.map(\.stepsPerSecond).filter(\.isFinite))
        var wall = 0.0
        for r in runs { wall += r.wallSeconds }

        return ConfigurationSummary(
            configurationID: id, group: first.group, label: first.label, method: first.method, grid: first.grid,
            family: first.family, alpha0: first.alpha0, seeds: runs.map(\.seed), missingSeeds: missing, divergedCount: diverged.count,
            divergedSeeds: diverged.map { SeedDivergence(seed: $0.seed, step: $0.divergedAtStep) },
            streamFingerprints: runs.map { SeedFingerprint(seed: $0.seed, fingerprint: $0.streamFingerprint) },
            plannedSteps: first.plannedSteps, taskLength: first.taskLength, stepSizeGroups: first.stepSizeGroups,
            stepSizesAreLogSummary: first.stepSizesAreLogSummary,
            onlineLoss: metric("online_loss") { $0.onlineLoss },
            onlineAccuracy: metric("online_accuracy") { $0.onlineAccuracy },
            cumulativeAccuracy: metric("cumulative_accuracy") { $0.cumulativeAccuracy },
            aucOnlineLoss: metric("auc_online_loss") { Statistics.aucOnlineLoss($0.curve) },
            taskTestAccuracy: taskTest, taskOnlineAccuracy: taskOnline,
            meanTaskTestAccuracy: metric("mean_task_test_accuracy") {
                Statistics.mean($0.taskTestAccuracy.compactMap { $0 }.filter(\.isFinite))
            },
            stepsPerSecond: throughput,
            wallSecondsTotal: wall,
            curve: aggregateCurves(ok.map(\.curve), logSummary: first.stepSizesAreLogSummary,
                                   groupCount: first.stepSizeGroups.count, maxPoints: maxCurvePoints))
    }

    /// Merges runner bins into at most `maxPoints` chunks (defined on the union of the seeds' steps) and averages
    /// over seeds.
    static func aggregateCurves(_ curves: [[CurvePoint]], logSummary: Bool, groupCount: Int,
                                maxPoints: Int) -> [AggregatedCurvePoint] {
        let sortedCurves = curves.map { $0.sorted { $0.step < $1.step } }
        let allSteps = Array(Set(sortedCurves.flatMap { $0.map(\.step) })).sorted()
        guard !allSteps.isEmpty else { return [] }
        let chunk = max(1, (allSteps.count + max(1, maxPoints) - 1) / max(1, maxPoints))
        // chunk index of each step
        var chunkOf: [Int: Int] = [:]
        for (i, s) in allSteps.enumerated() { chunkOf[s] = i / chunk }
        let chunkCount = (allSteps.count + chunk - 1) / chunk

        // Per seed, per chunk: merged values.
        struct Merged {
            var weight = 0.0, loss = 0.0, accuracy = 0.0
            var last: CurvePoint?
        }
        var perSeed: [[Merged]] = []
        for curve in sortedCurves {
            var merged = [Merged](repeating: Merged(), count: chunkCount)
            var previousStep = 0
            for p in curve {
                guard let c = chunkOf[p.step] else { continue }
                let w = Double(max(p.step - previousStep, 0))
                previousStep = p.step
                let weight = w > 0 ? w : 1
                merged[c].weight += weight
                merged[c].loss += weight * p.onlineLoss
                merged[c].accuracy += weight * p.onlineAccuracy
                merged[c].last = p
            }
            perSeed.append(merged)
        }

        var result: [AggregatedCurvePoint] = []
        for c in 0..<chunkCount {
            var losses: [Double] = [], accuracies: [Double] = [], cumulative: [Double] = []
            var logSizes: [[Double]] = Array(repeating: [], count: groupCount)
            var sizes: [[Double]] = Array(repeating: [], count: groupCount)
            var step = 0, task = 0, haveTask = false
            for seed in perSeed {
                let m = seed[c]
                guard let last = m.last, m.weight > 0 else { continue }
                let loss = m.loss / m.weight
                guard loss.isFinite else { continue }
                losses.append(loss)
                accuracies.append(m.accuracy / m.weight)
                cumulative.append(last.cumulativeAccuracy)
                step = max(step, last.step)
                if !haveTask {
                    task = last.task
                    haveTask = true
                }
                for g in 0..<min(groupCount, last.stepSizes.count) {
                    let v = last.stepSizes[g]
                    if logSummary {
                        if v.isFinite { logSizes[g].append(v) }
                    } else if v.isFinite, v > 0 {
                        logSizes[g].append(Foundation.log(v))
                        sizes[g].append(v)
                    }
                }
            }
            guard let loss = Statistics.estimate(losses) else { continue }
            let nan = Double.nan
            result.append(AggregatedCurvePoint(
                step: step, task: task, onlineLoss: loss,
                onlineAccuracy: Statistics.mean(accuracies) ?? nan,
                cumulativeAccuracy: Statistics.mean(cumulative) ?? nan,
                logStepSizes: logSizes.map { Statistics.mean($0) ?? nan },
                stepSizes: logSummary ? nil : sizes.map { Statistics.mean($0) ?? nan }))
        }
        return result
    }

    /// Warns when configurations of one group saw different streams for the same seed.
    private static func streamWarnings(_ configurations: [ConfigurationSummary]) -> [String] {
        var warnings: [String] = []
        var groupsSeen: [String] = []
        for c in configurations where !groupsSeen.contains(c.group) { groupsSeen.append(c.group) }
        for group in groupsSeen {
            var reference: [UInt64: (String, String)] = [:]  // seed → (fingerprint, configuration)
            for c in configurations where c.group == group {
                for f in c.streamFingerprints {
                    if let (fp, other) = reference[f.seed] {
                        if fp != f.fingerprint {
                            warnings.append("group \(group), seed \(f.seed): stream fingerprint of "
                                + "\(c.configurationID) (\(f.fingerprint)) differs from that of \(other) (\(fp))")
                        }
                    } else {
                        reference[f.seed] = (f.fingerprint, c.configurationID)
                    }
                }
            }
        }
        return warnings
    }

    private static func buildGrids(_ configurations: [ConfigurationSummary]) -> [GridSummary] {
        var names: [String] = []
        for c in configurations {
            if let g = c.grid, !names.contains(g) { names.append(g) }
        }
        return names.map { name in
            let members = configurations.filter { $0.grid == name }
            let unsorted = members.map(GridPoint.init(member:))
            let best = Statistics.bestAlpha(unsorted)
            let points = unsorted.sorted { $0.alpha0 != $1.alpha0 ? $0.alpha0 < $1.alpha0 : $0.configurationID < $1.configurationID }
            return GridSummary(name: name, group: members[0].group, label: members[0].label, family: members[0].family, points: points,
                               bestConfigurationID: best?.configurationID, bestAlpha0: best?.alpha0)
        }
    }

    private static func buildComparisons(_ configurations: [ConfigurationSummary],
                                         grids: [GridSummary]) -> [MethodComparison] {
        var result: [MethodComparison] = []
        for c in configurations where c.method.isAdaptive {
            for grid in grids where grid.group == c.group
                && (c.family == nil || grid.family == nil || c.family == grid.family) {
                for point in grid.points {
                    var difference: Double?
                    var se: Double?
                    if let a = c.onlineLoss, let b = point.onlineLoss {
                        difference = a.mean - b.mean
                        se = Statistics.combinedStandardError(a.standardError, b.standardError)
                    }
                    result.append(MethodComparison(
                        configurationID: c.configurationID, label: c.label, grid: grid.name,
                        fixedConfigurationID: point.configurationID, fixedAlpha0: point.alpha0,
                        fixedIsBest: point.configurationID == grid.bestConfigurationID,
                        difference: difference, combinedStandardError: se,
                        verdict: MethodComparison.verdict(difference: difference, combinedStandardError: se)))
                }
            }
        }
        return result
    }
}
