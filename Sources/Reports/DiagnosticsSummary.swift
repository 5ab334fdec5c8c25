import Foundation

/// One task's plasticity diagnostics of one run (the numbers of `result.json` `tasks[].diagnostics` the summary uses).
public struct TaskDiagnosticsValues: Sendable, Equatable {
    public var task: Int
    /// Dead units over all hidden units (fraction).
    public var deadFraction: Double?
    public var effectiveRank: Double?
    public var approximateRank: Double?
    public var gradientNorm: Double?
    public var plasticity: Double?

    public init(task: Int, deadFraction: Double?, effectiveRank: Double?, approximateRank: Double?,
                gradientNorm: Double?, plasticity: Double?) {
        self.task = task
        self.deadFraction = deadFraction
        self.effectiveRank = effectiveRank
        self.approximateRank = approximateRank
        self.gradientNorm = gradientNorm
        self.plasticity = plasticity
    }
}

/// One run's diagnostics, per task, for the summary.
public struct DiagnosticsRecord: Sendable, Equatable {
    public var configurationID: String
    public var seed: UInt64
    public var diverged: Bool
    public var tasks: [TaskDiagnosticsValues]

    public init(configurationID: String, seed: UInt64, diverged: Bool, tasks: [TaskDiagnosticsValues]) {
        self.configurationID = configurationID
        self.seed = seed
        self.diverged = diverged
        self.tasks = tasks
    }
}

/// A task's diagnostics over a configuration's non-diverged seeds: mean ± s.e. of each.
public struct TaskDiagnosticsEstimate: Codable, Sendable, Equatable {
    public var task: Int
    public var deadFraction: Estimate?
    public var effectiveRank: Estimate?
    public var approximateRank: Estimate?
    public var gradientNorm: Estimate?
    public var plasticity: Estimate?

    enum CodingKeys: String, CodingKey {
        case task, deadFraction = "dead_fraction", effectiveRank = "effective_rank"
        case approximateRank = "approximate_rank", gradientNorm = "gradient_norm", plasticity
    }
}

/// A configuration's diagnostics per task.
public struct ConfigurationDiagnostics: Codable, Sendable, Equatable {
    public var configurationID: String
    public var tasks: [TaskDiagnosticsEstimate]

    enum CodingKeys: String, CodingKey {
        case configurationID = "configuration_id", tasks
    }
}

/// The suite's plasticity diagnostics (`diagnostics.json`): per configuration and task, mean ± s.e. over the
/// non-diverged seeds (as the other summary metrics).
public struct DiagnosticsSummary: Codable, Sendable, Equatable {
    public var configurations: [ConfigurationDiagnostics]

    /// Aggregates `records` per configuration (in `summary`'s order) and task; configurations without diagnostics
    /// are left out.
    public static func build(summary: SuiteSummary, records: [DiagnosticsRecord]) -> DiagnosticsSummary {
        var out: [ConfigurationDiagnostics] = []
        for c in summary.configurations {
            let runs = records.filter { $0.configurationID == c.configurationID && !$0.diverged }
            let taskIndices = Set(runs.flatMap { $0.tasks.map(\.task) }).sorted()
            guard !taskIndices.isEmpty else { continue }
            let tasks = taskIndices.map { task -> TaskDiagnosticsEstimate in
                let values = runs.compactMap { $0.tasks.first { $0.task == task } }
                func estimate(_ key: (TaskDiagnosticsValues) -> Double?) -> Estimate? {
                    Statistics.estimate(values.compactMap(key).filter(\.isFinite))
                }
                return TaskDiagnosticsEstimate(
                    task: task, deadFraction: estimate(\.deadFraction), effectiveRank: estimate(\.effectiveRank),
                    approximateRank: estimate(\.approximateRank), gradientNorm: estimate(\.gradientNorm),
                    plasticity: estimate(\.plasticity))
            }
            out.append(ConfigurationDiagnostics(configurationID: c.configurationID, tasks: tasks))
        }
        return DiagnosticsSummary(configurations: out)
    }

    public func configuration(_ id: String) -> ConfigurationDiagnostics? {
        configurations.first { $0.configurationID == id }
    }

