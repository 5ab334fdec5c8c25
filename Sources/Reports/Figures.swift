import Foundation

/// The figures drawn from a suite summary.
public enum FigureKind: String, Codable, Sendable, Equatable, CaseIterable {
    /// Online loss vs step (mean ± s.e. band over seeds), task boundaries marked.
    case onlineLoss = "online-loss"
    /// Cumulative accuracy (%) vs step (the paper's Fig. 3).
    case cumulativeAccuracy = "cumulative-accuracy"
    /// Learned step sizes vs step on a log axis (the paper's Fig. 4/8).
    case stepSizes = "step-sizes"
    /// Mean online loss vs fixed α ("U-curve") with the adaptive methods as horizontal lines.
    case sensitivity
    /// Test accuracy (%) on each task at its end vs task (the paper's Fig. 7).
    case taskTestAccuracy = "task-test-accuracy"
}

/// A reference series to overlay on one kind of figure, for one group or all of them.
public struct FigureReference: Sendable, Equatable {
    public var kind: FigureKind
    /// The group whose figure gets the series; nil for every group.
    public var group: String?
    public var series: ReferenceSeries

    public init(kind: FigureKind, group: String? = nil, series: ReferenceSeries) {
        self.kind = kind
        self.group = group
        self.series = series
    }
}

/// How step sizes are averaged over seeds in the step-size figure.
public enum StepSizeAveraging: String, Codable, Sendable, Equatable {
    /// exp(mean of log α): the geometric mean (default; robust on log axes).
    case geometric
    /// Mean of α (the paper's `step_size` curves).
    case arithmetic
}

/// Options of ``Figures``.
public struct FigureOptions: Sendable, Equatable {
    /// Figure kinds to draw.
    public var kinds: [FigureKind]
    /// Also draw every point of the fixed-α grids faintly (grey, not in the legend) in the curve figures.
    public var showAllGridPoints: Bool
    /// Curves with more points are merged for display to at most this many (approximate s.e.: mean of the merged
    /// s.e.; build the summary with a smaller `maxCurvePoints` for exact values).
    public var maxPoints: Int
    public var stepSizeAveraging: StepSizeAveraging
    /// External curves, drawn dashed.
    public var references: [FigureReference]
    /// Plot size without the legend, px.
    public var width: Double
    public var height: Double

    public init(kinds: [FigureKind] = FigureKind.allCases, showAllGridPoints: Bool = false, maxPoints: Int = 200,
                stepSizeAveraging: StepSizeAveraging = .geometric, references: [FigureReference] = [],
                width: Double = 720, height: Double = 440) {
        self.kinds = kinds
        self.showAllGridPoints = showAllGridPoints
        self.maxPoints = maxPoints
        self.stepSizeAveraging = stepSizeAveraging
        self.references = references
        self.width = width
        self.height = height
    }
}

/// Figure builders from a ``SuiteSummary``. Per group, the curve figures show the adaptive configurations
/// (MetaOptimize, hypergradient), every configuration outside a fixed-α grid (schedules, single fixed runs), and the
/// best α of each grid; each configuration keeps its colour across the figures of a group.
public enum Figures {
    /// Every figure of every group, in group order then ``FigureKind`` order, as (file name, SVG text). File names
    /// are "<kind>-<group slug>.svg". Figures without data (no grid for a sensitivity plot, no adaptive step size,
    /// no per-task test accuracy) are left out.
    public static func render(_ summary: SuiteSummary,
                              options: FigureOptions = FigureOptions()) -> [(fileName: String, svg: String)] {
        var out: [(fileName: String, svg: String)] = []
        for group in summary.groups {
            for kind in FigureKind.allCases where options.kinds.contains(kind) {
                guard let plot = plot(kind, summary: summary, group: group, options: options) else { continue }
                out.append((fileName: fileName(kind, group: group), svg: plot.render()))
            }
        }
        return out
    }

    /// "<kind>-<slug>.svg", the slug being the group in lower case with runs of other characters than a–z, 0–9
    /// replaced by "-".
    public static func fileName(_ kind: FigureKind, group: String) -> String {
        "\(kind.rawValue)-\(slug(group)).svg"
    }

