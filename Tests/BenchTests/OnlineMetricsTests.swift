import Testing
@testable import Bench

struct OnlineMetricsTests {
    @Test("Bins, cumulative accuracy and per-task summaries follow their definitions on hand-computed values")
    func handComputedMetrics() {
        var m = OnlineMetrics()
        // Steps 1–5 (batch 1): losses 1,2,3,4,5; correct at steps 2, 3, 5; task 0 for steps 1–3, task 1 after.
        let losses: [Float] = [1, 2, 3, 4, 5]
        let correct = [false, true, true, false, true]
        var closed: [Int] = []
        for i in 0..<5 {
            m.record(loss: losses[i], correct: correct[i], task: i < 3 ? 0 : 1)
            if m.endStep(logEvery: 2) { m.closeBin(task: i < 3 ? 0 : 1, stepSizes: [Double(i)]); closed.append(i + 1) }
        }
        if m.hasOpenBin { m.closeBin(task: 1, stepSizes: [9]) }
        #expect(closed == [2, 4])
        #expect(m.curve.map(\.step) == [2, 4, 5])
        #expect(m.curve.map(\.onlineLoss) == [1.5, 3.5, 5])           // bin means
        #expect(m.curve.map(\.onlineAccuracy) == [0.5, 0.5, 1])
        #expect(m.curve.map(\.cumulativeAccuracy) == [0.5, 2.0 / 4, 3.0 / 5])  // all correct so far / all so far
        #expect(m.curve.map(\.task) == [0, 1, 1])
        #expect(m.onlineLoss == 3 && m.onlineAccuracy == 0.6)
        #expect(m.tasks.count == 2)
        #expect(m.tasks[0].onlineLoss == 2 && m.tasks[0].onlineAccuracy == 2.0 / 3 && m.tasks[0].samples == 3)
        #expect(m.tasks[1].onlineLoss == 4.5 && m.tasks[1].onlineAccuracy == 0.5)
    }

    @Test("Test accuracy attaches to the right task")
    func testAccuracyPerTask() {
        var m = OnlineMetrics()
        m.record(loss: 1, correct: true, task: 0)
        m.record(loss: 1, correct: true, task: 1)
        m.setTestAccuracy(0.25, samples: 8, task: 0)
        #expect(m.tasks[0].testAccuracy == 0.25 && m.tasks[0].testSamples == 8 && m.tasks[1].testAccuracy == nil)
    }
}
