import Foundation

/// An external curve drawn beside ours (e.g. the paper's), dashed by default.
///
/// Points are in the units of the figure it goes into: steps on x for curves over steps, the task number
/// (1, 2, …) for per-task figures; accuracies in percent, losses in nats, step sizes α raw.
public struct ReferenceSeries: Sendable, Equatable {
    public var label: String
    public var points: [PlotPoint]
    public var style: LineStyle = .dashed
    /// Explicit colour; nil to take the colour of `matchingConfigurationID` (or the next palette colour).
    public var color: PlotColor?
    /// Draw in the colour of this configuration of the summary (the run the reference corresponds to).
    public var matchingConfigurationID: String?
}

/// Identifies one of the paper's 24 reference runs.
public struct PaperRunKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// K: classes per task (10 or 20).
    public var classesPerTask: Int
    /// Base rule: "AdamW", "SGDm", "RMSProp", "Lion".
    public var base: String
    /// Meta rule: "fixed", "Adam", "RMSProp", "Lion".
    public var meta: String
    /// "scalar" or "last_layer_and_others".
    public var granularity: String

    public init(classesPerTask: Int, base: String, meta: String, granularity: String) {
        self.classesPerTask = classesPerTask
        self.base = base
        self.meta = meta
        self.granularity = granularity
    }

    public static func < (a: PaperRunKey, b: PaperRunKey) -> Bool {
        (a.classesPerTask, a.base, a.meta, a.granularity) < (b.classesPerTask, b.base, b.meta, b.granularity)
    }

    public var description: String { "K=\(classesPerTask) \(base) \(meta) \(granularity)" }
}

/// One reference run: its hyper-parameters and its curves by metric name (§1.5 of the paper-experiments spec).
public struct PaperRun: Sendable, Equatable {
    public var key: PaperRunKey
    /// α0 as written in the run name.
    public var baseStepSize: Double
    /// κ.
    public var baseWeightDecay: Double
    /// η; nil for `fixed` runs.
    public var metaStepSize: Double?
    /// γ; nil for `fixed` runs.
    public var gamma: Double?
    /// Metric name → points (step or task index on x, logged value on y), in file order.
    public var metrics: [String: [PlotPoint]]
}

/// The paper's continual CIFAR-100 reference curves (`paper-continual-cifar100.csv`: header
/// `classes_per_task,base,base_step_size,base_weight_decay,meta,granularity,meta_step_size,gamma,metric,step,value`).
///
/// Values are parsed as `Float` (the logged float32 values, written in shortest form) and widened to `Double`.
/// Accuracies stay in percent as in the file; x is the file's `step` column (global step, task index 1…T, or
/// logged optimiser step).
public struct PaperReference: Sendable, Equatable {
    public static let header = "classes_per_task,base,base_step_size,base_weight_decay,meta,granularity,"
        + "meta_step_size,gamma,metric,step,value"

    /// Runs in order of first appearance in the file.
    public var runs: [PaperRun]

    /// Loads and validates the CSV file.
    public static func load(from url: URL) throws(ReportsError) -> PaperReference {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .io(file: url.path, operation: "read", reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .csvRow(file: url.path, line: 1, field: "<file>", expected: "UTF-8 text", found: "invalid UTF-8")
        }
        return try parse(text, file: url.path)
    }

    /// Parses CSV text; `file` names the source in errors.
    public static func parse(_ text: String, file: String = "<csv>") throws(ReportsError) -> PaperReference {
        // "\r\n" is a single Character in Swift, so split on any line break (LF, CRLF, CR).
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let first = lines.first else {
            throw .csvHeader(file: file, expected: header, found: "")
        }
        guard first == header[...] else {
            throw .csvHeader(file: file, expected: header, found: String(first))
        }
        let names = header.split(separator: ",").map(String.init)
        var runs: [PaperRun] = []
        var index: [PaperRunKey: Int] = [:]
        for (i, line) in lines.enumerated().dropFirst() {
            let lineNumber = i + 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == names.count else {
                throw .csvRow(file: file, line: lineNumber, field: "<row>", expected: "\(names.count) fields",
                              found: "\(fields.count) fields")
            }
            func int(_ c: Int) throws(ReportsError) -> Int {
                guard let v = Int(fields[c]) else {
                    throw .csvRow(file: file, line: lineNumber, field: names[c], expected: "an integer",
                                  found: fields[c])
                }
                return v
            }
            func number(_ c: Int, optional: Bool = false) throws(ReportsError) -> Double? {
                if optional && fields[c].isEmpty { return nil }
                guard let v = Float(fields[c]), v.isFinite else {
                    throw .csvRow(file: file, line: lineNumber, field: names[c], expected: "a finite number",
                                  found: fields[c])
                }
                return Double(v)
            }
            func name(_ c: Int) throws(ReportsError) -> String {
                guard !fields[c].isEmpty else {
                    throw .csvRow(file: file, line: lineNumber, field: names[c], expected: "a name", found: "")
                }
                return fields[c]
            }
            let key = PaperRunKey(classesPerTask: try int(0), base: try name(1), meta: try name(4),
                                  granularity: try name(5))
            let baseStepSize = try number(2) ?? 0
            let weightDecay = try number(3) ?? 0
            let metaStepSize = try number(6, optional: true)
            let gamma = try number(7, optional: true)
            let metric = try name(8)
            let step = try int(9)
            guard let value = try number(10) else { continue }
            let r: Int
            if let existing = index[key] {
                r = existing
            } else {
                r = runs.count
                index[key] = r
                runs.append(PaperRun(key: key, baseStepSize: baseStepSize, baseWeightDecay: weightDecay,
                                     metaStepSize: metaStepSize, gamma: gamma, metrics: [:]))
            }
            runs[r].metrics[metric, default: []].append(PlotPoint(x: Double(step), y: value))
        }
        return PaperReference(runs: runs)
    }

