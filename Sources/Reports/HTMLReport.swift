import Foundation

/// One run as the HTML report shows it: its settings and the command that reproduces it.
public struct HTMLReportRun: Sendable, Equatable {
    public var configurationID: String
    public var seed: UInt64
    /// The run's folder relative to the suite folder (`runs/<group>/<configuration>/seed-<s>`).
    public var directory: String
    /// The command that reproduces the run (`reproduce` of its result.json).
    public var reproduce: String
    /// Resolved settings (key, value as JSON text), sorted by key.
    public var settings: [(key: String, value: String)]
    public var gitCommit: String?
    public var suiteVersion: String

    public init(configurationID: String, seed: UInt64, directory: String, reproduce: String,
                settings: [(key: String, value: String)], gitCommit: String?, suiteVersion: String) {
        self.configurationID = configurationID
        self.seed = seed
        self.directory = directory
        self.reproduce = reproduce
        self.settings = settings
        self.gitCommit = gitCommit
        self.suiteVersion = suiteVersion
    }

    public static func == (a: HTMLReportRun, b: HTMLReportRun) -> Bool {
        a.configurationID == b.configurationID && a.seed == b.seed && a.directory == b.directory
            && a.reproduce == b.reproduce && a.settings.map { "\($0.key)=\($0.value)" } == b.settings.map { "\($0.key)=\($0.value)" }
            && a.gitCommit == b.gitCommit && a.suiteVersion == b.suiteVersion
    }
}

/// A suite's report as one self-contained HTML page (`summary.html`): inline CSS and SVG, no script, no external
/// reference. Sections, in order: the verdict (each adaptive method vs the best fixed step size of every grid of
/// its group), warnings (diverged and missing runs, summary warnings), the results table of each group, every
/// figure, the settings (shared ones once, then what each configuration changes), the command that reproduces each
/// run, and the environment (mobench version, git commit, extra facts given by the caller).
public enum HTMLReport {
    public struct Input: Sendable {
        public var summary: SuiteSummary
        public var figures: [(fileName: String, svg: String)]
        public var runs: [HTMLReportRun]
        /// Planned runs without a result: (configuration id, seed).
        public var missing: [(configurationID: String, seed: UInt64)]
        /// Extra environment facts (key, value), e.g. the host.
        public var environment: [(key: String, value: String)]

        public init(summary: SuiteSummary, figures: [(fileName: String, svg: String)], runs: [HTMLReportRun],
                    missing: [(configurationID: String, seed: UInt64)] = [], environment: [(key: String, value: String)] = []) {
            self.summary = summary
            self.figures = figures
            self.runs = runs
            self.missing = missing
            self.environment = environment
        }
    }

    static let style = """
        body{font-family:"DejaVu Sans",Verdana,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1200px;\
        color:#222;line-height:1.4;padding:0 16px}
        h1{font-size:26px;margin-bottom:4px}h2{font-size:20px;border-bottom:2px solid #0072B2;padding-bottom:2px;\
        margin-top:32px}h3{font-size:16px;margin-bottom:6px}
        table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
        th,td{border:1px solid #ccc;padding:3px 8px;vertical-align:top}th{background:#eef3f8;text-align:left}
        td.r{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        .better{background:#dff3e4}.worse{background:#fbe3e1}.warn{background:#fff4d6;border-left:4px solid #E69F00;\
        padding:6px 10px;margin:4px 0}
        figure{margin:12px 0 24px}figure svg{max-width:100%;height:auto;border:1px solid #ddd}
        figcaption{font-size:12px;color:#555}
        code,pre{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px}
        pre{background:#f6f6f6;padding:6px 8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
        .meta{color:#555;font-size:13px}nav a{margin-right:12px}
        """

    /// The page.
    public static func render(_ input: Input) -> String {
        let s = input.summary
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape("mobench suite \(s.suite)"))</title>
            <style>\(style)</style></head><body>
            <h1>Suite <code>\(escape(s.suite))</code></h1>
            <p class="meta">digest \(escape(s.suiteDigest)) · seeds \(escape(s.expectedSeeds.map(String.init).joined(separator: ", "))) · \
            \(s.configurations.count) configurations · \(input.runs.count) runs with results</p>
            <nav><a href="#verdict">Verdict</a><a href="#warnings">Warnings</a><a href="#results">Results</a>\
            <a href="#figures">Figures</a><a href="#settings">Settings</a><a href="#reproduce">Reproduce</a>\
            <a href="#environment">Environment</a></nav>

