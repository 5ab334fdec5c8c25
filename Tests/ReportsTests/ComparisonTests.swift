import Testing
@testable import Reports

/// Regression comparison on crafted summaries.
struct ComparisonTests {
    static func summary(_ configurations: [ConfigurationSummary], suite: String = "nightly",
                        seeds: [UInt64] = [0, 1, 2]) -> SuiteSummary {
        SuiteSummary(suite: suite, suiteDigest: "d", expectedSeeds: seeds, configurations: configurations)
    }

    static func loss(_ mean: Double, _ se: Double) -> Estimate { Estimate(mean: mean, standardError: se, n: 3) }

    static func compare(_ b: ConfigurationSummary, _ c: ConfigurationSummary,
                        options: ComparisonOptions = ComparisonOptions()) -> ComparisonReport {
        Comparison.compare(baseline: summary([b]), current: summary([c]), options: options)
    }

    static func row(_ r: ComparisonReport, _ metric: ComparedMetric) -> ComparisonRow? {
        r.rows.first { $0.metric == metric }
    }

    @Test func clearRegressionIsFlaggedWithStatusOne() {
        // Change +0.10 > max(3·√(0.01² + 0.01²) = 0.042, 0.02·0.5 = 0.01).
        let r = Self.compare(Fixtures.configuration("X", loss: Self.loss(0.50, 0.01)),
                             Fixtures.configuration("X", loss: Self.loss(0.60, 0.01)))
        #expect(r.exitStatus == 1)
        #expect(Self.row(r, .onlineLoss)?.verdict == .regressed)
        #expect(r.regressions.map(\.metric) == [.onlineLoss])
        #expect(r.verdictLine.hasPrefix("REGRESSION: 1 of"))
    }

    @Test func noiseWithinTheToleranceIsNotFlagged() {
        // Change +0.02 < 0.042.
        let r = Self.compare(Fixtures.configuration("X", loss: Self.loss(0.50, 0.01)),
                             Fixtures.configuration("X", loss: Self.loss(0.52, 0.01)))
        #expect(r.exitStatus == 0)
        #expect(Self.row(r, .onlineLoss)?.verdict == .ok)
        #expect(abs(Self.row(r, .onlineLoss)!.threshold! - 3 * 0.0002.squareRoot()) < 1e-12)
        #expect(r.verdictLine.hasPrefix("OK: nothing regressed"))
    }

    @Test func relativeFloorAppliesWhenStandardErrorsAreZero() {
        // se = 0 (one seed): threshold 2 % of 0.5 = 0.01.
        let ok = Self.compare(Fixtures.configuration("X", loss: Self.loss(0.5, 0)),
                              Fixtures.configuration("X", loss: Self.loss(0.509, 0)))
        #expect(ok.exitStatus == 0)
        let bad = Self.compare(Fixtures.configuration("X", loss: Self.loss(0.5, 0)),
                               Fixtures.configuration("X", loss: Self.loss(0.511, 0)))
        #expect(bad.exitStatus == 1)
    }

    @Test func toleranceIsSettable() {
        let options = ComparisonOptions(k: 10, relativeFloor: 0)
        // Threshold 10·0.01414 = 0.141 > 0.10.
        let r = Self.compare(Fixtures.configuration("X", loss: Self.loss(0.50, 0.01)),
                             Fixtures.configuration("X", loss: Self.loss(0.60, 0.01)), options: options)
        #expect(r.exitStatus == 0)
    }

    @Test func improvementIsListedAndDoesNotFail() {
        let r = Self.compare(Fixtures.configuration("X", loss: Self.loss(0.50, 0.01)),
                             Fixtures.configuration("X", loss: Self.loss(0.40, 0.01)))
        #expect(r.exitStatus == 0)
        #expect(r.improvements.map(\.metric) == [.onlineLoss])
        let md = r.markdown()
        #expect(md.contains("### Improvements"))
        #expect(md.contains("| X | online loss ↓ | 0.500 ± 0.010 | 0.400 ± 0.010 | −0.100 (−20.0 %) | improved |"))
    }

    @Test func accuracyRegressesWhenItDrops() {
        let r = Self.compare(Fixtures.configuration("X", loss: Self.loss(0.5, 0.01), accuracy: Self.loss(0.8, 0.01)),
                             Fixtures.configuration("X", loss: Self.loss(0.5, 0.01), accuracy: Self.loss(0.7, 0.01)))
        #expect(Self.row(r, .onlineAccuracy)?.verdict == .regressed)
        #expect(r.exitStatus == 1)
    }

