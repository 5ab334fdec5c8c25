import Foundation
import Testing
@testable import Reports

/// Building `summary.json` from run records (values hand-computed in the comments).
struct SuiteSummaryTests {
    /// Grid G: A (α 1e-3, one diverged seed), B (α 1e-4, loss 0.8 on every seed), C (α 1e-2, 0.9/1.0/1.1);
    /// MetaOptimize M (α0 1e-4, 0.70/0.72/0.74).
    static func gridRecords() -> [RunRecord] {
        var r: [RunRecord] = []
        for (seed, loss) in [(UInt64(0), 0.5), (1, 0.7)] {
            r.append(Fixtures.record("A", grid: "G", alpha0: 1e-3, seed: seed, loss: loss, stepsPerSecond: 1000 + 100 * Double(seed)))
        }
        r.append(Fixtures.record("A", grid: "G", alpha0: 1e-3, seed: 2, loss: .infinity, accuracy: 0.1,
                                 diverged: true, divergedAt: 37, stepsPerSecond: 1200))
        for seed: UInt64 in [0, 1, 2] {
            r.append(Fixtures.record("B", grid: "G", alpha0: 1e-4, seed: seed, loss: 0.8))
            r.append(Fixtures.record("C", grid: "G", alpha0: 1e-2, seed: seed, loss: 0.9 + 0.1 * Double(seed)))
            r.append(Fixtures.record("M", method: .metaOptimize, alpha0: 1e-4, seed: seed,
                                     loss: 0.70 + 0.02 * Double(seed)))
        }
        return r
    }

    static func build(_ records: [RunRecord], seeds: [UInt64] = [0, 1, 2], maxCurvePoints: Int = 200) -> SuiteSummary {
        SuiteSummary.build(suite: "s", suiteDigest: "d", records: records, expectedSeeds: seeds,
                           maxCurvePoints: maxCurvePoints)
    }

    @Test func divergedSeedIsCountedAndExcludedFromTheMean() throws {
        let a = try #require(Self.build(Self.gridRecords()).configuration("A"))
        #expect(a.n == 3)
        #expect(a.divergedCount == 1)
        #expect(a.divergedSeeds == [SeedDivergence(seed: 2, step: 37)])
        // Over seeds 0 and 1 only: mean 0.6, s = 0.1414, se = s/√2 = 0.1.
        let loss = try #require(a.onlineLoss)
        #expect(loss.n == 2)
        #expect(abs(loss.mean - 0.6) < 1e-12)
        #expect(abs(loss.standardError - 0.1) < 1e-12)
        #expect(a.onlineAccuracy?.mean == 0.5)  // the diverged seed's 0.1 is not averaged in
    }

    @Test func throughputAndWallTimeCoverEverySeed() throws {
        let a = try #require(Self.build(Self.gridRecords()).configuration("A"))
        #expect(a.stepsPerSecond?.mean == 1100)
        #expect(a.stepsPerSecond?.n == 3)
        #expect(a.wallSecondsTotal == 3)
    }

    @Test func allSeedsDivergedGivesNullMetrics() throws {
        let records = (0..<2).map {
            Fixtures.record("X", seed: UInt64($0), loss: .nan, diverged: true, divergedAt: 5)
        }
        let x = try #require(Self.build(records, seeds: [0, 1]).configuration("X"))
        #expect(x.onlineLoss == nil && x.onlineAccuracy == nil && x.aucOnlineLoss == nil)
        #expect(x.divergedCount == 2)
    }

    @Test func missingSeedsAreListed() throws {
        let s = Self.build([Fixtures.record("A", seed: 0, loss: 1), Fixtures.record("A", seed: 2, loss: 1)])
        #expect(s.configuration("A")?.missingSeeds == [1])
        #expect(s.configuration("A")?.seeds == [0, 2])
    }

    @Test func bestFixedAlphaSkipsTheGridPointWithADivergedSeed() throws {
        let s = Self.build(Self.gridRecords())
        let grid = try #require(s.grids.first)
        #expect(s.grids.count == 1)
        #expect(grid.points.map(\.configurationID) == ["B", "A", "C"])  // increasing α
        #expect(grid.points.map(\.eligible) == [true, false, true])
        #expect(grid.bestConfigurationID == "B")
        #expect(grid.bestAlpha0 == 1e-4)
    }

