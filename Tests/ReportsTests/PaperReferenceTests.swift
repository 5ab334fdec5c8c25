import Foundation
import Testing
@testable import Reports

/// Loading the paper's reference curves.
struct PaperReferenceTests {
    static let csv = PaperReference.header + "\n"
        + "10,AdamW,0.0001,0.1,fixed,scalar,,,cumulative_online_accuracy,200,10.6\n"
        + "10,AdamW,0.0001,0.1,fixed,scalar,,,cumulative_online_accuracy,400,13.0\n"
        + "10,AdamW,0.0001,0.1,Adam,last_layer_and_others,0.001,0.999,step_size_block1,0,0.0001\r\n"

    @Test func parsesRunsMetricsAndHyperParameters() throws {
        let ref = try PaperReference.parse(Self.csv)
        #expect(ref.runs.count == 2)
        let fixed = try #require(ref.series(classesPerTask: 10, base: "AdamW", meta: "fixed", granularity: "scalar",
                                            metric: "cumulative_online_accuracy"))
        #expect(fixed == [PlotPoint(x: 200, y: Double(Float(10.6))), PlotPoint(x: 400, y: 13)])
        let meta = try #require(ref.run(PaperRunKey(classesPerTask: 10, base: "AdamW", meta: "Adam",
                                                    granularity: "last_layer_and_others")))
        #expect(meta.metaStepSize == Double(Float(0.001)) && meta.gamma == Double(Float(0.999)))
        #expect(ref.runs[0].metaStepSize == nil)
    }

    @Test func referenceSeriesIsDashedAndLabelled() throws {
        let ref = try PaperReference.parse(Self.csv)
        let s = try #require(ref.referenceSeries(classesPerTask: 10, base: "AdamW", meta: "Adam",
                                                 granularity: "last_layer_and_others", metric: "step_size_block1",
                                                 xOffset: 1))
        #expect(s.style == .dashed)
        #expect(s.label == "paper: AdamW MetaOptimize (Adam) last_layer_and_others")
        #expect(s.points.first?.x == 1)
        #expect(ref.referenceSeries(classesPerTask: 20, base: "AdamW", meta: "Adam", granularity: "scalar",
                                    metric: "step_size") == nil)
    }

    @Test func wrongHeaderIsRefused() {
        #expect(throws: ReportsError.csvHeader(file: "f.csv", expected: PaperReference.header, found: "a,b")) {
            _ = try PaperReference.parse("a,b\n1,2\n", file: "f.csv")
        }
    }

    @Test func badValueNamesTheLineAndField() {
        let text = PaperReference.header + "\n10,AdamW,0.0001,0.1,fixed,scalar,,,m,200,ten\n"
        #expect(throws: ReportsError.csvRow(file: "f.csv", line: 2, field: "value", expected: "a finite number",
                                            found: "ten")) {
            _ = try PaperReference.parse(text, file: "f.csv")
        }
        let short = PaperReference.header + "\n10,AdamW\n"
        #expect(throws: ReportsError.csvRow(file: "f.csv", line: 2, field: "<row>", expected: "11 fields",
                                            found: "2 fields")) {
            _ = try PaperReference.parse(short, file: "f.csv")
        }
    }

    /// The committed file, checked against the values quoted in the spec (§1.8, §1.9).
    @Test func committedFileMatchesTheSpec() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data/reference/paper-continual-cifar100.csv")
        let ref = try PaperReference.load(from: url)
        #expect(ref.runs.count == 24)
        var rows = 0
        for run in ref.runs {
            for points in run.metrics.values { rows += points.count }
        }
        #expect(rows == 38_540)
        let r1 = try #require(ref.series(classesPerTask: 10, base: "AdamW", meta: "fixed", granularity: "scalar",
                                         metric: "cumulative_online_accuracy"))
        #expect(r1.count == 250)
        #expect(r1.first == PlotPoint(x: 200, y: Double(Float(10.6))))
        #expect(abs(r1.last!.y - 36.59) < 0.005)  // R1 final, 50,000 steps
        let r3 = try #require(ref.series(classesPerTask: 10, base: "AdamW", meta: "Adam",
                                         granularity: "last_layer_and_others", metric: "step_size_block1"))
        #expect(r3.count == 500 && r3.last!.x == 49_900)
        #expect(abs(r3.last!.y - 0.000224) < 0.0000005)
        let r2 = try #require(ref.series(classesPerTask: 10, base: "AdamW", meta: "Adam", granularity: "scalar",
                                         metric: "task_test_accuracy"))
        #expect(r2.map(\.x) == (1...10).map(Double.init))
        let meanTestAccuracy: Double = r2.map(\.y).reduce(0, +) / 10
        #expect(abs(meanTestAccuracy - 49.11) < 0.005)
    }
}

/// Our final numbers next to the paper's.
struct PaperComparisonTests {
    static let csv = PaperReference.header + "\n"
        + "10,AdamW,0.0001,0.1,fixed,scalar,,,cumulative_online_accuracy,200,10\n"
        + "10,AdamW,0.0001,0.1,fixed,scalar,,,cumulative_online_accuracy,400,36.5\n"
        + "10,AdamW,0.0001,0.1,fixed,scalar,,,task_test_accuracy,1,40\n"
        + "10,AdamW,0.0001,0.1,fixed,scalar,,,task_test_accuracy,2,50\n"

    @Test func paperResultsAreTheLastCumulativePointAndTheMeanOverTasks() throws {
        let run = try #require(try PaperReference.parse(Self.csv).runs.first)
        #expect(run.results.finalCumulativeAccuracy == 36.5)
        #expect(run.results.meanTaskTestAccuracy == 45)
        #expect(run.results.meanTaskTrainLoss == nil)
    }

    @Test func tableShowsOursThePapersAndTheDifferenceInPoints() throws {
        // Ours: cumulative 0.37/0.38 → 37.5 ± 0.5 %; task test per seed (0.4+0.6)/2 = 0.5 and (0.5+0.5)/2 = 0.5.
        let records = [Fixtures.record("A", seed: 0, loss: 1, cumulative: 0.37, taskTest: [0.4, 0.6]),
                       Fixtures.record("A", seed: 1, loss: 1, cumulative: 0.38, taskTest: [0.5, 0.5])]
        let s = SuiteSummary.build(suite: "paper", suiteDigest: "d", records: records, expectedSeeds: [0, 1])
        #expect(s.configuration("A")?.meanTaskTestAccuracy?.mean == 0.5)
        let key = PaperRunKey(classesPerTask: 10, base: "AdamW", meta: "fixed", granularity: "scalar")
        let table = PaperComparison.table(s, reference: try PaperReference.parse(Self.csv),
                                          pairs: [PaperPairing(configurationID: "A", paper: key)])
        #expect(table.rows == [["A", "K=10 AdamW fixed scalar", "37.50 ± 0.50", "36.50", "+1.00 ± 0.50",
                                "50.00", "45.00", "+5.000"]])
    }
}
