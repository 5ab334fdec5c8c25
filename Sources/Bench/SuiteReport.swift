import Foundation
import Reports

/// Turns a suite's run folders into `summary.json`, `summary.md` and figures.
public enum SuiteReport {
    /// Reads `result.json` and `curve.csv` of every planned run that has finished, in plan order (so the summary
    /// does not depend on the order runs finished in). Returns the records and the runs without a result.
    public static func records(_ runs: [PlannedRun], outDirectory: String) throws -> (records: [RunRecord], missing: [PlannedRun]) {
        var records: [RunRecord] = []
        var missing: [PlannedRun] = []
        for run in runs {
            let directory = (outDirectory as NSString).appendingPathComponent(run.directory)
            guard let data = FileManager.default.contents(atPath: directory + "/result.json") else {
                missing.append(run)
                continue
            }
            let result: RunResult
            do { result = try RunResult.decode(data) } catch {
                throw SettingError.invalid("\(directory)/result.json: unreadable result file")
            }
            let curve = try CurveFile.parse(path: directory + "/curve.csv")
            records.append(record(run, result: result, curve: curve))
        }
        return (records, missing)
    }

    static func record(_ run: PlannedRun, result r: RunResult, curve: [CurvePoint]) -> RunRecord {
        RunRecord(
            configurationID: run.configurationID, group: run.group, label: run.label, method: run.method, grid: run.grid,
            family: run.family,
            alpha0: r.config.alpha0, seed: run.seed, streamFingerprint: r.streamFingerprint, diverged: r.diverged,
            divergedAtStep: r.divergedAtStep, plannedSteps: r.plannedSteps, steps: r.steps, onlineLoss: r.onlineLoss,
            onlineAccuracy: r.onlineAccuracy, cumulativeAccuracy: r.cumulativeAccuracy, curve: curve,
            stepSizeGroups: r.stepSizeGroups, stepSizesAreLogSummary: r.stepSizeGroups == ["mean", "min", "max"],
            taskLength: (r.config.taskLength ?? 0) / max(1, r.config.batchSize),
            taskTestAccuracy: r.tasks.map(\.testAccuracy), taskOnlineAccuracy: r.tasks.map(\.onlineAccuracy),
            wallSeconds: r.wallSeconds, stepsPerSecond: r.stepsPerSecond)
    }

    /// Builds the summary of `plan` from the files under `outDirectory`.
    public static func summary(_ plan: SuitePlan, outDirectory: String) throws -> (SuiteSummary, missing: [PlannedRun]) {
        let (records, missing) = try records(plan.runs, outDirectory: outDirectory)
        let summary = SuiteSummary.build(suite: plan.suite.name, suiteDigest: plan.suite.digest, records: records,
                                         expectedSeeds: plan.suite.seeds)
        return (summary, missing)
    }

    /// Writes `summary.json`, `summary.md` and `figures/*.svg` (all atomically). Returns the figure paths.
    @discardableResult
    public static func write(_ summary: SuiteSummary, outDirectory: String, references: [FigureReference] = [],
                             extraMarkdown: String = "") throws -> [String] {
        let out = outDirectory as NSString
        try writeAtomically(try ReportsJSON.encode(summary), to: out.appendingPathComponent("summary.json"))
        try writeAtomically(Data((SummaryMarkdown.render(summary) + extraMarkdown).utf8),
                            to: out.appendingPathComponent("summary.md"))
        return try writeFigures(summary, outDirectory: outDirectory, references: references)
    }

    /// Redraws the figures of a summary into `outDirectory/figures`.
    @discardableResult
    public static func writeFigures(_ summary: SuiteSummary, outDirectory: String,
                                    references: [FigureReference] = []) throws -> [String] {
        let figures = (outDirectory as NSString).appendingPathComponent("figures")
        do { try FileManager.default.createDirectory(atPath: figures, withIntermediateDirectories: true) } catch {
            throw OutputError.cannotCreateDirectory(figures)
        }
        var paths: [String] = []
        for figure in Figures.render(summary, options: FigureOptions(references: references)) {
            let path = (figures as NSString).appendingPathComponent(figure.fileName)
            try writeAtomically(Data(figure.svg.utf8), to: path)
            paths.append(path)
        }
        return paths
    }
}

