import Testing
@testable import Reports

/// Markdown and monospaced table rendering.
struct TextTableTests {
    @Test func markdownHasHeaderAlignmentRowAndEscapedCells() {
        let t = TextTable(headers: ["a", "b"], rows: [["x|y", "1"]])
        #expect(t.markdown() == "| a | b |\n|:---|---:|\n| x\\|y | 1 |\n")
    }

    @Test func plainTextPadsColumnsToTheWidestCell() {
        let t = TextTable(headers: ["name", "n"], rows: [["α", "10"], ["longer", "2"]])
        #expect(t.plainText() == "name     n\n──────  ──\nα       10\nlonger   2\n")
    }

    @Test func missingCellsAreEmpty() {
        let t = TextTable(headers: ["a", "b"], rows: [["only"]])
        #expect(t.markdown().hasSuffix("| only |  |\n"))
    }
}
