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

    @Test func bestAlphaIsTheLowestMeanLossAmongNonDivergedPoints() {
        let a = GridCandidate(configurationID: "a", alpha0: 1e-3, meanOnlineLoss: 0.5, divergedSeeds: 0)
        let b = GridCandidate(configurationID: "b", alpha0: 1e-2, meanOnlineLoss: 0.4, divergedSeeds: 1)
        let c = GridCandidate(configurationID: "c", alpha0: 1e-4, meanOnlineLoss: 0.6, divergedSeeds: 0)
        let choice = Statistics.bestAlpha([c, b, a])
        #expect(choice.best == a)  // b is lower but had a diverged seed
        #expect(choice.ineligible == [b])
    }

    @Test func bestAlphaTiesGoToTheSmallerAlpha() {
        let a = GridCandidate(configurationID: "a", alpha0: 1e-3, meanOnlineLoss: 0.5, divergedSeeds: 0)
        let d = GridCandidate(configurationID: "d", alpha0: 1e-4, meanOnlineLoss: 0.5, divergedSeeds: 0)
        #expect(Statistics.bestAlpha([a, d]).best == d)
        #expect(Statistics.bestAlpha([d, a]).best == d)
    }

    @Test func bestAlphaIsNilWhenNoPointIsEligible() {
        let b = GridCandidate(configurationID: "b", alpha0: 1e-2, meanOnlineLoss: 0.4, divergedSeeds: 2)
        let e = GridCandidate(configurationID: "e", alpha0: 1e-1, meanOnlineLoss: nil, divergedSeeds: 0)
        let choice = Statistics.bestAlpha([b, e])
        #expect(choice.best == nil)
        #expect(choice.ineligible == [b, e])
    }
}
