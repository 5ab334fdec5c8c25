import Testing
@testable import Reports

/// The summary table: rows, order, marks, verdict block, plain-text alignment.
struct SummaryMarkdownTests {
    static let summary = SuiteSummaryTests.build(SuiteSummaryTests.gridRecords())

    /// Table rows of a markdown document whose first cell contains `needle`, in order.
    static func rowIndex(_ text: String, _ needle: String) -> Int? {
        text.split(separator: "\n").firstIndex { $0.hasPrefix("| ") && $0.contains(needle) }
    }

    @Test func rowsAreSortedByMeanOnlineLoss() throws {
        let md = SummaryMarkdown.render(Self.summary)
        // Means: A 0.6 (over 2 seeds), M 0.72, B 0.8, C 1.0.
        let lines = md.split(separator: "\n").filter { $0.hasPrefix("| ") }
        let firstCells = lines.map { $0.split(separator: "|").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" }
        let order = firstCells.prefix(5)
        #expect(Array(order) == ["method", "A", "◆ **M**", "B ★", "C"])
    }

    @Test func rowShowsMeanStandardErrorAndDivergedCount() {
        let md = SummaryMarkdown.render(Self.summary)
        // A: 0.6 ± 0.1 over 2 seeds with 1 of 3 diverged; α0 1e-3.
        #expect(md.contains("| A | 1e-3 | 0.60 ± 0.10 |"))
        #expect(md.contains("| 1/3 |"))
        #expect(md.contains("| B ★ | 1e-4 | 0.8000 |"))
    }

    @Test func headerHasTheExpectedColumns() {
        let md = SummaryMarkdown.render(Self.summary)
        #expect(md.contains("| method | α0 | online loss | online acc % | cumulative acc % | AUC online loss | diverged | steps/s |"))
    }

    @Test func comparisonBlockGivesDifferenceAndVerdictAgainstTheBestAlpha() {
        let md = SummaryMarkdown.render(Self.summary)
        #expect(md.contains("MetaOptimize vs best fixed α"))
        // M − B = −0.08 with se 0.0115 → better; vs A tie; vs C better.
        #expect(md.contains("| ◆ M | A ★ α = 1e-4 | −0.080 ± 0.012 | **better** | better: 1e-4, 1e-2; tie: 1e-3 |"))
    }

    @Test func notesListDivergedSeedsWithTheirSteps() {
        let md = SummaryMarkdown.render(Self.summary)
        #expect(md.contains("- A: 1/3 diverged (seed 2 at step 37)"))
    }

    @Test func configurationsWithoutALossComeLast() {
        var records = SuiteSummaryTests.gridRecords()
        records.append(Fixtures.record("Dead", seed: 0, loss: .nan, diverged: true))
        let md = SummaryMarkdown.render(SuiteSummaryTests.build(records))
        let dead = Self.rowIndex(md, "Dead"), c = Self.rowIndex(md, "| C |")
        #expect(dead != nil && c != nil && dead! > c!)
        #expect(md.contains("| Dead | 1e-3 | – |"))
    }

    @Test func plainTextTableIsAligned() throws {
        let text = SummaryMarkdown.renderPlainText(Self.summary)
        #expect(!text.contains("**"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("method") && $0.contains("online loss") })
        // Header, rule and the 4 rows all end at the same column (last column right-aligned).
        let block = lines[header...(header + 5)]
        #expect(Set(block.map(\.count)).count == 1)
        // "online loss" values right-aligned under their header.
        let end = try #require(lines[header].range(of: "online loss")).upperBound
        let column = lines[header].distance(from: lines[header].startIndex, to: end)
        for row in block.dropFirst(2) {
            let prefix = String(row.prefix(column))
            #expect(prefix.last?.isNumber == true, "row \(row)")
        }
    }
}
