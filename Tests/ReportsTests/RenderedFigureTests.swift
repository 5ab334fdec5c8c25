import CZlib
import Foundation
import Testing
@testable import Reports

/// An RGBA image decoded from a PNG (8-bit RGB or RGBA, not interlaced: what rsvg-convert writes).
struct RGBAImage {
    var width: Int
    var height: Int
    var pixels: [UInt8]   // RGBA, row-major

    func pixel(_ x: Int, _ y: Int) -> (r: Int, g: Int, b: Int, a: Int) {
        let i = (y * width + x) * 4
        return (Int(pixels[i]), Int(pixels[i + 1]), Int(pixels[i + 2]), Int(pixels[i + 3]))
    }

    /// Not white (on a white background, alpha-composited).
    func isInk(_ x: Int, _ y: Int) -> Bool {
        let p = pixel(x, y)
        let blend = { (c: Int) in (c * p.a + 255 * (255 - p.a)) / 255 }
        return min(blend(p.r), blend(p.g), blend(p.b)) < 235
    }

    /// A saturated colour (a data series; the frame, grid, ticks and text are grey or black).
    func isColored(_ x: Int, _ y: Int) -> Bool {
        let p = pixel(x, y)
        guard p.a > 128 else { return false }
        return max(p.r, p.g, p.b) - min(p.r, p.g, p.b) > 60
    }

    static func decodePNG(_ data: [UInt8]) throws -> RGBAImage {
        struct Bad: Error, CustomStringConvertible { var description: String }
        guard data.count > 8, data.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw Bad(description: "not a PNG")
        }
        func be32(_ i: Int) -> Int { Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3]) }
        var position = 8
        var width = 0, height = 0, colorType = 0
        var idat: [UInt8] = []
        while position + 8 <= data.count {
            let length = be32(position)
            let type = String(decoding: data[(position + 4)..<(position + 8)], as: UTF8.self)
            let body = Array(data[(position + 8)..<(position + 8 + length)])
            if type == "IHDR" {
                width = Int(body[0]) << 24 | Int(body[1]) << 16 | Int(body[2]) << 8 | Int(body[3])
                height = Int(body[4]) << 24 | Int(body[5]) << 16 | Int(body[6]) << 8 | Int(body[7])
                colorType = Int(body[9])
                guard body[8] == 8, colorType == 6 || colorType == 2, body[12] == 0 else {
                    throw Bad(description: "unsupported PNG format (depth \(body[8]), colour type \(colorType))")
                }
            } else if type == "IDAT" {
                idat += body
            }
            position += 12 + length
        }
        let channels = colorType == 6 ? 4 : 3
        let stride = width * channels
        var raw = [UInt8](repeating: 0, count: (stride + 1) * height)
        var rawLength = uLongf(raw.count)
        let status = raw.withUnsafeMutableBufferPointer { out in
            idat.withUnsafeBufferPointer { input in
                uncompress(out.baseAddress, &rawLength, input.baseAddress, uLong(input.count))
            }
        }
        guard status == Z_OK, Int(rawLength) == raw.count else { throw Bad(description: "bad PNG data (zlib \(status))") }
        var pixels = [UInt8](repeating: 255, count: width * height * 4)
        var previous = [UInt8](repeating: 0, count: stride)
        var row = [UInt8](repeating: 0, count: stride)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            for i in 0..<stride {
                let x = Int(raw[y * (stride + 1) + 1 + i])
                let a = i >= channels ? Int(row[i - channels]) : 0
                let b = Int(previous[i])
                let c = i >= channels ? Int(previous[i - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw Bad(description: "bad PNG filter \(filter)")
                }
                row[i] = UInt8((x + predictor) & 0xFF)
            }
            for x in 0..<width {
                for k in 0..<channels { pixels[(y * width + x) * 4 + k] = row[x * channels + k] }
            }
            swap(&previous, &row)
        }
        return RGBAImage(width: width, height: height, pixels: pixels)
    }
}

