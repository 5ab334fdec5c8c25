import Foundation
import Reports

/// `mobench export tensorboard DIR --out TBDIR`: one TensorBoard run per (configuration, seed) of a suite folder.
///
/// Run `TBDIR/<group>/<configuration>/seed-<s>` (the run's folder without `runs/`, so TensorBoard's run selector
/// groups seeds under their configuration and configurations under their group) holds one event file,
/// `events.out.tfevents.0.mobench`, with float64 scalars:
/// - `online_loss`, `online_accuracy`, `cumulative_accuracy`: every row of `curve.csv`, at its `step`;
/// - `step_size/<column>`: each step-size column of `curve.csv` (`step_size`, `step_size_0`, …, or
///   `log_step_size_mean`/`_min`/`_max`), at its `step`;
/// - `task_test_accuracy`: each task's test accuracy from `result.json`, at the step that ended the task.
/// Values are exactly those of the files (curve.csv's decimal text parses back to the same doubles). Wall times
/// are `step / steps_per_second`, so TensorBoard's relative axis shows the run's own pace.
public enum TensorBoardExport {
    /// Writes the event files; returns the number of runs exported.
    @discardableResult
    public static func export(suiteDirectory: String, to outDirectory: String) throws -> Int {
        let out = suiteDirectory as NSString
        let indexPath = out.appendingPathComponent("runs.json")
        guard let data = FileManager.default.contents(atPath: indexPath) else {
            throw SettingError.invalid("\(indexPath): missing (written by mobench suite and mobench merge)")
        }
        guard let index = try? JSONDecoder().decode(SuiteHTML.Index.self, from: data) else {
            throw SettingError.invalid("\(indexPath): not a mobench run index (schema mobench-runs-1)")
        }
        var exported = 0
        for entry in index.runs {
            let directory = out.appendingPathComponent(entry.directory)
            guard let resultData = FileManager.default.contents(atPath: directory + "/result.json") else { continue }
            guard let result = try? RunResult.decode(resultData) else {
                throw SettingError.invalid("\(directory)/result.json: unreadable result file")
            }
            let curvePath = directory + "/curve.csv"
            let curve = try CurveFile.parse(path: curvePath)
            let header = (FileManager.default.contents(atPath: curvePath).map { String(decoding: $0, as: UTF8.self) } ?? "")
                .prefix { $0 != "\n" }.split(separator: ",").map(String.init)
            let scalars = scalars(result: result, curve: curve, stepSizeColumns: Array(header.dropFirst(5)))
            let name = entry.directory.hasPrefix("runs/") ? String(entry.directory.dropFirst(5)) : entry.directory
            let runDirectory = (outDirectory as NSString).appendingPathComponent(name)
            do { try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true) } catch {
                throw OutputError.cannotCreateDirectory(runDirectory)
            }
            try writeAtomically(Data(TensorBoardEvents.file(scalars, startTime: 0)),
                                to: (runDirectory as NSString).appendingPathComponent("events.out.tfevents.0.mobench"))
            exported += 1
        }
        guard exported > 0 else { throw SettingError.invalid("\(suiteDirectory): no run has a result to export") }
        return exported
    }

    static func scalars(result: RunResult, curve: [CurvePoint], stepSizeColumns: [String]) -> [TensorBoardEvents.Scalar] {
        let pace = result.stepsPerSecond > 0 && result.stepsPerSecond.isFinite ? result.stepsPerSecond : 1
        func wall(_ step: Int) -> Double { Double(step) / pace }
        var out: [TensorBoardEvents.Scalar] = []
        for p in curve {
            out.append((tag: "online_loss", step: p.step, value: p.onlineLoss, wallTime: wall(p.step)))
            out.append((tag: "online_accuracy", step: p.step, value: p.onlineAccuracy, wallTime: wall(p.step)))
            out.append((tag: "cumulative_accuracy", step: p.step, value: p.cumulativeAccuracy, wallTime: wall(p.step)))
            for (column, value) in zip(stepSizeColumns, p.stepSizes) {
                out.append((tag: "step_size/\(column)", step: p.step, value: value, wallTime: wall(p.step)))
            }
        }
        let batch = max(1, result.config.batchSize)
        var samples = 0
        for task in result.tasks {
            samples += task.samples
            let step = (samples + batch - 1) / batch
            if let accuracy = task.testAccuracy {
                out.append((tag: "task_test_accuracy", step: step, value: accuracy, wallTime: wall(step)))
            }
        }
        return out
    }
}