    static func slug(_ s: String) -> String {
        var out = ""
        var dash = false
        for ch in s.lowercased() {
            if ch.isASCII && (ch.isLetter || ch.isNumber) {
                out.append(ch)
                dash = false
            } else if !dash && !out.isEmpty {
                out.append("-")
                dash = true
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "group" : out
    }

    /// The plot of one kind for one group, or nil when it would be empty.
    public static func plot(_ kind: FigureKind, summary: SuiteSummary, group: String,
                            options: FigureOptions = FigureOptions()) -> SVGPlot? {
        switch kind {
        case .onlineLoss: return onlineLoss(summary, group: group, options: options)
        case .cumulativeAccuracy: return cumulativeAccuracy(summary, group: group, options: options)
        case .stepSizes: return stepSizes(summary, group: group, options: options)
        case .sensitivity: return sensitivity(summary, group: group, options: options)
        case .taskTestAccuracy: return taskTestAccuracy(summary, group: group, options: options)
        }
    }

    // MARK: Selection and colours

    /// Configurations highlighted in a group's figures: adaptive ones, those outside a grid, and grid bests, in
    /// summary order.
    public static func highlighted(_ summary: SuiteSummary, group: String) -> [ConfigurationSummary] {
        let best = Set(summary.grids.compactMap(\.bestConfigurationID))
        return summary.configurations(inGroup: group).filter {
            $0.grid == nil || $0.method.isAdaptive || best.contains($0.configurationID)
        }
    }

    /// Palette colour of each highlighted configuration (by position in ``highlighted(_:group:)``).
    static func colors(_ summary: SuiteSummary, group: String) -> [String: PlotColor] {
        var map: [String: PlotColor] = [:]
        for (i, c) in highlighted(summary, group: group).enumerated() { map[c.configurationID] = .palette(i) }
        return map
    }

    static func legendLabel(_ c: ConfigurationSummary, summary: SuiteSummary) -> String {
        let isBest = summary.grids.contains { $0.bestConfigurationID == c.configurationID }
        if c.method == .fixed || isBest {
            return "\(c.label) α = \(NumberFormatting.powerOfTen(c.alpha0))" + (isBest ? " (best)" : "")
        }
        return "\(c.label) (α0 = \(NumberFormatting.powerOfTen(c.alpha0)))"
    }

    /// Reference series for a figure, coloured like their matching configuration.
    static func referenceSeries(_ kind: FigureKind, group: String, options: FigureOptions,
                                colors: [String: PlotColor], firstFree: Int) -> [PlotSeries] {
        var next = firstFree
        return options.references.filter { $0.kind == kind && ($0.group == nil || $0.group == group) }.map { r in
            let color: PlotColor
            if let c = r.series.color {
                color = c
            } else if let id = r.series.matchingConfigurationID, let c = colors[id] {
                color = c
            } else {
                color = .palette(next)
                next += 1
            }
            return PlotSeries(label: r.series.label, points: r.series.points, style: r.series.style, color: color,
                              lineWidth: 1.6)
        }
    }

    /// Merges consecutive curve points so that at most `maxPoints` remain (means averaged, s.e. averaged).
    static func displayCurve(_ curve: [AggregatedCurvePoint], maxPoints: Int) -> [AggregatedCurvePoint] {
        let limit = max(1, maxPoints)
        guard curve.count > limit else { return curve }
        let chunk = (curve.count + limit - 1) / limit
        return stride(from: 0, to: curve.count, by: chunk).map { start in
            let part = Array(curve[start..<min(start + chunk, curve.count)])
            let last = part[part.count - 1]
            let n = Double(part.count)
            var loss = 0.0, se = 0.0, acc = 0.0
            for p in part {
                loss += p.onlineLoss.mean
                se += p.onlineLoss.standardError
                acc += p.onlineAccuracy
            }
            return AggregatedCurvePoint(step: last.step, task: last.task,
                                        onlineLoss: Estimate(mean: loss / n, standardError: se / n,
                                                             n: last.onlineLoss.n),
                                        onlineAccuracy: acc / n, cumulativeAccuracy: last.cumulativeAccuracy,
                                        logStepSizes: last.logStepSizes, stepSizes: last.stepSizes)
        }
    }

    /// Vertical lines at the task boundaries k × taskLength, 0 < k × taskLength < planned steps (none beyond 200).
    static func taskBoundaries(_ configurations: [ConfigurationSummary]) -> [ReferenceLine] {
        guard let c = configurations.first(where: { $0.taskLength > 0 }) else { return [] }
        let planned = configurations.map(\.plannedSteps).max() ?? 0
        let count = (planned - 1) / c.taskLength
        guard count > 0, count <= 200 else { return [] }
        return (1...count).map {
            ReferenceLine(orientation: .vertical, value: Double($0 * c.taskLength), style: .dotted, color: .css("#b0b0b0"))
        }
    }

    static func notes(boundaries: [ReferenceLine], faint: Bool) -> [String] {
        var notes: [String] = []
        if !boundaries.isEmpty { notes.append("dotted verticals: task boundaries") }
        if faint { notes.append("grey: other α of the grids") }
        return notes
    }

    // MARK: Figures

    /// Online loss vs step, mean ± s.e. band over the non-diverged seeds, one figure per group.
    public static func onlineLoss(_ summary: SuiteSummary, group: String,
                                  options: FigureOptions = FigureOptions()) -> SVGPlot? {
        curveFigure(summary, group: group, options: options, kind: .onlineLoss,
                    title: "Online loss — \(group)", yLabel: "online loss (nats), mean ± s.e. over seeds") { p in
            (p.onlineLoss.mean, p.onlineLoss.standardError)
        }
    }

    /// Cumulative accuracy (%) vs step (mean over seeds).
    public static func cumulativeAccuracy(_ summary: SuiteSummary, group: String,
                                          options: FigureOptions = FigureOptions()) -> SVGPlot? {
        curveFigure(summary, group: group, options: options, kind: .cumulativeAccuracy,
                    title: "Cumulative accuracy — \(group)", yLabel: "cumulative accuracy (%)") { p in
            (p.cumulativeAccuracy * 100, nil)
        }
    }

    static func curveFigure(_ summary: SuiteSummary, group: String, options: FigureOptions, kind: FigureKind,
                            title: String, yLabel: String,
                            value: (AggregatedCurvePoint) -> (Double, Double?)) -> SVGPlot? {
        let shown = highlighted(summary, group: group).filter { !$0.curve.isEmpty }
        let colors = colors(summary, group: group)
        var series: [PlotSeries] = []
        var faint = false
        if options.showAllGridPoints {
            let shownIDs = Set(shown.map(\.configurationID))
            for c in summary.configurations(inGroup: group) where c.grid != nil
                && !shownIDs.contains(c.configurationID) && !c.curve.isEmpty {
                let curve = displayCurve(c.curve, maxPoints: options.maxPoints)
                series.append(PlotSeries(label: legendLabel(c, summary: summary),
                                         points: curve.map { PlotPoint(x: Double($0.step), y: value($0).0) },
                                         color: .css("#9a9a9a"), lineWidth: 1, opacity: 0.45, inLegend: false))
                faint = true
            }
        }
        for c in shown {
            let curve = displayCurve(c.curve, maxPoints: options.maxPoints)
            let band: [PlotInterval] = curve.compactMap { p in
                let (m, se) = value(p)
                guard let se else { return nil }
                return PlotInterval(x: Double(p.step), lower: m - se, upper: m + se)
            }
            series.append(PlotSeries(label: legendLabel(c, summary: summary),
                                     points: curve.map { PlotPoint(x: Double($0.step), y: value($0).0) },
                                     band: band, color: colors[c.configurationID]))
        }
        series += referenceSeries(kind, group: group, options: options, colors: colors, firstFree: shown.count)
        guard !series.isEmpty else { return nil }
        let boundaries = taskBoundaries(summary.configurations(inGroup: group))
        return SVGPlot(title: title, xAxis: PlotAxis(label: "step"), yAxis: PlotAxis(label: yLabel),
                       series: series, referenceLines: boundaries,
                       legendNotes: notes(boundaries: boundaries, faint: faint), width: options.width,
                       height: options.height, idPrefix: "\(kind.rawValue)-\(slug(group))")
    }

    /// Step sizes vs step on a log axis: one line per step-size group of each configuration with a varying step
    /// size (MetaOptimize, hypergradient, schedules), plus the best fixed α of each grid as a dashed horizontal
    /// line. For log-α summaries (many groups) the line is exp(mean log α) with a band from exp(min) to exp(max).
    public static func stepSizes(_ summary: SuiteSummary, group: String,
                                 options: FigureOptions = FigureOptions()) -> SVGPlot? {
        let colors = colors(summary, group: group)
        let adaptive = summary.configurations(inGroup: group).filter {
            $0.method != .fixed && !$0.curve.isEmpty && !$0.stepSizeGroups.isEmpty
        }
        var series: [PlotSeries] = []
        let styles: [LineStyle] = [.solid, .dotted, .dashDot]
        for c in adaptive {
            let curve = displayCurve(c.curve, maxPoints: options.maxPoints)
            if c.stepSizesAreLogSummary {
                let points = curve.compactMap { p -> PlotPoint? in
                    p.logStepSizes.count > 0 ? PlotPoint(x: Double(p.step), y: Foundation.exp(p.logStepSizes[0])) : nil
                }
                let band = curve.compactMap { p -> PlotInterval? in
                    p.logStepSizes.count >= 3
                        ? PlotInterval(x: Double(p.step), lower: Foundation.exp(p.logStepSizes[1]),
                                       upper: Foundation.exp(p.logStepSizes[2])) : nil
                }
                series.append(PlotSeries(label: "\(c.label): exp(mean log α), band min–max", points: points,
                                         band: band, color: colors[c.configurationID], bandOpacity: 0.15))
                continue
            }
            for (g, name) in c.stepSizeGroups.enumerated() {
                let points = curve.compactMap { p -> PlotPoint? in
                    let v: Double?
                    switch options.stepSizeAveraging {
                    case .geometric: v = g < p.logStepSizes.count ? Foundation.exp(p.logStepSizes[g]) : nil
                    case .arithmetic: v = p.stepSizes.flatMap { g < $0.count ? $0[g] : nil }
                    }
                    return v.map { PlotPoint(x: Double(p.step), y: $0) }
                }
                let label = c.stepSizeGroups.count > 1 ? "\(c.label): \(name)" : c.label
                series.append(PlotSeries(label: label, points: points, style: styles[g % styles.count],
                                         color: colors[c.configurationID], lineWidth: g < styles.count ? 2 : 1.2))
            }
        }
        var lines: [ReferenceLine] = []
        for grid in summary.grids(inGroup: group) {
            guard let id = grid.bestConfigurationID, let alpha = grid.bestAlpha0 else { continue }
            lines.append(ReferenceLine(orientation: .horizontal, value: alpha,
                                       label: "\(grid.label): best α = \(NumberFormatting.powerOfTen(alpha))",
                                       style: .dashed, color: colors[id] ?? .gray, lineWidth: 1.5, inLegend: true))
        }
        let refs = referenceSeries(.stepSizes, group: group, options: options, colors: colors,
                                   firstFree: colors.count)
        guard !series.isEmpty || !refs.isEmpty else { return nil }
        series += refs
        let boundaries = taskBoundaries(summary.configurations(inGroup: group))
        let averaging = options.stepSizeAveraging == .geometric ? "geometric mean over seeds" : "mean over seeds"
        return SVGPlot(title: "Step sizes — \(group)", xAxis: PlotAxis(label: "step"),
                       yAxis: PlotAxis(label: "step size α (\(averaging))", scale: .log10), series: series,
                       referenceLines: boundaries + lines, legendNotes: notes(boundaries: boundaries, faint: false),
                       width: options.width, height: options.height, idPrefix: "step-sizes-\(slug(group))")
    }

    /// The sensitivity figure's y axis ends at this multiple of the lowest mean online loss it shows.
    public static let sensitivityCapFactor = 10.0

    /// Sensitivity ("U-curve"): mean online loss ± s.e. vs fixed α, both axes logarithmic, one line per grid; each
    /// adaptive configuration as a horizontal line at its mean online loss (with a faint ±s.e. band) and a marker
    /// at its α0. Grid points with a diverged seed are drawn with a cross.
    ///
    /// Readable whatever the data: the y axis is clipped at ``sensitivityCapFactor`` × the lowest mean online loss
    /// in the figure (one decade), so that one exploded step size cannot flatten the rest. A grid point above the
    /// cap is drawn as ▲ on the top edge (its line goes there) and a grid point where every seed diverged as × on
    /// the top edge; both are listed with their values in the legend notes, as are adaptive methods above the cap.
    public static func sensitivity(_ summary: SuiteSummary, group: String,
                                   options: FigureOptions = FigureOptions()) -> SVGPlot? {
        let grids = summary.grids(inGroup: group)
        guard !grids.isEmpty else { return nil }
        let colors = colors(summary, group: group)
        var series: [PlotSeries] = []
        var notes: [String] = []
        var anyCross = false
        let allAlphas = grids.flatMap { $0.points.map(\.alpha0) }.filter { $0 > 0 }
        let adaptiveAlphas = summary.configurations(inGroup: group).filter { $0.method.isAdaptive && $0.alpha0 > 0 }
            .map(\.alpha0)
        let loAlpha = (allAlphas + adaptiveAlphas).min() ?? 1e-3, hiAlpha = (allAlphas + adaptiveAlphas).max() ?? 1
        // Half a decade of padding each side, so that end markers are not cut by the frame.
        let xRange = (loAlpha / 3.16)...(hiAlpha * 3.16)
        // The y range: from just below the lowest value shown to the cap (one decade above the lowest mean).
        let gridMeans = grids.flatMap { $0.points.compactMap { $0.onlineLoss?.mean } }
        let adaptiveMeans = summary.configurations(inGroup: group).filter { $0.method.isAdaptive }
            .compactMap { $0.onlineLoss?.mean }
        let lowest = (gridMeans + adaptiveMeans).filter { $0 > 0 && $0.isFinite }.min() ?? 1
        let cap = lowest * sensitivityCapFactor
        let lowerValues = grids.flatMap { $0.points.compactMap { p in p.onlineLoss.map { $0.mean - $0.standardError } } }
            .filter { $0 > 0 && $0.isFinite }
        let upperValues = grids.flatMap { $0.points.compactMap { p in p.onlineLoss.map { $0.mean + $0.standardError } } }
            + adaptiveMeans
        // The top edge: the highest value shown, or the cap when something lies above it.
        let edge = min(cap, upperValues.filter(\.isFinite).max() ?? cap)
        let yRange = (min(lowerValues.min() ?? lowest, lowest) / 1.15)...(edge * 1.12)
        var anyAbove = false
        for (i, grid) in grids.enumerated() {
            let color = grid.bestConfigurationID.flatMap { colors[$0] } ?? .palette(colors.count + i)
            let drawn = grid.points.filter { $0.onlineLoss != nil }
            let inside = drawn.filter { $0.onlineLoss!.mean <= cap }
            series.append(PlotSeries(
                label: "\(grid.label) (fixed α)",
                points: drawn.map { PlotPoint(x: $0.alpha0, y: min($0.onlineLoss!.mean, cap)) },
                errorBars: inside.map {
                    PlotInterval(x: $0.alpha0, lower: $0.onlineLoss!.mean - $0.onlineLoss!.standardError,
                                 upper: min($0.onlineLoss!.mean + $0.onlineLoss!.standardError, cap))
                },
                marker: .circle, color: color))
            let above = drawn.filter { $0.onlineLoss!.mean > cap }
            if !above.isEmpty {
                anyAbove = true
                series.append(PlotSeries(label: "\(grid.label): above the cap",
                                         points: above.map { PlotPoint(x: $0.alpha0, y: cap) },
                                         showsLine: false, marker: .triangle, markerSize: 5, color: color,
                                         inLegend: false))
                notes.append("\(grid.label) above the cap: " + above.map {
                    "α = \(NumberFormatting.powerOfTen($0.alpha0)): \(NumberFormatting.compact($0.onlineLoss!.mean))"
                }.joined(separator: ", "))
            }
            let partial = inside.filter { $0.divergedCount > 0 }
            if !partial.isEmpty {
                anyCross = true
                series.append(PlotSeries(label: "\(grid.label): some seeds diverged",
                                         points: partial.map { PlotPoint(x: $0.alpha0, y: $0.onlineLoss!.mean) },
                                         showsLine: false, marker: .cross, color: .css("#000000"),
                                         inLegend: false))
            }
            let dead = grid.points.filter { $0.onlineLoss == nil }
            if !dead.isEmpty {
                series.append(PlotSeries(label: "\(grid.label): all seeds diverged",
                                         points: dead.map { PlotPoint(x: $0.alpha0, y: edge) },
                                         showsLine: false, marker: .cross, markerSize: 5, color: .css("#000000"),
                                         inLegend: false))
                notes.append("\(grid.label): all seeds diverged at α = "
                    + dead.map { NumberFormatting.powerOfTen($0.alpha0) }.joined(separator: ", ") + " (× on the top edge)")
            }
            if let best = grid.best, let loss = best.onlineLoss, loss.mean <= cap {
                series.append(PlotSeries(label: "\(grid.label) best", points: [PlotPoint(x: best.alpha0, y: loss.mean)],
                                         showsLine: false, marker: .circle, markerFilled: false, markerSize: 7,
                                         color: .css("#000000"), opacity: 0.8, inLegend: false))
            }
        }
        var lines: [ReferenceLine] = []
        let styles: [LineStyle] = [.solid, .dashDot, .dotted]
        for (i, c) in summary.configurations(inGroup: group).filter({ $0.method.isAdaptive }).enumerated() {
            guard let loss = c.onlineLoss else {
                notes.append("\(c.label): every seed diverged")
                continue
            }
            let color = colors[c.configurationID] ?? .palette(i)
            if loss.mean > cap {
                notes.append("\(c.label) above the cap: \(NumberFormatting.compact(loss.mean)) (line on the top edge)")
                anyAbove = true
            }
            lines.append(ReferenceLine(orientation: .horizontal, value: min(loss.mean, cap), label: legendLabel(c, summary: summary),
                                       style: styles[i % styles.count], color: color, lineWidth: 1.8,
                                       inLegend: true))
            if loss.standardError > 0 {
                series.append(PlotSeries(label: "\(c.label) ± s.e.", points: [],
                                         band: [PlotInterval(x: xRange.lowerBound, lower: loss.mean - loss.standardError,
                                                             upper: loss.mean + loss.standardError),
                                                PlotInterval(x: xRange.upperBound, lower: loss.mean - loss.standardError,
                                                             upper: loss.mean + loss.standardError)],
                                         showsLine: false, color: color, bandOpacity: 0.12, inLegend: false))
            }
            series.append(PlotSeries(label: "\(c.label) α0", points: [PlotPoint(x: c.alpha0, y: min(loss.mean, cap))],
                                     showsLine: false, marker: .diamond, color: color, inLegend: false))
        }
        series += referenceSeries(.sensitivity, group: group, options: options, colors: colors,
                                  firstFree: colors.count + grids.count)
        notes.insert("○ best fixed α; ◆ adaptive method at its α0", at: 0)
        if anyCross { notes.insert("× some seeds diverged (not eligible)", at: 1) }
        if anyAbove {
            notes.insert("axis capped at \(NumberFormatting.compact(sensitivityCapFactor))× the lowest loss "
                + "(\(NumberFormatting.compact(cap))); ▲ above it, × all seeds diverged", at: anyCross ? 2 : 1)
        }
        return SVGPlot(title: "Sensitivity to the step size — \(group)",
                       xAxis: PlotAxis(label: "fixed step size α (adaptive methods: initial α0)", scale: .log10,
                                       range: xRange),
                       yAxis: PlotAxis(label: "mean online loss (nats) ± s.e., log scale", scale: .log10,
                                       range: yRange), series: series,
                       referenceLines: lines, legendNotes: notes, width: options.width, height: options.height,
                       idPrefix: "sensitivity-\(slug(group))")
    }

    /// Test accuracy (%) on each task at the end of the task vs task number (1 = first task), mean ± s.e. error bars.
    public static func taskTestAccuracy(_ summary: SuiteSummary, group: String,
                                        options: FigureOptions = FigureOptions()) -> SVGPlot? {
        let colors = colors(summary, group: group)
        var series: [PlotSeries] = []
        for c in highlighted(summary, group: group) where c.taskTestAccuracy.contains(where: { $0 != nil }) {
            var points: [PlotPoint] = []
            var bars: [PlotInterval] = []
            for (k, e) in c.taskTestAccuracy.enumerated() {
                guard let e else {
                    points.append(PlotPoint(x: Double(k + 1), y: .nan))
                    continue
                }
                points.append(PlotPoint(x: Double(k + 1), y: e.mean * 100))
                if e.standardError > 0 {
                    bars.append(PlotInterval(x: Double(k + 1), lower: (e.mean - e.standardError) * 100,
                                             upper: (e.mean + e.standardError) * 100))
                }
            }
            series.append(PlotSeries(label: legendLabel(c, summary: summary), points: points, errorBars: bars,
                                     marker: .circle, color: colors[c.configurationID]))
        }
        let refs = referenceSeries(.taskTestAccuracy, group: group, options: options, colors: colors,
                                   firstFree: colors.count).map { s -> PlotSeries in
            var s = s
            s.marker = .square
            s.markerFilled = false
            return s
        }
        guard !series.isEmpty || !refs.isEmpty else { return nil }
        series += refs
        let tasks = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite).max() ?? 1
        let xAxis = PlotAxis(label: "task", range: 0.5...(tasks + 0.5), tickStep: tasks <= 20 ? 1 : nil)
        return SVGPlot(title: "Test accuracy per task — \(group)", xAxis: xAxis,
                       yAxis: PlotAxis(label: "test accuracy at the end of the task (%)"), series: series,
                       width: options.width, height: options.height, idPrefix: "task-test-accuracy-\(slug(group))")
    }
}
