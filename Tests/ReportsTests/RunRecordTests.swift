import Foundation
import Testing
@testable import Reports

/// The record's JSON contract with the suite runner.
struct RunRecordTests {
    @Test func decodesHandWrittenSnakeCaseJSON() throws {
        let json = """
            {"configuration_id": "g/AdamW fixed/alpha0=1e-3", "group": "g", "label": "AdamW fixed",
             "method": "meta_optimize", "grid": null, "alpha0": 0.001, "seed": 7, "stream_fingerprint": "abc",
             "diverged": true, "diverged_at_step": 120, "planned_steps": 1000, "steps": 120,
             "online_loss": null, "online_accuracy": 0.25, "cumulative_accuracy": 0.3,
             "curve": [{"step": 100, "task": 0, "online_loss": 1.5, "online_accuracy": 0.2,
                        "cumulative_accuracy": 0.2, "step_sizes": [0.001, 0.002]}],
             "step_size_groups": ["others", "last_layer"], "step_sizes_are_log_summary": false,
             "task_length": 500, "task_test_accuracy": [0.5, null], "task_online_accuracy": [0.4],
             "wall_seconds": 1.5, "steps_per_second": 80}
            """
        let r = try ReportsJSON.decode(RunRecord.self, from: Data(json.utf8), file: "run.json")
        #expect(r.method == .metaOptimize)
        #expect(r.seed == 7 && r.divergedAtStep == 120 && r.diverged)
        #expect(r.onlineLoss == nil && r.onlineAccuracy == 0.25)
        #expect(r.curve.first?.stepSizes == [0.001, 0.002])
        #expect(r.taskTestAccuracy == [0.5, nil])
        #expect(r.stepSizeGroups == ["others", "last_layer"])
    }

    @Test func encodesSnakeCaseKeysAndRoundTrips() throws {
        let r = Fixtures.record("c", seed: 3, loss: 0.5,
                                curve: [CurvePoint(step: 10, task: 0, onlineLoss: 1, onlineAccuracy: 0.5,
                                                   cumulativeAccuracy: 0.5, stepSizes: [1e-3])],
                                taskTest: [0.4, nil])
        let data = try ReportsJSON.encode(r)
        let text = try #require(String(data: data, encoding: .utf8))
        for key in ["\"configuration_id\"", "\"stream_fingerprint\"", "\"steps_per_second\"", "\"step_sizes\"",
                    "\"task_test_accuracy\"", "\"step_sizes_are_log_summary\""] {
            #expect(text.contains(key), "missing \(key)")
        }
        #expect(!text.contains("configurationID"))
        #expect(try ReportsJSON.decode(RunRecord.self, from: data, file: "x") == r)
    }

    @Test("MetaOptimize, hypergradient descent and the learning-rate-free competitors are compared with the fixed grids; fixed, schedules and other methods are not")
    func adaptiveKinds() {
        #expect(MethodKind.allCases.filter(\.isAdaptive) == [.metaOptimize, .hypergradient, .learningRateFree])
    }
}