    @Test func metaOptimizeIsComparedWithEveryGridPoint() throws {
        let s = Self.build(Self.gridRecords())
        let c = s.comparisons.filter { $0.configurationID == "M" }
        #expect(c.map(\.fixedConfigurationID) == ["B", "A", "C"])
        // vs B: 0.72 − 0.8 = −0.08, se = √(0 + 0.011547²) → better.
        let b = try #require(c.first { $0.fixedConfigurationID == "B" })
        #expect(b.fixedIsBest)
        #expect(abs(b.difference! + 0.08) < 1e-12)
        #expect(abs(b.combinedStandardError! - 0.02 / 3.0.squareRoot()) < 1e-12)
        #expect(b.verdict == .better)
        // vs A: +0.12 with se √(0.1² + 0.011547²) = 0.10066 → within 2 s.e. → tie.
        let a = try #require(c.first { $0.fixedConfigurationID == "A" })
        #expect(a.verdict == .tie && !a.fixedIsBest)
        // vs C: 0.72 − 1.0 = −0.28, se 0.0589 → better.
        #expect(c.first { $0.fixedConfigurationID == "C" }?.verdict == .better)
    }

    @Test func verdictRuleUsesTwoCombinedStandardErrors() {
        #expect(MethodComparison.verdict(difference: -0.21, combinedStandardError: 0.1) == .better)
        #expect(MethodComparison.verdict(difference: -0.19, combinedStandardError: 0.1) == .tie)
        #expect(MethodComparison.verdict(difference: 0.21, combinedStandardError: 0.1) == .worse)
        #expect(MethodComparison.verdict(difference: nil, combinedStandardError: 0.1) == .unavailable)
    }

    @Test func comparisonsStayWithinTheGroup() {
        let records = [Fixtures.record("F", group: "g1", grid: "G1", seed: 0, loss: 1),
                       Fixtures.record("M", group: "g2", method: .metaOptimize, seed: 0, loss: 1)]
        #expect(Self.build(records, seeds: [0]).comparisons.isEmpty)
    }

    @Test func perTaskAccuraciesAreAveragedPerTaskIndex() throws {
        let records = [Fixtures.record("A", seed: 0, loss: 1, taskTest: [0.5, nil], taskOnline: [0.3, 0.4]),
                       Fixtures.record("A", seed: 1, loss: 1, taskTest: [0.7, 0.6], taskOnline: [0.5, 0.4])]
        let a = try #require(Self.build(records, seeds: [0, 1]).configuration("A"))
        #expect(a.taskTestAccuracy.count == 2)
        #expect(abs(a.taskTestAccuracy[0]!.mean - 0.6) < 1e-12)
        #expect(abs(a.taskTestAccuracy[0]!.standardError - 0.1) < 1e-12)
        #expect(a.taskTestAccuracy[1] == Estimate(mean: 0.6, standardError: 0, n: 1))
        #expect(abs(a.taskOnlineAccuracy[0]!.mean - 0.4) < 1e-12)
    }

    static func point(_ step: Int, _ loss: Double, cumulative: Double = 0.5, alpha: Double = 1e-3) -> CurvePoint {
        CurvePoint(step: step, task: step / 100, onlineLoss: loss, onlineAccuracy: 1 - loss / 10,
                   cumulativeAccuracy: cumulative, stepSizes: [alpha])
    }