            """
        html += verdictSection(s)
        html += warningsSection(input)
        html += "<h2 id=\"results\">Results</h2>\n"
        for group in s.groups {
            html += "<h3>\(escape(group))</h3>\n" + table(SummaryMarkdown.groupTable(s, group: group, markdown: false))
        }
        html += "<p class=\"meta\">Mean ± standard error over seeds; \(SummaryMarkdown.bestMark) best fixed α of a grid, "
            + "\(SummaryMarkdown.metaOptimizeMark) MetaOptimize.</p>\n"
        html += "<h2 id=\"figures\">Figures</h2>\n"
        for figure in input.figures {
            html += "<figure id=\"\(escape(figure.fileName))\">\(inlineSVG(figure.svg))"
                + "<figcaption>figures/\(escape(figure.fileName))</figcaption></figure>\n"
        }
        html += settingsSection(input)
        html += reproduceSection(input)
        html += environmentSection(input)
        html += "</body></html>\n"
        return html
    }

    static func verdictSection(_ s: SuiteSummary) -> String {
        var html = "<h2 id=\"verdict\">Verdict: adaptive methods vs the best fixed step size</h2>\n"
        var any = false
        for group in s.groups {
            guard let t = SummaryMarkdown.comparisonTable(s, group: group, markdown: false) else { continue }
            any = true
            html += "<h3>\(escape(group))</h3>\n" + table(t, verdictColumn: t.headers.firstIndex { $0.lowercased().hasPrefix("verdict") })
        }
        if !any { html += "<p>No adaptive method was compared with a grid of fixed step sizes in this suite.</p>\n" }
        return html
    }

    static func warningsSection(_ input: Input) -> String {
        var lines: [String] = []
        for c in input.summary.configurations where c.divergedCount > 0 {
            let seeds = c.divergedSeeds.map { "seed \($0.seed)" + ($0.step.map { " at step \($0)" } ?? "") }
            lines.append("\(c.label) (\(c.configurationID)): \(c.divergedCount) of \(c.n) seeds diverged ("
                + seeds.joined(separator: ", ") + "); not averaged in")
        }
        if !input.missing.isEmpty {
            lines.append("\(input.missing.count) planned runs have no result: "
                + input.missing.prefix(20).map { "\($0.configurationID) seed \($0.seed)" }.joined(separator: ", ")
                + (input.missing.count > 20 ? ", …" : ""))
        }
        lines += input.summary.warnings
        var html = "<h2 id=\"warnings\">Warnings</h2>\n"
        if lines.isEmpty { return html + "<p>None: every planned run finished and none diverged.</p>\n" }
        for line in lines { html += "<div class=\"warn\">\(escape(line))</div>\n" }
        return html
    }

    static func settingsSection(_ input: Input) -> String {
        var html = "<h2 id=\"settings\">Settings</h2>\n"
        // First seed of each configuration; `seed` is shown in the reproduce section.
        var first: [(id: String, settings: [String: String])] = []
        var seen = Set<String>()
        for run in input.runs where seen.insert(run.configurationID).inserted {
            first.append((run.configurationID, Dictionary(run.settings.filter { $0.key != "seed" }.map { ($0.key, $0.value) },
                                                          uniquingKeysWith: { a, _ in a })))
        }
        guard !first.isEmpty else { return html + "<p>No run has a result yet.</p>\n" }
        let keys = Set(first.flatMap { $0.settings.keys }).sorted()
        let shared = keys.filter { k in Set(first.map { $0.settings[k] ?? "–" }).count == 1 }
        let varying = keys.filter { !shared.contains($0) }
        html += "<h3>Shared by every configuration</h3>\n"
        html += table(TextTable(headers: ["setting", "value"], alignments: [.left, .left],
                                rows: shared.map { [$0, first[0].settings[$0] ?? "–"] }))
        if !varying.isEmpty {
            html += "<h3>Per configuration</h3>\n"
            html += table(TextTable(headers: ["configuration"] + varying,
                                    alignments: Array(repeating: .left, count: varying.count + 1),
                                    rows: first.map { c in [c.id] + varying.map { c.settings[$0] ?? "–" } }))
        }
        return html
    }

    static func reproduceSection(_ input: Input) -> String {
        var html = "<h2 id=\"reproduce\">Reproduce</h2>\n<p>Each command re-runs one (configuration, seed) exactly "
            + "(bit-identical results) from its result file.</p>\n"
        html += "<table><tr><th>configuration</th><th>seed</th><th>command</th></tr>\n"
        for run in input.runs {
            html += "<tr><td>\(escape(run.configurationID))</td><td class=\"r\">\(run.seed)</td>"
                + "<td><code>\(escape(run.reproduce))</code></td></tr>\n"
        }
        return html + "</table>\n"
    }

    static func environmentSection(_ input: Input) -> String {
        var rows: [[String]] = []
        let versions = Set(input.runs.map(\.suiteVersion)).sorted()
        let commits = Set(input.runs.map { $0.gitCommit ?? "unknown (not built in a git checkout)" }).sorted()
        rows.append(["mobench version", versions.isEmpty ? "–" : versions.joined(separator: ", ")])
        rows.append(["git commit of the runs", commits.isEmpty ? "–" : commits.joined(separator: ", ")])
        rows += input.environment.map { [$0.key, $0.value] }
        return "<h2 id=\"environment\">Environment</h2>\n"
            + table(TextTable(headers: ["", ""], alignments: [.left, .left], rows: rows), header: false)
    }

    /// An HTML table; cells of `verdictColumn` get a colour by verdict (better, worse).
    static func table(_ t: TextTable, verdictColumn: Int? = nil, header: Bool = true) -> String {
        var html = "<table>\n"
        if header { html += "<tr>" + t.headers.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n" }
        for row in t.rows {
            html += "<tr>"
            for (i, cell) in row.enumerated() {
                var classes: [String] = []
                if i < t.alignments.count, t.alignments[i] == .right { classes.append("r") }
                if i == verdictColumn {
                    if cell.hasPrefix("better") { classes.append("better") }
                    if cell.hasPrefix("worse") { classes.append("worse") }
                }
                html += (classes.isEmpty ? "<td>" : "<td class=\"\(classes.joined(separator: " "))\">") + escape(cell) + "</td>"
            }
            html += "</tr>\n"
        }
        return html + "</table>\n"
    }

    /// The SVG document without its XML declaration, for inlining.
    static func inlineSVG(_ svg: String) -> String {
        guard svg.hasPrefix("<?xml"), let end = svg.range(of: "?>") else { return svg }
        return String(svg[end.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func escape(_ s: String) -> String { SVGPlot.escape(s) }
}
