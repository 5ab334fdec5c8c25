import Foundation

/// A point of a plotted series, in data units.
public struct PlotPoint: Codable, Sendable, Equatable {
    public var x: Double
    public var y: Double
}

/// A vertical interval at `x` (a ±s.e. band sample or an error bar), in data units.
public struct PlotInterval: Codable, Sendable, Equatable {
    public var x: Double
    public var lower: Double
    public var upper: Double
}

/// Axis scale. On `log10` axes non-positive values are not drawn (a gap in the line).
public enum AxisScale: String, Codable, Sendable, Equatable {
    case linear
    case log10
}

/// Line dash style.
public enum LineStyle: String, Codable, Sendable, Equatable {
    case solid, dashed, dotted
    case dashDot = "dash_dot"

    var dashArray: String? {
        switch self {
        case .solid: return nil
        case .dashed: return "7 4"
        case .dotted: return "2 3"
        case .dashDot: return "8 3 2 3"
        }
    }
}

/// Marker shapes.
public enum MarkerShape: String, Codable, Sendable, Equatable {
    case circle, square, triangle, diamond, cross
}

/// A colour: an entry of the colour-blind-safe palette (``SVGPlot/palette``, index taken modulo its size), or a
/// CSS colour string.
public enum PlotColor: Codable, Sendable, Equatable {
    case palette(Int)
    case css(String)

    /// Neutral grey for reference lines.
    public static let gray = PlotColor.css("#7f7f7f")

    var css: String {
        switch self {
        case let .palette(i): return SVGPlot.palette[((i % SVGPlot.palette.count) + SVGPlot.palette.count)
                                                          % SVGPlot.palette.count]
        case let .css(s): return s
        }
    }
}

/// One axis: label, scale, an optional fixed range (data units; automatic from the data when nil) and, for linear
/// axes, an optional tick spacing (automatic 1, 2, 2.5, 5 × 10ᵏ when nil).
public struct PlotAxis: Sendable, Equatable {
    public var label: String
    public var scale: AxisScale = .linear
    public var range: ClosedRange<Double>?
    public var tickStep: Double?
}

/// A data series: a line (optionally dashed), an optional shaded band (e.g. mean ± s.e.), optional error bars
/// and markers.
public struct PlotSeries: Sendable, Equatable {
    public var label: String
    public var points: [PlotPoint]
    /// Shaded band, drawn under the line in the series colour at `bandOpacity`.
    public var band: [PlotInterval] = []
    /// Vertical error bars with small caps.
    public var errorBars: [PlotInterval] = []
    public var style: LineStyle = .solid
    /// Draw the connecting line (false: markers only).
    public var showsLine: Bool = true
    public var marker: MarkerShape?
    /// Hollow markers when false.
    public var markerFilled: Bool = true
    /// Marker radius, px.
    public var markerSize: Double = 4
    /// nil: the next palette colour not given explicitly.
    public var color: PlotColor?
    public var lineWidth: Double = 2
    /// Opacity of the line and markers (e.g. 0.35 for faint context series).
    public var opacity: Double = 1
    public var bandOpacity: Double = 0.2
    public var inLegend: Bool = true
}

/// A horizontal (constant y) or vertical (constant x) reference line across the plot area.
public struct ReferenceLine: Sendable, Equatable {
    public enum Orientation: Sendable, Equatable { case horizontal, vertical }

    public var orientation: Orientation
    /// The y (horizontal) or x (vertical) value, data units.
    public var value: Double
    /// Legend text (when `inLegend`).
    public var label: String = ""
    public var style: LineStyle = .dashed
    public var color: PlotColor = .gray
    public var lineWidth: Double = 1
    public var opacity: Double = 1
    public var inLegend: Bool = false
}

