import Foundation

/// Renders a ``SuiteSummary`` as the table that answers "does MetaOptimize beat the best fixed step size?".
///
/// Per group: one row per configuration sorted by mean online loss (configurations whose every seed diverged
/// last), columns method, α0, online loss (mean ± s.e., nats), online accuracy %, cumulative accuracy %, AUC of
/// the online loss (nats·steps), diverged seeds (k/n) and steps/s. ★ marks the best fixed α of a grid, ◆ a
/// MetaOptimize configuration. Then, per group, each MetaOptimize/hypergradient configuration against the best
/// fixed α of every grid of the group (difference of mean online loss ± combined s.e. and the verdict at 2
/// combined s.e.), with the verdicts against every α of the grid.
public enum SummaryMarkdown {
    /// Mark of the best fixed α of a grid.
    public static let bestMark = "★"
    /// Mark of a MetaOptimize configuration.
    public static let metaOptimizeMark = "◆"

    /// GitHub-flavoured markdown.
    public static func render(_ summary: SuiteSummary) -> String {
        render(summary, markdown: true)
    }

    /// Monospaced, column-aligned text for terminals.
    public static func renderPlainText(_ summary: SuiteSummary) -> String {
        render(summary, markdown: false)
    }

    /// The per-group table (rows sorted by mean online loss).
    public static func groupTable(_ summary: SuiteSummary, group: String, markdown: Bool) -> TextTable {
        let best = Set(summary.grids.compactMap(\.bestConfigurationID))
        let rows = sortedByLoss(summary.configurations(inGroup: group)).map { c -> [String] in
            var name = c.label
            if c.method == .metaOptimize {
                name = markdown ? "\(metaOptimizeMark) **\(c.label)**" : "\(metaOptimizeMark) \(c.label)"
            }
            if best.contains(c.configurationID) { name += " \(bestMark)" }
            var diverged = "\(c.divergedCount)/\(c.n)"
            if !c.missingSeeds.isEmpty { diverged += " (\(c.missingSeeds.count) missing)" }
            return [name, NumberFormatting.alpha(c.alpha0), NumberFormatting.estimate(c.onlineLoss),
                    NumberFormatting.estimate(c.onlineAccuracy, scale: 100),
                    NumberFormatting.estimate(c.cumulativeAccuracy, scale: 100),
                    NumberFormatting.estimate(c.aucOnlineLoss), diverged,
                    NumberFormatting.estimate(c.stepsPerSecond, maxDecimals: 0)]
        }
        return TextTable(headers: ["method", "α0", "online loss", "online acc %", "cumulative acc %",
                                   "AUC online loss", "diverged", "steps/s"], rows: rows)
    }

    /// Configurations sorted by mean online loss; those without one (all seeds diverged) last; stable otherwise.
    public static func sortedByLoss(_ configurations: [ConfigurationSummary]) -> [ConfigurationSummary] {
        configurations.enumerated().sorted { a, b in
            switch (a.element.onlineLoss?.mean, b.element.onlineLoss?.mean) {
            case let (x?, y?): return x != y ? x < y : a.offset < b.offset
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.offset < b.offset
            }
        }.map(\.element)
    }

    /// The "adaptive vs best fixed α" table of a group; nil when the group has no such comparison.
    public static func comparisonTable(_ summary: SuiteSummary, group: String, markdown: Bool) -> TextTable? {
        let adaptive = summary.configurations(inGroup: group).filter { $0.method.isAdaptive }
        var rows: [[String]] = []
        for c in adaptive {
            for grid in summary.grids(inGroup: group) {
                let entries = summary.comparisons.filter {
                    $0.configurationID == c.configurationID && $0.grid == grid.name
                }
                guard !entries.isEmpty else { continue }
                let name = c.method == .metaOptimize ? "\(metaOptimizeMark) \(c.label)" : c.label
                if let best = entries.first(where: \.fixedIsBest) {
                    let verdict = markdown ? "**\(best.verdict.rawValue)**" : best.verdict.rawValue
                    rows.append([name, "\(grid.label) \(bestMark) α = \(NumberFormatting.alpha(best.fixedAlpha0))",
                                 NumberFormatting.signedEstimate(best.difference, se: best.combinedStandardError),
                                 verdict, everyAlpha(entries)])
                } else {
                    rows.append([name, "\(grid.label): no eligible α", "–", MethodVerdict.unavailable.rawValue,
                                 everyAlpha(entries)])
                }
            }
        }
        guard !rows.isEmpty else { return nil }
        return TextTable(headers: ["method", "vs best fixed α", "Δ online loss", "verdict", "vs every α of the grid"],
                         alignments: [.left, .left, .right, .left, .left], rows: rows)
    }

