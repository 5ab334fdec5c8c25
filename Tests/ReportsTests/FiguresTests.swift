import Foundation
import Testing
@testable import Reports

/// Figure builders from a suite summary.
struct FiguresTests {
    static let summary = SuiteSummary.build(suite: "demo", suiteDigest: "abc",
                                            records: Fixtures.syntheticSuite() + Fixtures.syntheticSuite(group: "Label permuted"),
                                            expectedSeeds: [0, 1, 2])
    static let group = "input-permuted"

    static func parsed(_ plot: SVGPlot?) throws -> ParsedSVG {
        let plot = try #require(plot)
        return try #require(ParsedSVG.parse(plot.render()))
    }

    @Test func renderWritesEveryKindPerGroupAsValidSVG() throws {
        let figures = Figures.render(Self.summary)
        #expect(figures.map(\.fileName) == [
            "online-loss-input-permuted.svg", "cumulative-accuracy-input-permuted.svg",
            "step-sizes-input-permuted.svg", "sensitivity-input-permuted.svg",
            "task-test-accuracy-input-permuted.svg",
            "online-loss-label-permuted.svg", "cumulative-accuracy-label-permuted.svg",
            "step-sizes-label-permuted.svg", "sensitivity-label-permuted.svg",
            "task-test-accuracy-label-permuted.svg",
        ])
        for f in figures { #expect(ParsedSVG.parse(f.svg) != nil, "\(f.fileName) is not well-formed") }
    }

    @Test func kindsOptionSelectsFigures() {
        let figures = Figures.render(Self.summary, options: FigureOptions(kinds: [.sensitivity]))
        #expect(figures.map(\.fileName) == ["sensitivity-input-permuted.svg", "sensitivity-label-permuted.svg"])
    }

    @Test func lossFigureShowsAdaptiveMethodsAndTheBestFixedAlphaWithBands() throws {
        let doc = try Self.parsed(Figures.onlineLoss(Self.summary, group: Self.group))
        let labels = doc.withClass("series").compactMap { $0.attributes["data-label"] }
        #expect(labels == ["AdamW fixed α = 10⁻³ (best)", "MetaOptimize scalar (α0 = 10⁻⁴)",
                           "MetaOptimize last-layer-and-others (α0 = 10⁻⁴)", "Hypergradient descent (α0 = 10⁻⁴)"])
        #expect(doc.withClass("band").count == 4)
        // 10 tasks of 500 steps: 9 boundaries.
        #expect(doc.withClass("vline").count == 9)
        #expect(doc.texts("title") == ["Online loss — input-permuted"])
    }

    @Test func allGridPointsCanBeShownFaintly() throws {
        let doc = try Self.parsed(Figures.onlineLoss(Self.summary, group: Self.group,
                                                     options: FigureOptions(showAllGridPoints: true)))
        #expect(doc.withClass("series").count == 8)  // 4 other grid points + the 4 above
        #expect(doc.withClass("legend-entry").count == 4)
    }

    @Test func curvesHaveAtMostMaxPointsPoints() throws {
        let doc = try Self.parsed(Figures.onlineLoss(Self.summary, group: Self.group,
                                                     options: FigureOptions(maxPoints: 25)))
        let d = try #require(doc.withClass("series").first?.attributes["d"])
        #expect(d.filter { $0 == "M" || $0 == "L" }.count == 25)  // 100 bins merged 4 at a time
    }

    @Test func stepSizeFigureHasOneLinePerGroupOnALogAxis() throws {
        let doc = try Self.parsed(Figures.stepSizes(Self.summary, group: Self.group))
        let labels = doc.withClass("series").compactMap { $0.attributes["data-label"] }
        #expect(labels == ["MetaOptimize scalar", "MetaOptimize last-layer-and-others: others",
                           "MetaOptimize last-layer-and-others: last_layer", "Hypergradient descent"])
        #expect(doc.withClass("hline").count == 1)  // best fixed α
        #expect(doc.texts("y-tick").contains("10⁻³"))
        #expect(doc.texts("legend-note") == ["dotted verticals: task boundaries"])
    }

    @Test func stepSizeFigureMatchesTheSummarisedGeometricMean() throws {
        let c = try #require(Self.summary.configuration("input-permuted/MetaOptimize scalar"))
        let plot = try #require(Figures.stepSizes(Self.summary, group: Self.group))
        let first = try #require(plot.series.first?.points.first)
        #expect(first.y == exp(c.curve[0].logStepSizes[0]))
        let arithmetic = try #require(Figures.stepSizes(Self.summary, group: Self.group,
                                                        options: FigureOptions(stepSizeAveraging: .arithmetic)))
        #expect(arithmetic.series.first?.points.first?.y == c.curve[0].stepSizes?[0])
    }

    @Test func logSummaryStepSizesAreALineWithAMinMaxBand() throws {
        var r = Fixtures.record("W", method: .metaOptimize, seed: 0, loss: 1,
                                curve: [CurvePoint(step: 10, task: 0, onlineLoss: 1, onlineAccuracy: 0.5,
                                                   cumulativeAccuracy: 0.5, stepSizes: [-7, -9, -5]),
                                        CurvePoint(step: 20, task: 0, onlineLoss: 1, onlineAccuracy: 0.5,
                                                   cumulativeAccuracy: 0.5, stepSizes: [-7, -9, -5])],
                                stepSizeGroups: ["mean_log", "min_log", "max_log"])
        r.stepSizesAreLogSummary = true
        let s = SuiteSummary.build(suite: "s", suiteDigest: "d", records: [r], expectedSeeds: [0])
        let plot = try #require(Figures.stepSizes(s, group: "g"))
        #expect(plot.series.count == 1)
        #expect(plot.series[0].points.map(\.y) == [exp(-7), exp(-7)])
        #expect(plot.series[0].band.map(\.lower) == [exp(-9), exp(-9)])
        #expect(plot.series[0].band.map(\.upper) == [exp(-5), exp(-5)])
    }

    @Test func sensitivityFigureHasTheUCurveAndOneLinePerAdaptiveMethod() throws {
        let plot = try #require(Figures.sensitivity(Self.summary, group: Self.group))
        let grid = try #require(plot.series.first)
        #expect(grid.points.map(\.x) == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1])
        #expect(grid.errorBars.count == 5)
        let doc = try #require(ParsedSVG.parse(plot.render()))
        #expect(doc.withClass("hline").count == 3)
        #expect(doc.texts("x-tick").contains("10⁻³"))
        #expect(doc.texts("legend-note").contains("× some seeds diverged (not eligible)"))
        // The MetaOptimize scalar line sits at its mean online loss.
        let meta = try #require(Self.summary.configuration("input-permuted/MetaOptimize scalar")?.onlineLoss)
        #expect(plot.referenceLines.contains { $0.value == meta.mean && $0.label.hasPrefix("MetaOptimize scalar") })
    }

    @Test func sensitivityNeedsAGrid() {
        let records = [Fixtures.record("M", method: .metaOptimize, seed: 0, loss: 1)]
        let s = SuiteSummary.build(suite: "s", suiteDigest: "d", records: records, expectedSeeds: [0])
        #expect(Figures.sensitivity(s, group: "g") == nil)
        #expect(Figures.render(s).allSatisfy { !$0.fileName.hasPrefix("sensitivity") })
    }

    @Test func taskAccuracyFigureIsInPercentPerTask() throws {
        let plot = try #require(Figures.taskTestAccuracy(Self.summary, group: Self.group))
        let c = try #require(Self.summary.configuration("input-permuted/MetaOptimize scalar"))
        let series = try #require(plot.series.first { $0.label.hasPrefix("MetaOptimize scalar") })
        #expect(series.points.map(\.x) == (1...10).map(Double.init))
        #expect(abs(series.points[0].y - c.taskTestAccuracy[0]!.mean * 100) < 1e-12)
        let doc = try #require(ParsedSVG.parse(plot.render()))
        #expect(doc.texts("x-tick") == (1...10).map(String.init))
    }

    @Test func referenceSeriesAreDrawnDashedInTheMatchingColour() throws {
        let id = "input-permuted/MetaOptimize scalar"
        let reference = ReferenceSeries(label: "paper: MetaOptimize scalar",
                                        points: [PlotPoint(x: 1, y: 48), PlotPoint(x: 2, y: 47)],
                                        matchingConfigurationID: id)
        let options = FigureOptions(references: [FigureReference(kind: .taskTestAccuracy, group: Self.group,
                                                                 series: reference)])
        let doc = try Self.parsed(Figures.taskTestAccuracy(Self.summary, group: Self.group, options: options))
        let paths = doc.withClass("series")
        let ours = try #require(paths.first { $0.attributes["data-label"]?.hasPrefix("MetaOptimize scalar") == true })
        let paper = try #require(paths.first { $0.attributes["data-label"] == "paper: MetaOptimize scalar" })
        #expect(paper.attributes["stroke-dasharray"] != nil)
        #expect(paper.attributes["stroke"] == ours.attributes["stroke"])
        // Only in the group it was given for.
        let other = try Self.parsed(Figures.taskTestAccuracy(Self.summary, group: "Label permuted", options: options))
        #expect(!other.withClass("series").contains { $0.attributes["data-label"] == "paper: MetaOptimize scalar" })
    }

    @Test func slugsAreFileNameSafe() {
        #expect(Figures.slug("Input Permuted / K=10") == "input-permuted-k-10")
        #expect(Figures.slug("///") == "group")
        #expect(Figures.fileName(.stepSizes, group: "a b") == "step-sizes-a-b.svg")
    }
}
