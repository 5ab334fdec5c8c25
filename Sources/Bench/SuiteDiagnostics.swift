import Foundation
import Reports

/// The suite-level plasticity diagnostics: `diagnostics.json`, a `summary.md` section and the dead-unit and
/// effective-rank figures, from the runs' `result.json` files.
enum SuiteDiagnostics {
    /// Reads the per-task diagnostics of every finished planned run (runs without any are skipped).
    static func records(_ runs: [PlannedRun], outDirectory: String) -> [DiagnosticsRecord] {
        var out: [DiagnosticsRecord] = []
        for run in runs {
            let path = (outDirectory as NSString).appendingPathComponent(run.directory) + "/result.json"
            guard let data = FileManager.default.contents(atPath: path), let r = try? RunResult.decode(data) else { continue }
            let tasks = r.tasks.compactMap { t in
                t.diagnostics.map {
                    TaskDiagnosticsValues(task: t.task, deadFraction: $0.deadFraction, effectiveRank: $0.effectiveRank,
                                          approximateRank: $0.approximateRank.map(Double.init),
                                          gradientNorm: $0.gradientNorm, plasticity: $0.plasticity)
                }
            }
            if !tasks.isEmpty {
                out.append(DiagnosticsRecord(configurationID: run.configurationID, seed: run.seed, diverged: r.diverged,
                                             tasks: tasks))
            }
        }
        return out
    }

    /// Writes `diagnostics.json` and the figures (atomically) and returns the markdown section ("" without
    /// diagnostics) and the figure paths.
    static func write(_ plan: SuitePlan, summary: SuiteSummary, outDirectory: String) throws -> (markdown: String, figures: [String]) {
        let diagnostics = DiagnosticsSummary.build(summary: summary, records: records(plan.runs, outDirectory: outDirectory))
        guard !diagnostics.configurations.isEmpty else { return ("", []) }
        let out = outDirectory as NSString
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = (try? encoder.encode(diagnostics)) ?? Data("{}".utf8)
        try writeAtomically(json, to: out.appendingPathComponent("diagnostics.json"))
        let folder = out.appendingPathComponent("figures")
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw OutputError.cannotCreateDirectory(folder)
        }
        var paths: [String] = []
        for figure in diagnostics.figures(summary) {
            let path = (folder as NSString).appendingPathComponent(figure.fileName)
            try writeAtomically(Data(figure.svg.utf8), to: path)
            paths.append(path)
        }
        return (diagnostics.markdown(summary), paths)
    }
}
