import Foundation
import Testing
@testable import Reports

struct DiagnosticsSummaryTests {
    static let records = [
        Fixtures.record("g/a", method: .metaOptimize, seed: 0, loss: 1),
        Fixtures.record("g/a", method: .metaOptimize, seed: 1, loss: 1),
        Fixtures.record("g/a", method: .metaOptimize, seed: 2, loss: 1, diverged: true, divergedAt: 5),
        Fixtures.record("g/b", method: .other, seed: 0, loss: 2),
    ]
    static let summary = SuiteSummary.build(suite: "s", suiteDigest: "d", records: records, expectedSeeds: [0, 1, 2])

    static func values(_ task: Int, dead: Double, rank: Double) -> TaskDiagnosticsValues {
        TaskDiagnosticsValues(task: task, deadFraction: dead, effectiveRank: rank, approximateRank: rank.rounded(),
                              gradientNorm: 0.5, plasticity: nil)
    }

    @Test("per configuration and task: mean ± s.e. over the non-diverged seeds; configurations without diagnostics left out")
    func aggregates() throws {
        let d = DiagnosticsSummary.build(summary: Self.summary, records: [
            DiagnosticsRecord(configurationID: "g/a", seed: 0, diverged: false, tasks: [Self.values(0, dead: 0.1, rank: 10), Self.values(1, dead: 0.2, rank: 8)]),
            DiagnosticsRecord(configurationID: "g/a", seed: 1, diverged: false, tasks: [Self.values(0, dead: 0.3, rank: 12), Self.values(1, dead: 0.4, rank: 6)]),
            DiagnosticsRecord(configurationID: "g/a", seed: 2, diverged: true, tasks: [Self.values(0, dead: 0.9, rank: 1)]),
        ])
        #expect(d.configurations.map(\.configurationID) == ["g/a"])
        let a = try #require(d.configuration("g/a"))
        #expect(a.tasks.map(\.task) == [0, 1])
        let dead0 = try #require(a.tasks[0].deadFraction)
        #expect(abs(dead0.mean - 0.2) < 1e-12 && dead0.n == 2)
        #expect(abs(dead0.standardError - 0.1) < 1e-12)  // s.d. 0.1414 / √2
        #expect(a.tasks[1].effectiveRank?.mean == 7 && a.tasks[1].plasticity == nil)
        let markdown = d.markdown(Self.summary)
        #expect(markdown.contains("## Plasticity diagnostics") && markdown.contains("| 20.0 ± 10.0 |"))
        let figures = d.figures(Self.summary)
        #expect(figures.map(\.fileName) == ["dead-units-g.svg", "effective-rank-g.svg"])
        #expect(figures.allSatisfy { $0.svg.hasPrefix("<svg") || $0.svg.contains("<svg") })
    }

    @Test("no diagnostics: empty summary, no markdown, no figures")
    func empty() {
        let d = DiagnosticsSummary.build(summary: Self.summary, records: [])
        #expect(d.configurations.isEmpty && d.markdown(Self.summary).isEmpty && d.figures(Self.summary).isEmpty)
    }
}