/// Renders SVG to PNG with librsvg's `rsvg-convert` (Debian librsvg2-bin). Nil when the tool is missing outside CI.
func renderPNG(_ svg: String, name: String) throws -> RGBAImage? {
    let tool = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert", "/opt/homebrew/bin/rsvg-convert"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let tool else {
        #expect(ProcessInfo.processInfo.environment["CI"] == nil, "rsvg-convert (librsvg2-bin) is required in CI")
        print("skipped: rsvg-convert not found (install librsvg2-bin)")
        return nil
    }
    let directory = NSTemporaryDirectory() + "mobench-png-\(ProcessInfo.processInfo.processIdentifier)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let svgPath = directory + "/\(name).svg", pngPath = directory + "/\(name).png"
    try svg.write(toFile: svgPath, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = ["--format", "png", "--output", pngPath, svgPath]
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "rsvg-convert \(name): \(message)")
    #expect(message.isEmpty, "rsvg-convert warnings for \(name): \(message)")
    return try RGBAImage.decodePNG([UInt8](try Data(contentsOf: URL(fileURLWithPath: pngPath))))
}

/// Every figure is rendered by a real SVG renderer and its pixels checked, not only its XML.
struct RenderedFigureTests {
    /// The plot area of `plot` in pixels (SVGPlot's layout constants).
    static func plotArea(_ plot: SVGPlot) -> (left: Int, top: Int, right: Int, bottom: Int) {
        let left = SVGPlot.marginLeft, top = SVGPlot.marginTop
        let width = max(plot.width - SVGPlot.marginLeft - SVGPlot.marginRight, 50)
        let height = max(plot.height - SVGPlot.marginTop - SVGPlot.marginBottom, 50)
        return (Int(left.rounded()), Int(top.rounded()), Int((left + width).rounded()), Int((top + height).rounded()))
    }

    /// Checks that the image is the figure's size, not blank, and has data drawn inside the plot area. Returns
    /// the rows (relative to the plot's top, 0…1) at which coloured data pixels lie inside the plot area.
    static func checkStructure(_ image: RGBAImage, plot: SVGPlot, name: String) -> [Double] {
        let area = plotArea(plot)
        #expect(image.height >= Int(plot.height) && image.width > Int(plot.width) - 20, "\(name): \(image.width)×\(image.height)")
        var ink = 0
        for y in 0..<image.height { for x in 0..<image.width where image.isInk(x, y) { ink += 1 } }
        #expect(Double(ink) > 0.02 * Double(image.width * image.height), "\(name) is blank: \(ink) ink pixels")
        // The frame is drawn: its top-left corner region has dark pixels.
        #expect((area.left - 1...area.left + 1).contains { x in image.isInk(x, area.top + 20) }, "\(name): no frame")
        var rows: [Double] = []
        for y in (area.top + 2)..<(area.bottom - 1) {
            for x in (area.left + 2)..<(area.right - 1) where image.isColored(x, y) {
                rows.append(Double(y - area.top) / Double(area.bottom - area.top))
            }
        }
        #expect(rows.count > 300, "\(name): only \(rows.count) coloured pixels inside the plot area")
        return rows
    }

