import Testing
@testable import Reports

/// Statistics on hand-computed inputs.
struct StatisticsTests {
    @Test func meanOfHandComputedValues() {
        #expect(Statistics.mean([1, 2, 3, 4]) == 2.5)
        #expect(Statistics.mean([2, 4, 9]) == 5)
        #expect(Statistics.mean([]) == nil)
    }

    @Test func standardErrorUsesNMinusOneThenDividesBySqrtN() throws {
        // [1,2,3,4]: Σ(x−2.5)² = 5, s² = 5/3, s = 1.2909944, se = s/2 = 0.6454972.
        let se = try #require(Statistics.standardError([1, 2, 3, 4]))
        #expect(abs(se - 0.645497224367903) < 1e-12)
        // [2,4,9]: Σ(x−5)² = 26, s² = 13, se = √13/√3 = 2.0816660.
        let se2 = try #require(Statistics.standardError([2, 4, 9]))
        #expect(abs(se2 - 2.081665999466133) < 1e-12)
    }

    @Test func standardErrorOfOneValueIsZeroAndOfNoneIsNil() {
        #expect(Statistics.standardError([3.7]) == 0)
        #expect(Statistics.standardError([]) == nil)
        #expect(Statistics.estimate([]) == nil)
    }

    @Test func estimateCarriesMeanStandardErrorAndCount() {
        #expect(Statistics.estimate([2, 4, 9]) == Estimate(mean: 5, standardError: (13.0 / 3).squareRoot(), n: 3))
    }

    @Test func combinedStandardErrorIsRootSumOfSquares() {
        #expect(Statistics.combinedStandardError(3, 4) == 5)
    }

    @Test func aucStartsAtStepZeroWithTheFirstBinsLoss() throws {
        // (0,2)→(100,2): 200; (100,2)→(200,1): 150; (200,1)→(300,0.5): 75 → 425 nats·steps.
        let auc = try #require(Statistics.aucOnlineLoss(steps: [100, 200, 300], losses: [2, 1, 0.5]))
        #expect(abs(auc - 425) < 1e-12)
        // One bin of 50 steps at loss 3: a rectangle of 150.
        #expect(Statistics.aucOnlineLoss(steps: [50], losses: [3]) == 150)
    }

    @Test func aucHandlesUnequalBinsAndUnsortedPoints() throws {
        // (0,1)→(10,1): 10; (10,1)→(40,3): 30·2 = 60 → 70, whatever the input order.
        #expect(Statistics.aucOnlineLoss(steps: [10, 40], losses: [1, 3]) == 70)
        #expect(Statistics.aucOnlineLoss(steps: [40, 10], losses: [3, 1]) == 70)
    }

    @Test func aucOfACurveMatchesTheArrayForm() {
        let curve = [CurvePoint(step: 100, task: 0, onlineLoss: 2, onlineAccuracy: 0, cumulativeAccuracy: 0),
                     CurvePoint(step: 200, task: 0, onlineLoss: 1, onlineAccuracy: 0, cumulativeAccuracy: 0)]
        #expect(Statistics.aucOnlineLoss(curve) == 350)
        #expect(Statistics.aucOnlineLoss([]) == nil)
    }

    /// A grid point with mean online loss `loss` (nil: no seed produced one) and `diverged` diverged seeds.
    static func point(_ id: String, _ alpha0: Double, _ loss: Double?, diverged: Int = 0) -> GridPoint {
        let member = ConfigurationSummary(configurationID: id, group: "g", label: "l", method: .fixed, grid: "g/l",
                                          alpha0: alpha0, seeds: [0, 1], divergedCount: diverged,
                                          onlineLoss: loss.map { Estimate(mean: $0, standardError: 0, n: 2) })
        return GridPoint(member: member)
    }

    @Test("the best α is the lowest mean loss among points without a diverged seed")
    func bestAlphaIsTheLowestMeanLossAmongNonDivergedPoints() {
        let a = Self.point("a", 1e-3, 0.5), b = Self.point("b", 1e-2, 0.4, diverged: 1), c = Self.point("c", 1e-4, 0.6)
        #expect(Statistics.bestAlpha([c, b, a]) == a)  // b is lower but had a diverged seed
        #expect(!b.eligible && a.eligible && c.eligible)
    }

    @Test("exact ties in mean loss go to the smaller α, whatever the order")
    func bestAlphaTiesGoToTheSmallerAlpha() {
        let a = Self.point("a", 1e-3, 0.5), d = Self.point("d", 1e-4, 0.5)
        #expect(Statistics.bestAlpha([a, d]) == d)
        #expect(Statistics.bestAlpha([d, a]) == d)
    }

    @Test("no best α when every point diverged or has no finite mean")
    func bestAlphaIsNilWhenNoPointIsEligible() {
        let b = Self.point("b", 1e-2, 0.4, diverged: 2), e = Self.point("e", 1e-1, nil), f = Self.point("f", 1, .nan)
        #expect(Statistics.bestAlpha([b, e, f]) == nil)
        #expect([b, e, f].allSatisfy { !$0.eligible })
    }
}