/// A small SVG plotting layer: line series with optional ±bands, error bars and markers, linear or log10 axes with
/// readable ticks (decades labelled "10⁻⁵" with real superscripts), reference lines, title, axis labels, and a
/// legend outside the plot area on the right, so it never hides data. All text is XML-escaped.
///
/// `width` × `height` is the size of the plot with its axes; the legend adds its own width on the right (and the
/// height grows if the legend is taller).
public struct SVGPlot: Sendable, Equatable {
    /// Okabe–Ito colour-blind-safe palette (blue, vermillion, bluish green, reddish purple, orange, sky blue, black,
    /// yellow).
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                                 "#F0E442"]

    public var title: String
    public var xAxis: PlotAxis
    public var yAxis: PlotAxis
    public var series: [PlotSeries] = []
    public var referenceLines: [ReferenceLine] = []
    /// Extra lines of text under the legend (e.g. "dashed: paper").
    public var legendNotes: [String] = []
    public var width: Double = 720
    public var height: Double = 440
    /// Prefix of element ids (clip path), to keep ids unique when several plots share one HTML page.
    public var idPrefix: String = "plot"

    // MARK: Layout constants

    static let marginLeft = 78.0, marginRight = 16.0, marginTop = 44.0, marginBottom = 56.0
    static let fontFamily = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
    static let legendRow = 18.0
    static let legendFont = 12.0

    /// Escapes text for XML content and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Drop control characters that XML 1.0 forbids.
                if let a = ch.unicodeScalars.first?.value, a < 0x20, a != 0x09, a != 0x0A, a != 0x0D {
                    out += "\u{FFFD}"
                } else {
                    out.append(ch)
                }
            }
        }
        return out
    }

    /// Approximate rendered width of `text` at `fontSize` px (average glyph ≈ 0.56 em; enough for layout).
    static func textWidth(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * 0.56
    }

    static func num(_ x: Double) -> String {
        NumberFormatting.fixed(min(max(x, -1e6), 1e6), decimals: 2)
    }

    // MARK: Rendering

    /// The SVG document.
    public func render() -> String {
        let resolved = resolvedColors()
        let xScale = AxisTicks.make(axis: xAxis, values: dataValues(x: true))
        let yScale = AxisTicks.make(axis: yAxis, values: dataValues(x: false))

        let legendEntries = legendItems(resolved)
        let legendTextWidth = (legendEntries.map { Self.textWidth($0.label, fontSize: Self.legendFont) }
            + legendNotes.map { Self.textWidth($0, fontSize: Self.legendFont - 1) }).max() ?? 0
        let legendWidth = legendEntries.isEmpty && legendNotes.isEmpty ? 0 : 36 + legendTextWidth + 24
        let legendHeight = Double(legendEntries.count + legendNotes.count) * Self.legendRow + 8
        let plotLeft = Self.marginLeft
        let plotTop = Self.marginTop
        let plotWidth = max(width - Self.marginLeft - Self.marginRight, 50)
        let plotHeight = max(height - Self.marginTop - Self.marginBottom, 50)
        let totalWidth = plotLeft + plotWidth + Self.marginRight + legendWidth
        let totalHeight = max(height, plotTop + legendHeight + 10)

        func px(_ x: Double) -> Double? {
            guard let t = xScale.transform(x) else { return nil }
            return plotLeft + (t - xScale.tMin) / (xScale.tMax - xScale.tMin) * plotWidth
        }
        func py(_ y: Double) -> Double? {
            guard let t = yScale.transform(y) else { return nil }
            return plotTop + plotHeight - (t - yScale.tMin) / (yScale.tMax - yScale.tMin) * plotHeight
        }
        let safePrefix = String(idPrefix.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") ? $0 : "-" })
        let clip = "\(safePrefix.isEmpty ? "plot" : safePrefix)-area"
        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.num(totalWidth))" height="\(Self.num(totalHeight))" \
            viewBox="0 0 \(Self.num(totalWidth)) \(Self.num(totalHeight))" font-family="\(Self.fontFamily)">
            <title>\(Self.escape(title))</title>
            <rect width="100%" height="100%" fill="white"/>
            <defs><clipPath id="\(clip)"><rect x="\(Self.num(plotLeft))" y="\(Self.num(plotTop))" \
            width="\(Self.num(plotWidth))" height="\(Self.num(plotHeight))"/></clipPath></defs>

            """
        // Title.
        svg += "<text class=\"title\" x=\"\(Self.num(plotLeft + plotWidth / 2))\" y=\"26\" text-anchor=\"middle\" "
            + "font-size=\"16\" font-weight=\"bold\">\(Self.escape(title))</text>\n"

        // Grid lines and ticks: segments across the plot at data values x (vertical) or y (horizontal).
        func segment(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> String {
            "<line x1=\"\(Self.num(x1))\" y1=\"\(Self.num(y1))\" x2=\"\(Self.num(x2))\" y2=\"\(Self.num(y2))\"/>\n"
        }
        func verticals(at values: [Double], from y1: Double, to y2: Double) {
            for value in values { if let x = px(value) { svg += segment(x, y1, x, y2) } }
        }
        func horizontals(at values: [Double], from x1: Double, to x2: Double) {
            for value in values { if let y = py(value) { svg += segment(x1, y, x2, y) } }
        }
        let bottom = plotTop + plotHeight
        svg += "<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n"
        verticals(at: xScale.ticks.map(\.value), from: plotTop, to: bottom)
        horizontals(at: yScale.ticks.map(\.value), from: plotLeft, to: plotLeft + plotWidth)
        svg += "</g>\n"

        // Axes box.
        svg += "<rect class=\"frame\" x=\"\(Self.num(plotLeft))\" y=\"\(Self.num(plotTop))\" "
            + "width=\"\(Self.num(plotWidth))\" height=\"\(Self.num(plotHeight))\" fill=\"none\" stroke=\"#333\" "
            + "stroke-width=\"1\"/>\n"
        svg += "<g class=\"ticks\" stroke=\"#333\" stroke-width=\"1\">\n"
        verticals(at: xScale.minorTicks, from: bottom, to: bottom + 3)
        horizontals(at: yScale.minorTicks, from: plotLeft - 3, to: plotLeft)
        verticals(at: xScale.ticks.map(\.value), from: bottom, to: bottom + 6)
        horizontals(at: yScale.ticks.map(\.value), from: plotLeft - 6, to: plotLeft)
        svg += "</g>\n<g class=\"tick-labels\" font-size=\"11\" fill=\"#222\">\n"
        for t in xScale.ticks where !t.label.isEmpty { if let x = px(t.value) {
            svg += "<text class=\"x-tick\" x=\"\(Self.num(x))\" y=\"\(Self.num(plotTop + plotHeight + 19))\" "
                + "text-anchor=\"middle\">\(Self.escape(t.label))</text>\n"
        } }
        for t in yScale.ticks where !t.label.isEmpty { if let y = py(t.value) {
            svg += "<text class=\"y-tick\" x=\"\(Self.num(plotLeft - 9))\" y=\"\(Self.num(y + 4))\" "
                + "text-anchor=\"end\">\(Self.escape(t.label))</text>\n"
        } }
        svg += "</g>\n"
        // Axis labels.
        svg += "<text class=\"x-label\" x=\"\(Self.num(plotLeft + plotWidth / 2))\" "
            + "y=\"\(Self.num(plotTop + plotHeight + 44))\" text-anchor=\"middle\" font-size=\"13\">"
            + "\(Self.escape(xAxis.label))</text>\n"
        let yLabelX = 18.0, yLabelY = plotTop + plotHeight / 2
        svg += "<text class=\"y-label\" x=\"\(Self.num(yLabelX))\" y=\"\(Self.num(yLabelY))\" text-anchor=\"middle\" "
            + "font-size=\"13\" transform=\"rotate(-90 \(Self.num(yLabelX)) \(Self.num(yLabelY)))\">"
            + "\(Self.escape(yAxis.label))</text>\n"

        // Data, clipped to the plot area.
        svg += "<g class=\"data\" clip-path=\"url(#\(clip))\">\n"
        for line in referenceLines where line.orientation == .vertical {
            guard let x = px(line.value) else { continue }
            svg += "<line class=\"vline\" x1=\"\(Self.num(x))\" y1=\"\(Self.num(plotTop))\" x2=\"\(Self.num(x))\" "
                + "y2=\"\(Self.num(plotTop + plotHeight))\"\(stroke(line.color, line.lineWidth, line.style, line.opacity))/>\n"
        }
        for (s, color) in zip(series, resolved) where !s.band.isEmpty {
            let d = bandPath(s.band, px: px, py: py, yFloor: yScale.lowerBound)
            if !d.isEmpty {
                svg += "<path class=\"band\" d=\"\(d)\" fill=\"\(Self.escape(color.css))\" "
                    + "fill-opacity=\"\(Self.num(s.bandOpacity))\" stroke=\"none\"/>\n"
            }
        }
        for line in referenceLines where line.orientation == .horizontal {
            guard let y = py(line.value) else { continue }
            svg += "<line class=\"hline\" x1=\"\(Self.num(plotLeft))\" y1=\"\(Self.num(y))\" "
                + "x2=\"\(Self.num(plotLeft + plotWidth))\" y2=\"\(Self.num(y))\""
                + "\(stroke(line.color, line.lineWidth, line.style, line.opacity))/>\n"
        }
        for (s, color) in zip(series, resolved) {
            if !s.errorBars.isEmpty {
                var d = ""
                for e in s.errorBars {
                    guard let x = px(e.x), let lo = py(max(e.lower, yScale.lowerBound)) ?? py(yScale.lowerBound),
                          let hi = py(e.upper) else { continue }
                    d += "M\(Self.num(x)) \(Self.num(lo))V\(Self.num(hi))"
                        + "M\(Self.num(x - 4)) \(Self.num(lo))H\(Self.num(x + 4))"
                        + "M\(Self.num(x - 4)) \(Self.num(hi))H\(Self.num(x + 4))"
                }
                if !d.isEmpty {
                    svg += "<path class=\"errorbar\" d=\"\(d)\" fill=\"none\""
                        + "\(stroke(color, 1.2, .solid, s.opacity))/>\n"
                }
            }
            if s.showsLine {
                let d = linePath(s.points, px: px, py: py)
                if !d.isEmpty {
                    svg += "<path class=\"series\" data-label=\"\(Self.escape(s.label))\" d=\"\(d)\" fill=\"none\" "
                        + "stroke-linejoin=\"round\"\(stroke(color, s.lineWidth, s.style, s.opacity))/>\n"
                }
            }
            if let shape = s.marker {
                for p in s.points {
                    guard let x = px(p.x), let y = py(p.y) else { continue }
                    svg += markerElement(shape, x: x, y: y, color: color, filled: s.markerFilled, opacity: s.opacity,
                                         size: s.markerSize)
                }
            }
        }
        svg += "</g>\n"

        // Legend, outside the plot area on the right.
        if legendWidth > 0 {
            let lx = plotLeft + plotWidth + Self.marginRight + 8
            var ly = plotTop + 4
            svg += "<g class=\"legend\" font-size=\"\(Self.num(Self.legendFont))\">\n"
            for item in legendEntries {
                let cy = ly + Self.legendRow / 2
                svg += "<g class=\"legend-entry\">"
                if item.band {
                    svg += "<rect x=\"\(Self.num(lx))\" y=\"\(Self.num(cy - 5))\" width=\"28\" height=\"10\" "
                        + "fill=\"\(Self.escape(item.color.css))\" fill-opacity=\"0.2\"/>"
                }
                if item.line {
                    svg += "<line x1=\"\(Self.num(lx))\" y1=\"\(Self.num(cy))\" x2=\"\(Self.num(lx + 28))\" "
                        + "y2=\"\(Self.num(cy))\"\(stroke(item.color, item.lineWidth, item.style, item.opacity))/>"
                }
                if let shape = item.marker {
                    svg += markerElement(shape, x: lx + 14, y: cy, color: item.color, filled: item.markerFilled,
                                         opacity: item.opacity).dropLast()
                }
                svg += "<text x=\"\(Self.num(lx + 36))\" y=\"\(Self.num(cy + 4))\">\(Self.escape(item.label))</text>"
                svg += "</g>\n"
                ly += Self.legendRow
            }
            for note in legendNotes {
                svg += "<text class=\"legend-note\" x=\"\(Self.num(lx))\" y=\"\(Self.num(ly + Self.legendRow / 2 + 4))\" "
                    + "font-size=\"\(Self.num(Self.legendFont - 1))\" fill=\"#555\" font-style=\"italic\">"
                    + "\(Self.escape(note))</text>\n"
                ly += Self.legendRow
            }
            svg += "</g>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    // MARK: Helpers

    /// Colours of the series: explicit ones as given, the others the palette in order.
    func resolvedColors() -> [PlotColor] {
        var next = 0
        return series.map { s in
            if let c = s.color { return c }
            defer { next += 1 }
            return .palette(next)
        }
    }

    struct LegendItem {
        var label: String
        var color: PlotColor
        var style: LineStyle
        var line: Bool
        var band: Bool
        var marker: MarkerShape?
        var markerFilled: Bool
        var lineWidth: Double
        var opacity: Double
    }

    func legendItems(_ colors: [PlotColor]) -> [LegendItem] {
        var items: [LegendItem] = []
        for (s, c) in zip(series, colors) where s.inLegend {
            items.append(LegendItem(label: s.label, color: c, style: s.style, line: s.showsLine,
                                    band: !s.band.isEmpty, marker: s.marker, markerFilled: s.markerFilled,
                                    lineWidth: s.lineWidth, opacity: s.opacity))
        }
        for l in referenceLines where l.inLegend {
            items.append(LegendItem(label: l.label, color: l.color, style: l.style, line: true, band: false,
                                    marker: nil, markerFilled: true, lineWidth: max(l.lineWidth, 1.5),
                                    opacity: l.opacity))
        }
        return items
    }

    /// All values that should fit in the automatic range of an axis.
    func dataValues(x: Bool) -> [Double] {
        var values: [Double] = []
        for s in series {
            values += s.points.map { x ? $0.x : $0.y }
            if x {
                values += s.band.map(\.x) + s.errorBars.map(\.x)
            } else {
                values += s.band.flatMap { [$0.lower, $0.upper] } + s.errorBars.flatMap { [$0.lower, $0.upper] }
            }
        }
        for l in referenceLines where (l.orientation == .horizontal) != x {
            // Horizontal lines widen the y range; vertical lines (task boundaries) never widen the x range.
            if !x { values.append(l.value) }
        }
        return values
    }

    func stroke(_ color: PlotColor, _ width: Double, _ style: LineStyle, _ opacity: Double) -> String {
        var s = " stroke=\"\(Self.escape(color.css))\" stroke-width=\"\(Self.num(width))\""
        if let dash = style.dashArray { s += " stroke-dasharray=\"\(dash)\"" }
        if opacity < 1 { s += " stroke-opacity=\"\(Self.num(opacity))\"" }
        return s
    }

    /// One path; a point that cannot be drawn (non-finite, ≤ 0 on a log axis) starts a new sub-path.
    func linePath(_ points: [PlotPoint], px: (Double) -> Double?, py: (Double) -> Double?) -> String {
        var d = ""
        var penDown = false
        for p in points {
            guard let x = px(p.x), let y = py(p.y) else {
                penDown = false
                continue
            }
            d += (penDown ? "L" : "M") + "\(Self.num(x)) \(Self.num(y))"
            penDown = true
        }
        return d
    }

    /// Closed polygons between upper and lower bounds, one per run of drawable samples. On a log axis a lower
    /// bound ≤ 0 is drawn at the axis minimum.
    func bandPath(_ band: [PlotInterval], px: (Double) -> Double?, py: (Double) -> Double?,
                  yFloor: Double) -> String {
        var d = ""
        var run: [(Double, Double, Double)] = []
        func flush() {
            if run.count >= 2 {
                d += "M" + run.map { "\(Self.num($0.0)) \(Self.num($0.2))" }.joined(separator: "L")
                d += "L" + run.reversed().map { "\(Self.num($0.0)) \(Self.num($0.1))" }.joined(separator: "L") + "Z"
            }
            run.removeAll()
        }
        for b in band {
            guard let x = px(b.x), let hi = py(b.upper), let lo = py(b.lower) ?? py(yFloor) else {
                flush()
                continue
            }
            run.append((x, lo, hi))
        }
        flush()
        return d
    }

    func markerElement(_ shape: MarkerShape, x: Double, y: Double, color: PlotColor, filled: Bool,
                       opacity: Double, size: Double = 4) -> String {
        let c = Self.escape(color.css)
        let fill = filled ? c : "none"
        let op = opacity < 1 ? " opacity=\"\(Self.num(opacity))\"" : ""
        let r = max(size, 1)
        let common = "class=\"marker\" fill=\"\(fill)\" stroke=\"\(c)\" stroke-width=\"1.5\"\(op)"
        switch shape {
        case .circle: return "<circle \(common) cx=\"\(Self.num(x))\" cy=\"\(Self.num(y))\" r=\"\(Self.num(r))\"/>\n"
        case .square:
            return "<rect \(common) x=\"\(Self.num(x - r))\" y=\"\(Self.num(y - r))\" width=\"\(Self.num(2 * r))\" "
                + "height=\"\(Self.num(2 * r))\"/>\n"
        case .triangle:
            return "<path \(common) d=\"M\(Self.num(x)) \(Self.num(y - r - 1))L\(Self.num(x + r + 1)) "
                + "\(Self.num(y + r))L\(Self.num(x - r - 1)) \(Self.num(y + r))Z\"/>\n"
        case .diamond:
            return "<path \(common) d=\"M\(Self.num(x)) \(Self.num(y - r - 1))L\(Self.num(x + r + 1)) \(Self.num(y))"
                + "L\(Self.num(x)) \(Self.num(y + r + 1))L\(Self.num(x - r - 1)) \(Self.num(y))Z\"/>\n"
        case .cross:
            return "<path class=\"marker\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\"\(op) "
                + "d=\"M\(Self.num(x - r)) \(Self.num(y - r))L\(Self.num(x + r)) \(Self.num(y + r))"
                + "M\(Self.num(x - r)) \(Self.num(y + r))L\(Self.num(x + r)) \(Self.num(y - r))\"/>\n"
        }
    }
}

/// Tick placement for one axis.
public struct AxisTicks: Sendable, Equatable {
    public struct Tick: Sendable, Equatable {
        public var value: Double
        public var label: String
    }

    public var scale: AxisScale
    /// Axis range in data units.
    public var lowerBound: Double
    public var upperBound: Double
    /// Major ticks (labelled, possibly with an empty label when decades are thinned).
    public var ticks: [Tick]
    /// Minor tick positions (log axes: 2…9 × 10ᵏ when the range is not too wide).
    public var minorTicks: [Double]

    var tMin: Double { transform(lowerBound) ?? 0 }
    var tMax: Double {
        let t = transform(upperBound) ?? 1
        return t > tMin ? t : tMin + 1
    }

    /// Axis coordinate (identity or log10); nil when not drawable.
    func transform(_ v: Double) -> Double? {
        guard v.isFinite else { return nil }
        switch scale {
        case .linear: return v
        case .log10: return v > 0 ? Foundation.log10(v) : nil
        }
    }

    /// Ticks for an axis, using `axis.range` when given, otherwise the range of the drawable `values`
    /// (extended to nice tick multiples on linear axes and to whole decades on log axes).
    public static func make(axis: PlotAxis, values: [Double]) -> AxisTicks {
        switch axis.scale {
        case .linear:
            let finite = values.filter(\.isFinite)
            var lo = axis.range?.lowerBound ?? finite.min() ?? 0
            var hi = axis.range?.upperBound ?? finite.max() ?? 1
            if hi <= lo {
                let pad = lo == 0 ? 1 : Swift.abs(lo) * 0.1
                lo -= pad
                hi += pad
            }
            let step = axis.tickStep.flatMap { $0 > 0 && $0.isFinite && (hi - lo) / $0 <= 100 ? $0 : nil }
                ?? niceStep((hi - lo) / 5)
            if axis.range == nil {
                lo = Foundation.floor(lo / step + 1e-9) * step
                hi = Foundation.ceil(hi / step - 1e-9) * step
            }
            var ticks: [Double] = []
            var k = Foundation.ceil(lo / step - 1e-9)
            while k * step <= hi + step * 1e-9, ticks.count < 100 {
                ticks.append(k * step)
                k += 1
            }
            let labels = linearLabels(ticks, step: step)
            return AxisTicks(scale: .linear, lowerBound: lo, upperBound: hi,
                             ticks: zip(ticks, labels).map { Tick(value: $0, label: $1) }, minorTicks: [])
        case .log10:
            let positive = values.filter { $0.isFinite && $0 > 0 }
            var lo = axis.range?.lowerBound ?? positive.min() ?? 1e-3
            var hi = axis.range?.upperBound ?? positive.max() ?? 1
            if lo <= 0 { lo = hi > 0 ? hi / 1000 : 1e-3 }
            if hi <= lo { hi = lo * 10 }
            var dLo = Int(Foundation.floor(Foundation.log10(lo) + 1e-9))
            var dHi = Int(Foundation.ceil(Foundation.log10(hi) - 1e-9))
            if dHi <= dLo { dHi = dLo + 1 }
            if axis.range == nil {
                lo = Foundation.pow(10, Double(dLo))
                hi = Foundation.pow(10, Double(dHi))
            } else {
                dLo = Int(Foundation.ceil(Foundation.log10(lo) - 1e-9))
                dHi = Int(Foundation.floor(Foundation.log10(hi) + 1e-9))
            }
            let decades = max(dHi - dLo, 0)
            let every = max(1, Int(Foundation.ceil(Double(decades) / 8)))
            var ticks: [Tick] = []
            var minor: [Double] = []
            if dLo <= dHi {
                for d in dLo...dHi {
                    let v = Foundation.pow(10, Double(d))
                    ticks.append(Tick(value: v, label: (d - dLo) % every == 0 ? NumberFormatting.powerOfTen(v) : ""))
                }
            }
            let span = Foundation.log10(hi) - Foundation.log10(lo)
            if span <= 6 {
                for d in (dLo - 1)...dHi {
                    for m in 2...9 {
                        let v = Double(m) * Foundation.pow(10, Double(d))
                        if v >= lo * (1 - 1e-9), v <= hi * (1 + 1e-9) { minor.append(v) }
                    }
                }
            }
            // Narrow ranges: label 2× and 5× too, so that at least two labels show.
            if span <= 1.5 || ticks.filter({ !$0.label.isEmpty }).count < 2 {
                for v in minor {
                    let m = (v / Foundation.pow(10, Foundation.floor(Foundation.log10(v) + 1e-9))).rounded()
                    if m == 2 || m == 5 { ticks.append(Tick(value: v, label: NumberFormatting.powerOfTen(v))) }
                }
                ticks.sort { $0.value < $1.value }
            }
            return AxisTicks(scale: .log10, lowerBound: lo, upperBound: hi, ticks: ticks, minorTicks: minor)
        }
    }

    /// 1, 2, 2.5 or 5 × 10ᵏ, the smallest not below `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let p = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        for m in [1.0, 2, 2.5, 5, 10] where m * p >= raw * (1 - 1e-9) { return m * p }
        return 10 * p
    }

    /// Labels for equally spaced linear ticks: plain decimals with as many digits as the step needs, thousands as
    /// "10k" when every tick is a multiple of 1000 and the largest is at least 10,000, and powers of ten with
    /// superscripts for very small or very large steps.
    static func linearLabels(_ ticks: [Double], step: Double) -> [String] {
        let maxAbs = ticks.map { Swift.abs($0) }.max() ?? 0
        if step < 1e-4 || maxAbs >= 1e7 {
            return ticks.map { Swift.abs($0) < step * 1e-6 ? "0" : NumberFormatting.powerOfTen($0) }
        }
        func decimals(_ s: Double) -> Int {
            for d in 0...8 {
                let scaled = s * Foundation.pow(10, Double(d))
                if Swift.abs(scaled - scaled.rounded()) < 1e-6 * max(1, Swift.abs(scaled)) { return d }
            }
            return 8
        }
        if maxAbs >= 10_000, ticks.allSatisfy({ Swift.abs($0 / 1000 - ($0 / 1000).rounded()) < 1e-9 }) {
            let d = decimals(step / 1000)
            return ticks.map { NumberFormatting.fixed($0 / 1000, decimals: d) + "k" }
                .map { $0 == "0k" ? "0" : $0 }
        }
        let d = decimals(step)
        return ticks.map { NumberFormatting.fixed($0, decimals: d) }
    }
}