    @Test func curvesAreMergedPerSeedThenAveragedOverSeeds() throws {
        // Seed 0 losses 1,3,5,7 and seed 1 losses 3,5,7,9 at steps 10…40, merged two bins at a time:
        // seed 0 → 2, 6; seed 1 → 4, 8; over seeds → mean 3 (se 1) at step 20 and 7 (se 1) at step 40.
        let c0 = [Self.point(10, 1), Self.point(20, 3), Self.point(30, 5), Self.point(40, 7, cumulative: 0.2, alpha: 1e-3)]
        let c1 = [Self.point(10, 3), Self.point(20, 5), Self.point(30, 7), Self.point(40, 9, cumulative: 0.4, alpha: 1e-1)]
        let records = [Fixtures.record("A", seed: 0, loss: 1, curve: c0, stepSizeGroups: ["all"]),
                       Fixtures.record("A", seed: 1, loss: 1, curve: c1, stepSizeGroups: ["all"])]
        let curve = try #require(Self.build(records, seeds: [0, 1], maxCurvePoints: 2).configuration("A")).curve
        #expect(curve.map(\.step) == [20, 40])
        #expect(curve.map(\.onlineLoss.mean) == [3, 7])
        #expect(curve.map(\.onlineLoss.standardError) == [1, 1])
        #expect(abs(curve[1].cumulativeAccuracy - 0.3) < 1e-12)
        // Step sizes at the end of the merged bin: geometric mean of 1e-3 and 1e-1 is 1e-2, arithmetic 0.0505.
        #expect(abs(curve[1].geometricMeanStepSizes[0] - 1e-2) < 1e-15)
        #expect(abs(curve[1].stepSizes![0] - 0.0505) < 1e-15)
    }

    @Test func logStepSizeSummariesAreAveragedAsLogs() throws {
        // Weightwise runs report [mean, min, max] of log α; seeds −8/−10/−6 and −6/−9/−4 average to −7/−9.5/−5.
        func run(_ seed: UInt64, _ logs: [Double]) -> RunRecord {
            var r = Fixtures.record("W", method: .metaOptimize, seed: seed, loss: 1,
                                    curve: [CurvePoint(step: 10, task: 0, onlineLoss: 1, onlineAccuracy: 0.5,
                                                       cumulativeAccuracy: 0.5, stepSizes: logs)],
                                    stepSizeGroups: ["mean_log", "min_log", "max_log"])
            r.stepSizesAreLogSummary = true
            return r
        }
        let w = try #require(Self.build([run(0, [-8, -10, -6]), run(1, [-6, -9, -4])], seeds: [0, 1])
            .configuration("W"))
        #expect(w.stepSizesAreLogSummary)
        #expect(w.curve[0].logStepSizes == [-7, -9.5, -5])
        #expect(w.curve[0].stepSizes == nil)
    }

    @Test func mergedBinsAreWeightedByTheirStepCount() throws {
        // Bins (0,10] at loss 1 and (10,40] at loss 3 merge into (10·1 + 30·3)/40 = 2.5.
        let records = [Fixtures.record("A", seed: 0, loss: 1, curve: [Self.point(10, 1), Self.point(40, 3)])]
        let curve = try #require(Self.build(records, seeds: [0], maxCurvePoints: 1).configuration("A")).curve
        #expect(curve.count == 1)
        #expect(curve[0].onlineLoss.mean == 2.5)
        #expect(curve[0].step == 40)
    }

    @Test func aucIsAveragedOverNonDivergedSeeds() throws {
        // Seed 0: 100·2 + 100·1.5 = 350; seed 1: 100·4 + 100·3 = 700 → mean 525.
        let records = [Fixtures.record("A", seed: 0, loss: 1, curve: [Self.point(100, 2), Self.point(200, 1)]),
                       Fixtures.record("A", seed: 1, loss: 1, curve: [Self.point(100, 4), Self.point(200, 2)])]
        let a = try #require(Self.build(records, seeds: [0, 1]).configuration("A"))
        #expect(a.aucOnlineLoss?.mean == 525)
    }

    @Test func divergedSeedsDoNotEnterTheCurves() throws {
        let records = [Fixtures.record("A", seed: 0, loss: 1, curve: [Self.point(10, 1)]),
                       Fixtures.record("A", seed: 1, loss: 1e9, diverged: true, curve: [Self.point(10, 1e9)])]
        let curve = try #require(Self.build(records, seeds: [0, 1]).configuration("A")).curve
        #expect(curve.map(\.onlineLoss) == [Estimate(mean: 1, standardError: 0, n: 1)])
    }

    @Test func differentStreamsForOneSeedWithinAGroupAreWarnedAbout() {
        let records = [Fixtures.record("A", seed: 0, loss: 1, fingerprint: "x"),
                       Fixtures.record("B", seed: 0, loss: 1, fingerprint: "y")]
        let s = Self.build(records, seeds: [0])
        #expect(s.warnings.contains { $0.contains("group g, seed 0") && $0.contains("B") })
        #expect(s.configuration("A")?.streamFingerprints == [SeedFingerprint(seed: 0, fingerprint: "x-0")])
    }

    @Test func duplicateSeedsAndInconsistentFieldsAreWarnedAbout() {
        let records = [Fixtures.record("A", alpha0: 1e-3, seed: 0, loss: 1),
                       Fixtures.record("A", alpha0: 1e-3, seed: 0, loss: 2),
                       Fixtures.record("A", alpha0: 1e-2, seed: 1, loss: 1)]
        let s = Self.build(records, seeds: [0, 1])
        #expect(s.warnings.contains { $0.contains("seed 0 has more than one record") })
        #expect(s.warnings.contains { $0.contains("alpha0") })
        #expect(s.configuration("A")?.onlineLoss?.mean == 1)
    }

    @Test func configurationsKeepTheirFirstAppearanceOrderAndSeedsAreSorted() {
        let records = [Fixtures.record("Z", seed: 2, loss: 1), Fixtures.record("A", seed: 0, loss: 1),
                       Fixtures.record("Z", seed: 0, loss: 1)]
        let s = Self.build(records, seeds: [2, 0])
        #expect(s.configurations.map(\.configurationID) == ["Z", "A"])
        #expect(s.configuration("Z")?.seeds == [0, 2])
        #expect(s.expectedSeeds == [0, 2])
    }

    @Test func jsonRoundTripIsExactAndUsesTheSchema() throws {
        let s = SuiteSummary.build(suite: "demo", suiteDigest: "abc", records: Fixtures.syntheticSuite(),
                                   expectedSeeds: [0, 1, 2])
        let data = try ReportsJSON.encode(s)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains("\"schema\" : \"mobench-summary-1\""))
        #expect(text.contains("\"best_configuration_id\""))
        #expect(text.contains("\"auc_online_loss\""))
        #expect(try ReportsJSON.decode(SuiteSummary.self, from: data, file: "summary.json") == s)
        // Deterministic: the same records give the same bytes.
        let again = SuiteSummary.build(suite: "demo", suiteDigest: "abc", records: Fixtures.syntheticSuite(),
                                       expectedSeeds: [0, 1, 2])
        #expect(try ReportsJSON.encode(again) == data)
    }

    @Test func loadRefusesAnotherSchema() throws {
        var s = Self.build(Self.gridRecords())
        s.schema = "mobench-summary-0"
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("summary-\(UInt64.random(in: 0...UInt64.max)).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try s.write(to: url)
        #expect(throws: ReportsError.schemaMismatch(file: url.path, expected: "mobench-summary-1",
                                                    found: "mobench-summary-0")) {
            _ = try SuiteSummary.load(from: url)
        }
    }
}