    /// "better: 1e-5, 1e-4; tie: 1e-3; worse: 1e-1" in the order better, tie, worse, unavailable.
    static func everyAlpha(_ entries: [MethodComparison]) -> String {
        let order: [MethodVerdict] = [.better, .tie, .worse, .unavailable]
        return order.compactMap { v -> String? in
            let alphas = entries.filter { $0.verdict == v }.map { NumberFormatting.alpha($0.fixedAlpha0) }
            return alphas.isEmpty ? nil : "\(v == .unavailable ? "n/a" : v.rawValue): " + alphas.joined(separator: ", ")
        }.joined(separator: "; ")
    }

    /// Greedy word wrap at `width` characters.
    static func wrap(_ text: String, width: Int) -> String {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.joined(separator: "\n")
    }

    static func render(_ summary: SuiteSummary, markdown: Bool) -> String {
        var out = ""
        func heading(_ level: Int, _ text: String) {
            if markdown {
                out += String(repeating: "#", count: level) + " " + text + "\n\n"
            } else {
                out += text + "\n" + String(repeating: level == 1 ? "=" : "-", count: text.count) + "\n\n"
            }
        }
        heading(1, "Suite \(markdown ? "`\(summary.suite)`" : summary.suite)")
        let seeds = summary.expectedSeeds.map(String.init).joined(separator: ", ")
        let intro = "\(summary.expectedSeeds.count) seeds (\(seeds)). Mean ± standard error over the seeds that did not "
            + "diverge (diverged seeds are counted in the \"diverged\" column, never averaged). Online loss in nats "
            + "(lower is better); accuracies in %; AUC = area under the online-loss curve (nats·steps). "
            + "\(bestMark) best fixed α of its grid (lowest mean online loss, no diverged seed); "
            + "\(metaOptimizeMark) MetaOptimize."
        out += (markdown ? intro : wrap(intro, width: 110)) + "\n\n"
        for group in summary.groups {
            heading(2, group)
            let table = groupTable(summary, group: group, markdown: markdown)
            out += markdown ? table.markdown() : table.plainText()
            out += "\n"
            if let comparison = comparisonTable(summary, group: group, markdown: markdown) {
                let title = "MetaOptimize vs best fixed α"
                let text = (markdown ? "**\(title)**" : title)
                    + " (Δ = mean online loss of the method − that of the fixed α; negative = method lower; "
                    + "verdict at 2 combined standard errors)"
                out += (markdown ? text : wrap(text, width: 110)) + "\n\n"
                out += markdown ? comparison.markdown() : comparison.plainText()
                out += "\n"
            }
        }
        var notes: [String] = []
        for c in summary.configurations where c.divergedCount > 0 {
            let list = c.divergedSeeds.map { d in "seed \(d.seed)" + (d.step.map { " at step \($0)" } ?? "") }
            notes.append("\(c.configurationID): \(c.divergedCount)/\(c.n) diverged (\(list.joined(separator: ", ")))")
        }
        for c in summary.configurations where !c.missingSeeds.isEmpty {
            notes.append("\(c.configurationID): no result for seeds "
                + c.missingSeeds.map(String.init).joined(separator: ", "))
        }
        notes += summary.warnings
        if !notes.isEmpty {
            heading(2, "Notes")
            out += notes.map { "- \($0)" }.joined(separator: "\n") + "\n"
        }
        return out
    }
}