extension CurveFile {
    /// Reads a `curve.csv` written by `mobench run`.
    public static func parse(path: String) throws -> [CurvePoint] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SettingError.invalid("\(path): missing curve file")
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        guard let header = lines.first?.split(separator: ",").map(String.init),
              Array(header.prefix(5)) == ["step", "task", "online_loss", "online_accuracy", "cumulative_accuracy"] else {
            throw SettingError.invalid("\(path): not a mobench curve file (unexpected header)")
        }
        // Step-size columns follow the first five; `--diagnostics bin` columns (dead_…, effective_rank, …) come after.
        let stepSizeEnd = 5 + header.dropFirst(5).prefix { $0.hasPrefix("step_size") || $0.hasPrefix("log_step_size") }.count
        var points: [CurvePoint] = []
        for (number, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == header.count, let step = Int(fields[0]), let task = Int(fields[1]),
                  let values = Optional(fields[2...].map { Double($0) ?? .nan }) else {
                throw SettingError.invalid("\(path): line \(number + 2) is malformed")
            }
            points.append(CurvePoint(step: step, task: task, onlineLoss: values[0], onlineAccuracy: values[1],
                                     cumulativeAccuracy: values[2], stepSizes: Array(values[3..<(stepSizeEnd - 2)])))
        }
        return points
    }
}

/// The paper's curves (data/reference/paper-continual-cifar100.csv) matched to a suite's configurations by their
/// settings (classes per task, base, meta, granularity).
public enum PaperOverlay {
    static func key(_ c: RunConfiguration) -> PaperRunKey? {
        guard c.stream == "class-incremental", let k = c.classesPerTask else { return nil }
        let bases = ["adamw": "AdamW", "sgdm": "SGDm", "rmsprop": "RMSProp", "lion": "Lion"]
        let metas = ["fixed": "fixed", "adam": "Adam", "rmsprop": "RMSProp", "lion": "Lion"]
        let granularities = ["scalar": "scalar", "last-layer-and-others": "last_layer_and_others"]
        guard let base = bases[c.base], let meta = metas[c.meta], let granularity = granularities[c.granularity] else {
            return nil
        }
        return PaperRunKey(classesPerTask: k, base: base, meta: meta, granularity: meta == "fixed" ? "scalar" : granularity)
    }

    /// Pairings of configurations (first seed's settings) with paper runs that exist in `reference`.
    public static func pairings(_ plan: SuitePlan, reference: PaperReference) -> [PaperPairing] {
        var seen = Set<String>()
        var pairs: [PaperPairing] = []
        for run in plan.runs where seen.insert(run.configurationID).inserted {
            if let key = key(run.configuration), reference.run(key) != nil {
                pairs.append(PaperPairing(configurationID: run.configurationID, paper: key))
            }
        }
        return pairs
    }

    /// Dashed reference curves for the cumulative-accuracy, step-size and per-task test-accuracy figures.
    public static func references(_ pairs: [PaperPairing], reference: PaperReference) -> [FigureReference] {
        var out: [FigureReference] = []
        for pair in pairs {
            let k = pair.paper
            let group = pair.configurationID.split(separator: "/").first.map(String.init)
            func add(_ kind: FigureKind, _ metric: String, _ label: String, xOffset: Double = 0) {
                if let s = reference.referenceSeries(classesPerTask: k.classesPerTask, base: k.base, meta: k.meta,
                                                     granularity: k.granularity, metric: metric, label: label,
                                                     matchingConfigurationID: pair.configurationID, xOffset: xOffset) {
                    out.append(FigureReference(kind: kind, group: group, series: s))
                }
            }
            add(.cumulativeAccuracy, "cumulative_online_accuracy", "paper: \(k)")
            add(.taskTestAccuracy, "task_test_accuracy", "paper: \(k)")
            if k.meta != "fixed" {
                if k.granularity == "scalar" {
                    add(.stepSizes, "step_size", "paper: \(k)", xOffset: 1)
                } else {
                    add(.stepSizes, "step_size_block0", "paper: \(k) block 0", xOffset: 1)
                    add(.stepSizes, "step_size_block1", "paper: \(k) block 1", xOffset: 1)
                }
            }
        }
        return out
    }
}
