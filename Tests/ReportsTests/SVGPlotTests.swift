import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Reports

/// A parsed SVG: every element with its attributes and direct text.
final class ParsedSVG: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var text: String
    }

    var elements: [Element] = []
    private var stack: [Int] = []
    var error: String?

    /// Parses `svg`; nil when it is not well-formed XML.
    static func parse(_ svg: String) -> ParsedSVG? {
        let result = ParsedSVG()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = result
        guard parser.parse(), result.error == nil else { return nil }
        return result
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        stack.append(elements.count)
        elements.append(Element(name: name, attributes: attributes, text: ""))
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let i = stack.last { elements[i].text += string }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        error = "\(parseError)"
    }

    func withClass(_ c: String) -> [Element] { elements.filter { $0.attributes["class"] == c } }
    func texts(_ c: String) -> [String] { withClass(c).map(\.text) }
}

/// The SVG writer: valid XML, title, axes, ticks, one path per series, legend, log-axis decades.
struct SVGPlotTests {
    static func linePlot() -> SVGPlot {
        SVGPlot(title: "Loss & accuracy <test>",
                xAxis: PlotAxis(label: "step"), yAxis: PlotAxis(label: "online loss (nats)"),
                series: [
                    PlotSeries(label: "A", points: (0...10).map { PlotPoint(x: Double($0), y: Double($0) / 10) },
                               band: (0...10).map { PlotInterval(x: Double($0), lower: Double($0) / 10 - 0.05,
                                                                 upper: Double($0) / 10 + 0.05) }),
                    PlotSeries(label: "B \"quoted\"", points: [PlotPoint(x: 0, y: 1), PlotPoint(x: 10, y: 0)],
                               style: .dashed),
                    PlotSeries(label: "hidden", points: [PlotPoint(x: 0, y: 0.5), PlotPoint(x: 10, y: 0.5)],
                               inLegend: false),
                ],
                referenceLines: [ReferenceLine(orientation: .vertical, value: 5),
                                 ReferenceLine(orientation: .horizontal, value: 0.2, label: "reference", inLegend: true)])
    }

    @Test func outputIsWellFormedXMLWithTheEscapedTitle() throws {
        let svg = Self.linePlot().render()
        let doc = try #require(ParsedSVG.parse(svg))
        #expect(doc.elements.first?.name == "svg")
        #expect(doc.texts("title") == ["Loss & accuracy <test>"])
        #expect(doc.elements.contains { $0.name == "title" && $0.text == "Loss & accuracy <test>" })
        #expect(svg.contains("Loss &amp; accuracy &lt;test&gt;"))
    }

    @Test func axisLabelsAndTickLabelsArePresent() throws {
        let doc = try #require(ParsedSVG.parse(Self.linePlot().render()))
        #expect(doc.texts("x-label") == ["step"])
        #expect(doc.texts("y-label") == ["online loss (nats)"])
        // x in [0, 10]: nice step 2 → 0, 2, …, 10; y in [−0.05, 1.05]: step 0.25 → −0.25 … 1.25.
        #expect(doc.texts("x-tick") == ["0", "2", "4", "6", "8", "10"])
        #expect(doc.texts("y-tick") == ["-0.25", "0.00", "0.25", "0.50", "0.75", "1.00", "1.25"])
    }

    @Test func onePathPerSeriesAndABandPath() throws {
        let doc = try #require(ParsedSVG.parse(Self.linePlot().render()))
        let paths = doc.withClass("series")
        #expect(paths.count == 3)
        #expect(paths.map { $0.attributes["data-label"] } == ["A", "B \"quoted\"", "hidden"])
        #expect(paths[1].attributes["stroke-dasharray"] != nil)  // dashed
        #expect(paths[0].attributes["stroke-dasharray"] == nil)  // solid
        #expect(doc.withClass("band").count == 1)
        #expect(doc.withClass("vline").count == 1 && doc.withClass("hline").count == 1)
    }

    @Test func seriesTakeDistinctPaletteColours() throws {
        let doc = try #require(ParsedSVG.parse(Self.linePlot().render()))
        let strokes = doc.withClass("series").compactMap { $0.attributes["stroke"] }
        #expect(strokes == Array(SVGPlot.palette.prefix(3)))
    }

    @Test func legendListsTheEntriesOutsideThePlotArea() throws {
        let doc = try #require(ParsedSVG.parse(Self.linePlot().render()))
        let entries = doc.withClass("legend-entry")
        #expect(entries.count == 3)  // A, B, reference line; "hidden" is not in the legend
        let legendTexts = doc.elements.filter { $0.name == "text" && $0.attributes["class"] == nil }.map(\.text)
        #expect(legendTexts == ["A", "B \"quoted\"", "reference"])
        let frame = try #require(doc.withClass("frame").first)
        let right = Double(frame.attributes["x"]!)! + Double(frame.attributes["width"]!)!
        let legendX = doc.elements.filter { $0.name == "text" && $0.attributes["class"] == nil }
            .compactMap { $0.attributes["x"].flatMap(Double.init) }
        #expect(legendX.allSatisfy { $0 > right })
    }