    /// Markdown: per group, a row per highlighted configuration (fixed grids by their best α) with the first and
    /// last task's dead units and effective rank, and the last task's approximate rank, gradient norm and
    /// plasticity (mean ± s.e. over seeds). Empty when there are no diagnostics.
    public func markdown(_ summary: SuiteSummary) -> String {
        guard !configurations.isEmpty else { return "" }
        var text = "\n## Plasticity diagnostics (probe: first 1,000 test samples of each task)\n\n"
        text += "Dead units: ReLU units (conv: channels) that output exactly 0 on every probe sample, % of all hidden "
            + "units. Effective rank: exp of the entropy of the normalised singular values of the last hidden layer's "
            + "features; approximate rank: singular values holding 99 % of the squared spectrum. Gradient norm: "
            + "L2, averaged over the task's steps. Mean ± s.e. over seeds.\n"
        for group in summary.groups {
            let rows = Figures.highlighted(summary, group: group).compactMap { c in configuration(c.configurationID).map { (c, $0) } }
            guard !rows.isEmpty else { continue }
            let showsPlasticity = rows.contains { $0.1.tasks.last?.plasticity != nil }
            text += "\n### \(group)\n\n"
            text += "| method | dead % task 1 | dead % last | eff. rank task 1 | eff. rank last | approx. rank last | grad norm last |"
                + (showsPlasticity ? " plasticity last |" : "") + "\n"
            text += "|---|---|---|---|---|---|---|" + (showsPlasticity ? "---|" : "") + "\n"
            for (c, d) in rows {
                let first = d.tasks.first, last = d.tasks.last
                func show(_ e: Estimate?, scale: Double = 1, digits: Int = 2) -> String {
                    guard let e else { return "–" }
                    return String(format: "%.\(digits)f ± %.\(digits)f", e.mean * scale, e.standardError * scale)
                }
                text += "| \(Figures.legendLabel(c, summary: summary)) | \(show(first?.deadFraction, scale: 100, digits: 1)) | "
                    + "\(show(last?.deadFraction, scale: 100, digits: 1)) | \(show(first?.effectiveRank, digits: 1)) | "
                    + "\(show(last?.effectiveRank, digits: 1)) | \(show(last?.approximateRank, digits: 1)) | "
                    + "\(show(last?.gradientNorm, digits: 3)) |"
                    + (showsPlasticity ? " \(show(last?.plasticity, digits: 3)) |" : "") + "\n"
            }
        }
        return text
    }

    /// Figures per group: dead units (%) and effective rank vs task, one line per highlighted configuration
    /// (fixed grids by their best α), mean ± s.e. band over seeds. File names `dead-units-<group>.svg` and
    /// `effective-rank-<group>.svg`.
    public func figures(_ summary: SuiteSummary, width: Double = 720, height: Double = 440)
        -> [(fileName: String, svg: String)] {
        var out: [(fileName: String, svg: String)] = []
        for group in summary.groups {
            let colors = Figures.colors(summary, group: group)
            let kinds: [(String, String, Double, (TaskDiagnosticsEstimate) -> Estimate?)] = [
                ("dead-units", "dead hidden units at the end of the task (%)", 100, { $0.deadFraction }),
                ("effective-rank", "effective rank of the last hidden layer", 1, { $0.effectiveRank }),
            ]
            for (name, label, scale, value) in kinds {
                var series: [PlotSeries] = []
                for c in Figures.highlighted(summary, group: group) {
                    guard let d = configuration(c.configurationID) else { continue }
                    var points: [PlotPoint] = []
                    var band: [PlotInterval] = []
                    for t in d.tasks {
                        guard let e = value(t) else { continue }
                        let x = Double(t.task + 1)
                        points.append(PlotPoint(x: x, y: e.mean * scale))
                        band.append(PlotInterval(x: x, lower: (e.mean - e.standardError) * scale,
                                                 upper: (e.mean + e.standardError) * scale))
                    }
                    guard !points.isEmpty else { continue }
                    series.append(PlotSeries(label: Figures.legendLabel(c, summary: summary), points: points,
                                             band: band, color: colors[c.configurationID]))
                }
                guard !series.isEmpty else { continue }
                let title = (name == "dead-units" ? "Dead units" : "Effective rank") + " per task — \(group)"
                let plot = SVGPlot(title: title, xAxis: PlotAxis(label: "task"), yAxis: PlotAxis(label: label),
                                   series: series, width: width, height: height,
                                   idPrefix: "\(name)-\(Figures.slug(group))")
                out.append((fileName: "\(name)-\(Figures.slug(group)).svg", svg: plot.render()))
            }
        }
        return out
    }
}