    @Test("Every figure of a synthetic two-group suite renders to a non-blank PNG with data inside the plot area")
    func everyFigureRenders() throws {
        for figure in Figures.render(FiguresTests.summary) {
            let plot = try #require(figureBuilder(figure.fileName))
            guard let image = try renderPNG(figure.svg, name: figure.fileName) else { return }
            let rows = Self.checkStructure(image, plot: plot, name: figure.fileName)
            // Data spreads over the plot rather than collapsing onto one line.
            if let lo = rows.min(), let hi = rows.max() { #expect(hi - lo > 0.2, "\(figure.fileName): data spans \(lo)…\(hi)") }
        }
    }

    /// The SVGPlot behind a figure file name of ``FiguresTests/summary``.
    func figureBuilder(_ fileName: String) -> SVGPlot? {
        let summary = FiguresTests.summary
        for group in summary.groups {
            let slug = Figures.slug(group)
            switch fileName {
            case "online-loss-\(slug).svg": return Figures.onlineLoss(summary, group: group)
            case "cumulative-accuracy-\(slug).svg": return Figures.cumulativeAccuracy(summary, group: group)
            case "step-sizes-\(slug).svg": return Figures.stepSizes(summary, group: group)
            case "sensitivity-\(slug).svg": return Figures.sensitivity(summary, group: group)
            case "task-test-accuracy-\(slug).svg": return Figures.taskTestAccuracy(summary, group: group)
            default: continue
            }
        }
        return nil
    }

    @Test("Sensitivity with one exploded α (loss 1.5·10⁵) and one all-diverged α: the other points stay readable, the outliers sit on the top edge")
    func explodedSensitivityIsReadable() throws {
        var records: [RunRecord] = []
        let losses: [(Double, Double?)] = [(1e-5, 0.9), (1e-4, 0.55), (1e-3, 0.42), (1e-2, 0.61), (3e-2, 1.4e5), (1e-1, nil)]
        for (alpha, loss) in losses {
            for seed: UInt64 in [0, 1] {
                records.append(Fixtures.record("g/Lion fixed/alpha0=\(alpha)", label: "Lion fixed", grid: "g/Lion fixed",
                                               alpha0: alpha, seed: seed, loss: loss.map { $0 * (1 + 0.02 * Double(seed)) },
                                               diverged: loss == nil, divergedAt: loss == nil ? 5 : nil))
            }
        }
        for seed: UInt64 in [0, 1] {
            records.append(Fixtures.record("g/MetaOptimize", label: "MetaOptimize", method: .metaOptimize, alpha0: 1e-4,
                                           seed: seed, loss: 0.45 + 0.01 * Double(seed)))
        }
        let summary = SuiteSummary.build(suite: "s", suiteDigest: "d", records: records, expectedSeeds: [0, 1])
        let plot = try #require(Figures.sensitivity(summary, group: "g"))
        #expect(plot.yAxis.scale == .log10)
        let cap = (0.42 + 0.42 * 1.02) / 2 * Figures.sensitivityCapFactor   // 10 × the lowest mean (α = 10⁻³)
        #expect(plot.yAxis.range?.upperBound ?? 0 < cap * 1.2)
        let above = try #require(plot.series.first { $0.label.hasSuffix("above the cap") })
        #expect(above.points.map(\.x) == [3e-2] && abs(above.points[0].y - cap) < 1e-9 && above.marker == .triangle)
        let dead = try #require(plot.series.first { $0.label.hasSuffix("all seeds diverged") })
        #expect(dead.points.map(\.x) == [1e-1] && abs(dead.points[0].y - cap) < 1e-9 && dead.marker == .cross)
        let mean = (1.4e5 + 1.4e5 * 1.02) / 2
        #expect(plot.legendNotes.contains("Lion fixed above the cap: α = \(NumberFormatting.powerOfTen(3e-2)): \(NumberFormatting.compact(mean))"),
                "\(plot.legendNotes)")
        guard let image = try renderPNG(plot.render(), name: "sensitivity-exploded") else { return }
        let rows = Self.checkStructure(image, plot: plot, name: "sensitivity-exploded")
        // On a linear axis up to 1.5·10⁵ every other point would sit in the bottom 1 % of the plot.
        let bottom = rows.filter { $0 > 0.9 }.count
        #expect(Double(bottom) < 0.5 * Double(rows.count), "\(bottom) of \(rows.count) coloured pixels in the bottom tenth")
        #expect((rows.max() ?? 0) - (rows.min() ?? 0) > 0.6, "data spans \(rows.min() ?? 0)…\(rows.max() ?? 0)")
        // The exploded point is drawn at the top edge: coloured pixels within the top 5 % of the plot.
        #expect(rows.contains { $0 < 0.05 })
    }
}