    @Test func logAxisLabelsDecadesWithSuperscripts() throws {
        let plot = SVGPlot(title: "α", xAxis: PlotAxis(label: "step"),
                           yAxis: PlotAxis(label: "α", scale: .log10),
                           series: [PlotSeries(label: "s", points: [PlotPoint(x: 0, y: 2e-5), PlotPoint(x: 1, y: 3e-2)])])
        let doc = try #require(ParsedSVG.parse(plot.render()))
        let labels = doc.texts("y-tick")
        #expect(labels == ["10⁻⁵", "10⁻⁴", "10⁻³", "10⁻²", "10⁻¹"])
        #expect(!labels.contains { $0.contains("e") })
    }

    @Test func logAxisSkipsNonPositiveValuesAsAGap() throws {
        let plot = SVGPlot(title: "t", xAxis: PlotAxis(label: "x"), yAxis: PlotAxis(label: "y", scale: .log10),
                           series: [PlotSeries(label: "s", points: [PlotPoint(x: 0, y: 1), PlotPoint(x: 1, y: 2),
                                                                    PlotPoint(x: 2, y: 0), PlotPoint(x: 3, y: 5),
                                                                    PlotPoint(x: 4, y: .nan), PlotPoint(x: 5, y: 9)])])
        let doc = try #require(ParsedSVG.parse(plot.render()))
        let d = try #require(doc.withClass("series").first?.attributes["d"])
        #expect(d.filter { $0 == "M" }.count == 3)
        #expect(d.filter { $0 == "L" }.count == 1)
    }

    @Test func narrowLogRangeAlsoLabelsTwoAndFive() {
        let ticks = AxisTicks.make(axis: PlotAxis(label: "", scale: .log10), values: [1.5e-4, 8e-4])
        #expect(ticks.ticks.map(\.label) == ["10⁻⁴", "2×10⁻⁴", "5×10⁻⁴", "10⁻³"])
    }

    @Test func wideLogRangeThinsDecadeLabels() {
        let ticks = AxisTicks.make(axis: PlotAxis(label: "", scale: .log10), values: [1e-12, 1e4])
        let labelled = ticks.ticks.filter { !$0.label.isEmpty }.map(\.label)
        #expect(ticks.ticks.count == 17)
        #expect(labelled.first == "10⁻¹²" && labelled.count <= 9)
    }

    @Test func linearTicksUseNiceStepsAndThousands() {
        #expect(AxisTicks.niceStep(0.23) == 0.25)
        #expect(AxisTicks.niceStep(1.8) == 2)
        #expect(AxisTicks.niceStep(7) == 10)
        let ticks = AxisTicks.make(axis: PlotAxis(label: ""), values: [100, 50_000])
        #expect(ticks.ticks.map(\.label) == ["0", "10k", "20k", "30k", "40k", "50k"])
    }

    @Test func explicitRangeAndTickStepAreHonoured() {
        let ticks = AxisTicks.make(axis: PlotAxis(label: "", range: 0.5...10.5, tickStep: 1), values: [1, 10])
        #expect(ticks.ticks.map(\.label) == (1...10).map(String.init))
        #expect(ticks.lowerBound == 0.5 && ticks.upperBound == 10.5)
    }

    @Test func markersAndErrorBarsAreDrawn() throws {
        let plot = SVGPlot(title: "t", xAxis: PlotAxis(label: "x"), yAxis: PlotAxis(label: "y"),
                           series: [PlotSeries(label: "s", points: [PlotPoint(x: 1, y: 1), PlotPoint(x: 2, y: 2)],
                                               errorBars: [PlotInterval(x: 1, lower: 0.5, upper: 1.5)],
                                               marker: .diamond)])
        let doc = try #require(ParsedSVG.parse(plot.render()))
        #expect(doc.withClass("marker").count == 3)  // two points + the legend sample
        #expect(doc.withClass("errorbar").count == 1)
    }

    @Test func emptyPlotStillRendersValidAxes() throws {
        let doc = try #require(ParsedSVG.parse(SVGPlot(title: "empty", xAxis: PlotAxis(label: "x"),
                                                       yAxis: PlotAxis(label: "y", scale: .log10)).render()))
        #expect(doc.withClass("series").isEmpty)
        #expect(!doc.texts("y-tick").isEmpty)
    }

    @Test func clipPathIdIsSanitised() throws {
        var plot = Self.linePlot()
        plot.idPrefix = "a b\"c"
        let doc = try #require(ParsedSVG.parse(plot.render()))
        #expect(doc.elements.first { $0.name == "clipPath" }?.attributes["id"] == "a-b-c-area")
    }

    @Test func controlCharactersInLabelsDoNotBreakTheXML() throws {
        let plot = SVGPlot(title: "bad\u{01}title", xAxis: PlotAxis(label: "x'"), yAxis: PlotAxis(label: "y"))
        #expect(ParsedSVG.parse(plot.render()) != nil)
    }
}
