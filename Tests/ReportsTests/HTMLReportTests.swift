import Foundation
import Testing
@testable import Reports

/// The suite's HTML report: self-contained, in the documented order, and rendered by a real browser.
struct HTMLReportTests {
    static func input() -> HTMLReport.Input {
        let summary = FiguresTests.summary
        var runs: [HTMLReportRun] = []
        for c in summary.configurations {
            for seed in c.seeds {
                runs.append(HTMLReportRun(
                    configurationID: c.configurationID, seed: seed, directory: "runs/\(c.configurationID)/seed-\(seed)",
                    reproduce: "mobench run --config 'runs/\(c.configurationID)/seed-\(seed)/result.json'",
                    settings: [("alpha0", NumberFormatting.alpha(c.alpha0)), ("base", "\"adamw\""), ("seed", "\(seed)"),
                               ("tasks", "10")],
                    gitCommit: "0123abcd", suiteVersion: "0.1.0"))
            }
        }
        return HTMLReport.Input(summary: summary, figures: Figures.render(summary), runs: runs,
                                missing: [("input-permuted/hypergradient", 3)], environment: [("host", "test <host>")])
    }

    static func attributeValues(_ name: String, in html: String) -> [String] {
        var values: [String] = []
        var rest = Substring(html)
        while let start = rest.range(of: " \(name)=\"") {
            let after = rest[start.upperBound...]
            guard let end = after.firstIndex(of: "\"") else { break }
            values.append(String(after[..<end]))
            rest = after[end...]
        }
        return values
    }

    @Test("summary.html is self-contained: no script, no src, every href and url(#…) points at an id of the page, ids unique")
    func selfContained() throws {
        let html = HTMLReport.render(Self.input())
        #expect(!html.lowercased().contains("<script") && !html.contains(" src=") && !html.contains("@import"))
        let ids = Self.attributeValues("id", in: html)
        #expect(Set(ids).count == ids.count, "duplicate ids: \(Dictionary(grouping: ids, by: { $0 }).filter { $0.value.count > 1 }.keys)")
        for href in Self.attributeValues("href", in: html) {
            #expect(href.hasPrefix("#") && ids.contains(String(href.dropFirst())), "broken reference href=\(href)")
        }
        var rest = Substring(html)
        var urls = 0
        while let start = rest.range(of: "url(") {
            let after = rest[start.upperBound...]
            let end = try #require(after.firstIndex(of: ")"))
            let target = String(after[..<end])
            #expect(target.hasPrefix("#") && ids.contains(String(target.dropFirst())), "broken reference url(\(target))")
            urls += 1
            rest = after[end...]
        }
        #expect(urls == Self.input().figures.count, "one clip path per figure")
        // The only http text is the SVG namespace (a name, never fetched).
        let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!withoutNamespace.contains("http://") && !withoutNamespace.contains("https://"))
        #expect(html.components(separatedBy: "<svg ").count - 1 == Self.input().figures.count)
        #expect(!html.contains("<?xml"))
        #expect(html.contains("test &lt;host&gt;"), "text is escaped")
    }

    @Test("Sections in order: verdict, warnings, results, figures, settings, reproduce, environment; warnings list diverged and missing runs")
    func sectionsInOrder() throws {
        let html = HTMLReport.render(Self.input())
        let positions = try ["verdict", "warnings", "results", "figures", "settings", "reproduce", "environment"].map { id in
            try #require(html.range(of: "<h2 id=\"\(id)\"")?.lowerBound, "section \(id)")
        }
        #expect(positions == positions.sorted())
        // The verdict table has the adaptive methods vs the best fixed α.
        let verdict = String(html[positions[0]..<positions[1]])
        #expect(verdict.contains("MetaOptimize scalar") && verdict.contains("AdamW fixed ★ α = 1e-3"))
        let warnings = String(html[positions[1]..<positions[2]])
        #expect(warnings.contains("AdamW fixed (input-permuted/AdamW fixed/alpha0=1e-1): 1 of 3 seeds diverged (seed 2 at step 1234)"),
                "\(warnings)")
        #expect(warnings.contains("1 planned runs have no result: input-permuted/hypergradient seed 3"))
        let settings = String(html[positions[4]..<positions[5]])
        #expect(settings.contains("<td>base</td><td>&quot;adamw&quot;</td>") && settings.contains("<th>alpha0</th>"))
        #expect(html.contains("<code>mobench run --config &apos;runs/input-permuted/MetaOptimize scalar/seed-1/result.json&apos;</code>"))
        #expect(html.contains("0123abcd"))
    }

    @Test("Headless Chromium renders summary.html: the screenshot is not blank, shows the tables at the top and coloured figures")
    func chromiumRendersTheReport() throws {
        let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let browser else {
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "chromium is required in CI")
            print("skipped: chromium not found (Debian: apt-get install chromium)")
            return
        }
        let directory = NSTemporaryDirectory() + "mobench-html-\(ProcessInfo.processInfo.processIdentifier)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let page = directory + "/summary.html", shot = directory + "/screenshot.png"
        try HTMLReport.render(Self.input()).write(toFile: page, atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: shot)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        // No network at all: every host resolves to nothing, so a reference to the outside could not load.
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                             "--host-resolver-rules=MAP * ~NOTFOUND", "--user-data-dir=\(directory)/profile",
                             "--window-size=1280,2400", "--screenshot=\(shot)", "file://\(page)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let image = try RGBAImage.decodePNG([UInt8](try Data(contentsOf: URL(fileURLWithPath: shot))))
        #expect(image.width == 1280 && image.height == 2400)
        var ink = 0, colored = 0, topInk = 0
        for y in 0..<image.height {
            for x in 0..<image.width {
                if image.isInk(x, y) { ink += 1; if y < 400 { topInk += 1 } }
                if image.isColored(x, y) { colored += 1 }
            }
        }
        #expect(Double(ink) > 0.03 * Double(image.width * image.height), "blank page: \(ink) ink pixels")
        #expect(topInk > 5000, "nothing at the top of the page: \(topInk)")
        #expect(colored > 2000, "no coloured figure pixels: \(colored)")
    }
}