    /// The run with this key.
    public func run(_ key: PaperRunKey) -> PaperRun? {
        runs.first { $0.key == key }
    }

    /// Points of one metric of one run (nil when the run or metric is absent).
    public func series(classesPerTask: Int, base: String, meta: String, granularity: String,
                       metric: String) -> [PlotPoint]? {
        run(PaperRunKey(classesPerTask: classesPerTask, base: base, meta: meta, granularity: granularity))?
            .metrics[metric]
    }

    /// The same as a dashed ``ReferenceSeries`` labelled "paper: …" unless `label` is given; x values are shifted
    /// by `xOffset` (e.g. +1 to align the paper's logged step c, the state after step c + 1, with completed steps).
    public func referenceSeries(classesPerTask: Int, base: String, meta: String, granularity: String,
                                metric: String, label: String? = nil, style: LineStyle = .dashed,
                                matchingConfigurationID: String? = nil, xOffset: Double = 0) -> ReferenceSeries? {
        guard let points = series(classesPerTask: classesPerTask, base: base, meta: meta, granularity: granularity,
                                  metric: metric) else { return nil }
        let name = label ?? "paper: \(base) \(meta == "fixed" ? "fixed" : "MetaOptimize (\(meta)) \(granularity)")"
        return ReferenceSeries(label: name, points: points.map { PlotPoint(x: $0.x + xOffset, y: $0.y) },
                               style: style, matchingConfigurationID: matchingConfigurationID)
    }
}

/// A paper run's final numbers (percent; loss in nats), as in the spec's per-run summary table (§1.8).
public struct PaperRunResults: Sendable, Equatable {
    /// Last logged `cumulative_online_accuracy` (step 50,000).
    public var finalCumulativeAccuracy: Double?
    /// Mean over tasks of `task_test_accuracy`.
    public var meanTaskTestAccuracy: Double?
    /// Mean over tasks of `task_online_accuracy`.
    public var meanTaskOnlineAccuracy: Double?
    /// Mean over tasks of `task_train_loss`.
    public var meanTaskTrainLoss: Double?
}

extension PaperRun {
    /// The run's final numbers.
    public var results: PaperRunResults {
        func mean(_ metric: String) -> Double? { Statistics.mean(metrics[metric]?.map(\.y) ?? []) }
        let cumulative = metrics["cumulative_online_accuracy"]?.max { $0.x < $1.x }?.y
        return PaperRunResults(finalCumulativeAccuracy: cumulative, meanTaskTestAccuracy: mean("task_test_accuracy"),
                               meanTaskOnlineAccuracy: mean("task_online_accuracy"),
                               meanTaskTrainLoss: mean("task_train_loss"))
    }
}

/// Which of our configurations reproduces which paper run.
public struct PaperPairing: Sendable, Equatable {
    public var configurationID: String
    public var paper: PaperRunKey

    public init(configurationID: String, paper: PaperRunKey) {
        self.configurationID = configurationID
        self.paper = paper
    }
}

/// Our final numbers next to the paper's.
public enum PaperComparison {
    /// The working tolerance of the spec (§1.7): differences below ≈ 0.5 percentage points between 5-seed means
    /// are noise.
    public static let noiseTolerance = 0.5

    /// One row per pairing: final cumulative accuracy and mean end-of-task test accuracy, ours (mean ± s.e. over
    /// non-diverged seeds, %) vs the paper's (5-seed mean, %), and the difference ours − paper in percentage points.
    /// Missing values show as "–".
    public static func table(_ summary: SuiteSummary, reference: PaperReference,
                             pairs: [PaperPairing]) -> TextTable {
        let rows = pairs.map { pair -> [String] in
            let ours = summary.configuration(pair.configurationID)
            let paper = reference.run(pair.paper)?.results
            func delta(_ a: Estimate?, _ b: Double?) -> String {
                guard let a, let b else { return "–" }
                return NumberFormatting.signedEstimate(a.mean * 100 - b, se: a.standardError * 100)
            }
            func show(_ x: Double?) -> String { x.map { NumberFormatting.fixed($0, decimals: 2) } ?? "–" }
            return [ours?.label ?? pair.configurationID, pair.paper.description,
                    NumberFormatting.estimate(ours?.cumulativeAccuracy, scale: 100),
                    show(paper?.finalCumulativeAccuracy),
                    delta(ours?.cumulativeAccuracy, paper?.finalCumulativeAccuracy),
                    NumberFormatting.estimate(ours?.meanTaskTestAccuracy, scale: 100),
                    show(paper?.meanTaskTestAccuracy),
                    delta(ours?.meanTaskTestAccuracy, paper?.meanTaskTestAccuracy)]
        }
        return TextTable(headers: ["configuration", "paper run", "final cumulative acc % (ours)", "(paper)", "Δ pp",
                                   "mean task test acc % (ours)", "(paper)", "Δ pp"],
                         alignments: [.left, .left, .right, .right, .right, .right, .right, .right], rows: rows)
    }
}
