import Foundation
import Testing
@testable import MetaOptimize

@Suite("Schedule: factors (0-based steps) and text form")
struct ScheduleTests {
    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 }

    @Test("constant is 1 at every step")
    func constant() {
        for s in [0, 1, 99, 10_000] { #expect(Schedule.constant.factor(step: s, totalSteps: 100) == 1) }
    }

    @Test("linear: 1 − s/T, reaching 0 at s = T (hand values for T = 100)")
    func linear() {
        let s = Schedule.linear
        #expect(s.factor(step: 0, totalSteps: 100) == 1)
        #expect(Self.close(s.factor(step: 50, totalSteps: 100), 0.5))
        #expect(Self.close(s.factor(step: 99, totalSteps: 100), 0.01))
        #expect(s.factor(step: 100, totalSteps: 100) == 0)
        #expect(s.factor(step: 150, totalSteps: 100) == 0)
    }

    @Test("cosine: ½(1 + cos(πs/T)); s = 25 of 100 gives 0.8535533905932737, s = 50 gives 0.5")
    func cosine() {
        let s = Schedule.cosine
        #expect(s.factor(step: 0, totalSteps: 100) == 1)
        #expect(Self.close(s.factor(step: 25, totalSteps: 100), 0.8535533905932737))
        #expect(Self.close(s.factor(step: 50, totalSteps: 100), 0.5))
        #expect(s.factor(step: 100, totalSteps: 100) == 0)
    }

    @Test("warm-up W = 10 then cosine over T − W = 100: 0.1 at s = 0, 1 at s = 9 and 10, 0.5 at s = 60")
    func warmupCosine() {
        let s = Schedule.warmupCosine(warmup: 10)
        #expect(Self.close(s.factor(step: 0, totalSteps: 110), 0.1))
        #expect(Self.close(s.factor(step: 4, totalSteps: 110), 0.5))
        #expect(Self.close(s.factor(step: 9, totalSteps: 110), 1))
        #expect(Self.close(s.factor(step: 10, totalSteps: 110), 1))
        #expect(Self.close(s.factor(step: 60, totalSteps: 110), 0.5))
        #expect(s.factor(step: 110, totalSteps: 110) == 0)
    }

    @Test("step decay step:1000:0.5: 1 for s < 1000, 0.5 from 1000, 0.25 from 2000")
    func stepDecay() {
        let s = Schedule.step(every: 1000, factor: 0.5)
        #expect(s.factor(step: 0, totalSteps: 0) == 1)
        #expect(s.factor(step: 999, totalSteps: 0) == 1)
        #expect(s.factor(step: 1000, totalSteps: 0) == 0.5)
        #expect(s.factor(step: 2500, totalSteps: 0) == 0.25)
    }

    @Test("text form round-trips; malformed schedules are rejected")
    func parsing() throws {
        let all: [Schedule] = [.constant, .linear, .cosine, .warmupCosine(warmup: 500), .step(every: 1000, factor: 0.5)]
        for s in all {
            #expect(try Schedule(parsing: s.description) == s)
            #expect(try JSONDecoder().decode([Schedule].self, from: JSONEncoder().encode([s])) == [s])
        }
        #expect(Schedule.warmupCosine(warmup: 500).description == "warmup-cosine:500")
        #expect(Schedule.step(every: 1000, factor: 0.5).description == "step:1000:0.5")
        for bad in ["exp", "warmup-cosine", "warmup-cosine:0", "step:10", "step:0:0.5", "step:10:1.5", "step:10:-1",
                    "linear:3"] {
            #expect(throws: OptimizerError.self) { try Schedule(parsing: bad) }
        }
    }
}