    @Test func throughputHasItsOwnLooserTolerance() {
        func run(_ current: Double) -> RowVerdict? {
            let r = Self.compare(
                Fixtures.configuration("X", loss: Self.loss(0.5, 0.01), stepsPerSecond: Self.loss(1000, 0)),
                Fixtures.configuration("X", loss: Self.loss(0.5, 0.01), stepsPerSecond: Self.loss(current, 0)))
            return Self.row(r, .stepsPerSecond)?.verdict
        }
        #expect(run(800) == .ok)  // −20 %: would fail the 2 % floor, passes the 25 % tolerance
        #expect(run(740) == .regressed)  // below 1000 × (1 − 0.25)
        #expect(run(1300) == .improved)
    }

    @Test func moreDivergedSeedsIsARegression() {
        let r = Self.compare(Fixtures.configuration("X", loss: Self.loss(0.5, 0.01), diverged: 0),
                             Fixtures.configuration("X", loss: Self.loss(0.5, 0.01), diverged: 1))
        #expect(Self.row(r, .divergedSeeds)?.verdict == .regressed)
        #expect(r.exitStatus == 1)
    }

    @Test func aMetricThatDisappearsRegresses() {
        let r = Self.compare(Fixtures.configuration("X", loss: Self.loss(0.5, 0.01)),
                             Fixtures.configuration("X", loss: nil, diverged: 3))
        #expect(Self.row(r, .onlineLoss)?.verdict == .regressed)
    }

    @Test func differentSuiteNamesAreIncomparable() {
        let c = [Fixtures.configuration("X", loss: Self.loss(0.5, 0.01))]
        let r = Comparison.compare(baseline: Self.summary(c, suite: "a"), current: Self.summary(c, suite: "b"))
        #expect(r.exitStatus == 2)
        #expect(r.incomparableReasons.contains { $0.contains("different suites") })
        #expect(r.rows.isEmpty)
        #expect(r.verdictLine.hasPrefix("INCOMPARABLE"))
    }

    @Test func differentSeedsAreIncomparable() {
        let c = [Fixtures.configuration("X", loss: Self.loss(0.5, 0.01))]
        let r = Comparison.compare(baseline: Self.summary(c), current: Self.summary(c, seeds: [0, 1, 3]))
        #expect(r.exitStatus == 2)
        #expect(r.incomparableReasons.contains { $0.contains("different seeds") })
        // Seeds that ran for a configuration count too.
        let r2 = Comparison.compare(
            baseline: Self.summary([Fixtures.configuration("X", loss: Self.loss(0.5, 0.01))]),
            current: Self.summary([Fixtures.configuration("X", loss: Self.loss(0.5, 0.01), seeds: [0, 1])]))
        #expect(r2.exitStatus == 2)
        #expect(r2.incomparableReasons == ["X: different seeds (baseline [0, 1, 2], current [0, 1])"])
    }

    @Test func differentStreamFingerprintsAreIncomparable() {
        let r = Self.compare(Fixtures.configuration("X", loss: Self.loss(0.5, 0.01)),
                             Fixtures.configuration("X", loss: Self.loss(0.5, 0.01), fingerprint: "other"))
        #expect(r.exitStatus == 2)
        #expect(r.incomparableReasons == ["X: different stream fingerprints for seeds [0, 1, 2]"])
    }

    @Test func differentConfigurationSetsAreIncomparableAndListed() {
        let b = Self.summary([Fixtures.configuration("X", loss: Self.loss(0.5, 0.01)),
                              Fixtures.configuration("Y", loss: Self.loss(0.5, 0.01))])
        let c = Self.summary([Fixtures.configuration("X", loss: Self.loss(0.5, 0.01)),
                              Fixtures.configuration("Z", loss: Self.loss(0.5, 0.01))])
        let r = Comparison.compare(baseline: b, current: c)
        #expect(r.exitStatus == 2)
        #expect(r.incomparableReasons.contains("configurations only in the baseline: Y"))
        #expect(r.incomparableReasons.contains("configurations only in the current summary: Z"))
        #expect(r.markdown().contains("- configurations only in the baseline: Y"))
    }

    @Test func identicalSummariesPassWithEveryMetricChecked() {
        let s = SuiteSummary.build(suite: "demo", suiteDigest: "abc", records: Fixtures.syntheticSuite(),
                                   expectedSeeds: [0, 1, 2])
        let r = Comparison.compare(baseline: s, current: s)
        #expect(r.exitStatus == 0)
        #expect(r.rows.count == s.configurations.count * ComparedMetric.allCases.count)
        #expect(r.rows.allSatisfy { $0.verdict == .ok })
        #expect(r.markdown().contains("| configuration | metric | baseline | current | change | verdict |"))
    }

    @Test func aChangedSuiteDigestIsANoteNotARefusal() {
        var b = Self.summary([Fixtures.configuration("X", loss: Self.loss(0.5, 0.01))])
        let c = b
        b.suiteDigest = "old"
        let r = Comparison.compare(baseline: b, current: c)
        #expect(r.exitStatus == 0)
        #expect(r.notes.count == 1)
    }
}
