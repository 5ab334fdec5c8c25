import Foundation

/// The short human-readable summary `mobench run` prints.
public enum RunSummary {
    public static func text(_ r: RunResult) -> String {
        func f(_ v: Double?, _ digits: Int = 4) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "n/a" }
        var lines = [
            "steps \(r.steps)/\(r.plannedSteps)\(r.diverged ? "  DIVERGED at step \(r.divergedAtStep ?? 0)" : "")  " +
            "(\(String(format: "%.1f", r.wallSeconds)) s, \(String(format: "%.0f", r.stepsPerSecond)) steps/s)",
            "online loss \(f(r.onlineLoss))  online accuracy \(f(r.onlineAccuracy.map { $0 * 100 }, 2))%  " +
            "stream \(r.streamFingerprint)",
            "final log step sizes: " + r.zip(r.stepSizeGroups, r.finalLogStepSizes),
            "task  online_loss  online_acc  test_acc",
        ]
        for t in r.tasks {
            lines.append(String(format: "%4d  %11.4f  %9.2f%%  %@", t.task, t.onlineLoss, t.onlineAccuracy * 100,
                                t.testAccuracy.map { String(format: "%7.2f%%", $0 * 100) } ?? "    n/a"))
        }
        return lines.joined(separator: "\n")
    }
}

extension RunResult {
    func zip(_ names: [String], _ values: [Double]) -> String {
        if names.count == values.count {
            return Swift.zip(names, values).map { "\($0)=\(String(format: "%.4f", $1))" }.joined(separator: " ")
        }
        return values.map { String(format: "%.4f", $0) }.joined(separator: " ")
    }
}
