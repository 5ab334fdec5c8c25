import Foundation
import Reports
import Settings

/// Helpers shared by the `suite`, `plot` and `merge` commands.
public enum SuiteLoading {
    /// Loads a suite file, applies `KEY=VALUE` overrides to its shared settings (they win over group and method
    /// settings too) and expands it.
    public static func plan(_ file: String, overrides: [String]) throws -> SuitePlan {
        var suite = try SuiteFile.load(path: file)
        for override in overrides {
            guard let eq = override.firstIndex(of: "="), eq != override.startIndex else {
                throw SettingError.invalid("--set \(override): expected KEY=VALUE")
            }
            let key = String(override[..<eq]), text = String(override[override.index(after: eq)...])
            guard let declaration = RunConfiguration.table[key] else {
                throw SettingError.invalid("--set \(override): unknown setting '\(key)'")
            }
            let value: JSONValue
            do {
                switch try declaration.parse(text, source: "--set \(key)") {
                case .bool(let b): value = .bool(b)
                case .integer(let i): value = .number(Double(i))
                case .unsigned(let u): value = .number(Double(u))
                case .number(let x): value = .number(x)
                case .text(let s): value = .string(s)
                case .null: value = .null
                }
            } catch let error as SettingParseError {
                throw SettingError.invalid(error.description)
            }
            suite.settings[key] = value
            for g in suite.groups.indices {
                suite.groups[g].settings[key] = nil
                for m in suite.groups[g].methods.indices {
                    suite.groups[g].methods[m].settings[key] = nil
                    suite.groups[g].methods[m].grid.removeAll { $0.key == key }
                }
            }
            suite.overrides.append(override)
        }
        return try SuitePlan(suite)
    }

    /// Parses `I/N`.
    public static func parseShard(_ text: String) throws -> (Int, Int) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else {
            throw SettingError.invalid("--shard \(text): expected I/N with 0 ≤ I < N")
        }
        return (i, n)
    }

    public static func paperReferences(_ plan: SuitePlan, csv: String) throws
        -> (references: [FigureReference], pairs: [PaperPairing], reference: PaperReference) {
        let reference: PaperReference
        do { reference = try PaperReference.load(from: URL(fileURLWithPath: csv)) } catch {
            throw SettingError.invalid("\(csv): \(error)")
        }
        let pairs = PaperOverlay.pairings(plan, reference: reference)
        return (PaperOverlay.references(pairs, reference: reference), pairs, reference)
    }

    /// Writes the summary, table and figures of a finished (or partly finished) suite and prints the table
    /// (with `quiet`, only where the files went).
    public static func report(_ plan: SuitePlan, out: String, paperReference: String?, quiet: Bool = false) throws {
        let (summary, missing) = try SuiteReport.summary(plan, outDirectory: out)
        var references: [FigureReference] = []
        var extra = ""
        var paperTable = ""
        if let paperReference {
            let overlay = try paperReferences(plan, csv: paperReference)
            references = overlay.references
            if !overlay.pairs.isEmpty {
                let table = PaperComparison.table(summary, reference: overlay.reference, pairs: overlay.pairs)
                extra = "\n## Our final numbers next to the paper's\n\n" + table.markdown() + "\n"
                paperTable = table.plainText()
            }
        }
        let diagnostics = try SuiteDiagnostics.write(plan, summary: summary, outDirectory: out)
        let figures = try SuiteReport.write(summary, outDirectory: out, references: references,
                                            extraMarkdown: extra + diagnostics.markdown) + diagnostics.figures
        try SuiteHTML.writeIndex(plan, out: out)
        try SuiteHTML.write(outDirectory: out)
        if !quiet {
            print(SummaryMarkdown.renderPlainText(summary))
            if !paperTable.isEmpty { print("\nOurs vs the paper (5-seed means):\n" + paperTable) }
        }
        if !missing.isEmpty { print("\nnote: \(missing.count) planned runs have no result yet; the summary covers the others") }
        print("\nwrote \((out as NSString).appendingPathComponent("summary.html")), summary.md, summary.json and \(figures.count) figures in \((out as NSString).appendingPathComponent("figures"))")
    }
}