@Test("Adaptive configurations are compared only with fixed-α grids of the same family (base rule)")
func comparisonsStayWithinFamily() {
    func record(_ id: String, _ label: String, _ method: MethodKind, grid: String?, family: String, alpha0: Double,
                loss: Double, seed: UInt64) -> RunRecord {
        RunRecord(configurationID: id, group: "g", label: label, method: method, grid: grid, family: family,
                  alpha0: alpha0, seed: seed, streamFingerprint: "f\(seed)", plannedSteps: 10, steps: 10,
                  onlineLoss: loss, onlineAccuracy: 0.5, cumulativeAccuracy: 0.5, taskLength: 10, wallSeconds: 1,
                  stepsPerSecond: 10)
    }
    var records: [RunRecord] = []
    for seed: UInt64 in [0, 1] {
        records.append(record("g/A fixed/alpha0=0.1", "A fixed", .fixed, grid: "g/A fixed", family: "adamw", alpha0: 0.1, loss: 1, seed: seed))
        records.append(record("g/L fixed/alpha0=0.1", "L fixed", .fixed, grid: "g/L fixed", family: "lion", alpha0: 0.1, loss: 2, seed: seed))
        records.append(record("g/A meta", "A meta", .metaOptimize, grid: nil, family: "adamw", alpha0: 0.01, loss: 0.5, seed: seed))
    }
    let summary = SuiteSummary.build(suite: "s", suiteDigest: "d", records: records, expectedSeeds: [0, 1])
    #expect(summary.comparisons.map(\.grid) == ["g/A fixed"])
    #expect(summary.grids.first { $0.name == "g/L fixed" }?.family == "lion")
}
