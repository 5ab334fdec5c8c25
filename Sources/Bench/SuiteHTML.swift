import Foundation
import Reports

/// `summary.html`: the suite's self-contained HTML report (see ``HTMLReport``), and `runs.json`, the index of the
/// planned runs (configuration id, seed, folder) it is rebuilt from by `mobench report DIR`.
public enum SuiteHTML {
    struct Index: Codable {
        struct Entry: Codable {
            var configurationID: String
            var seed: UInt64
            var directory: String
            enum CodingKeys: String, CodingKey {
                case configurationID = "configuration_id"
                case seed, directory
            }
        }
        var schema = "mobench-runs-1"
        var runs: [Entry]
    }

    /// Writes `DIR/runs.json` (every planned run of `plan`, in plan order).
    public static func writeIndex(_ plan: SuitePlan, out: String) throws {
        let index = Index(runs: plan.runs.map { Index.Entry(configurationID: $0.configurationID, seed: $0.seed,
                                                              directory: $0.directory) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try writeAtomically(try encoder.encode(index) + Data("\n".utf8),
                            to: (out as NSString).appendingPathComponent("runs.json"))
    }

    /// Writes `DIR/summary.html` from `DIR/summary.json`, `DIR/runs.json`, the runs' `result.json` files and the
    /// figures in `DIR/figures` (the ones `mobench suite` or `mobench plot` drew, in their order, then any other
    /// SVG there). Returns the path.
    @discardableResult
    public static func write(outDirectory: String) throws -> String {
        let out = outDirectory as NSString
        let summaryPath = out.appendingPathComponent("summary.json")
        let summary: SuiteSummary
        do { summary = try SuiteSummary.load(from: URL(fileURLWithPath: summaryPath)) } catch {
            throw SettingError.invalid(error.description)
        }
        let indexPath = out.appendingPathComponent("runs.json")
        guard let indexData = FileManager.default.contents(atPath: indexPath) else {
            throw SettingError.invalid("\(indexPath): missing (written by mobench suite and mobench merge; run the suite command again)")
        }
        guard let index = try? JSONDecoder().decode(Index.self, from: indexData), index.schema == "mobench-runs-1" else {
            throw SettingError.invalid("\(indexPath): not a mobench run index (schema mobench-runs-1)")
        }
        var runs: [HTMLReportRun] = []
        var missing: [(configurationID: String, seed: UInt64)] = []
        for entry in index.runs {
            let path = out.appendingPathComponent(entry.directory + "/result.json")
            guard let data = FileManager.default.contents(atPath: path) else {
                missing.append((entry.configurationID, entry.seed))
                continue
            }
            guard let result = try? RunResult.decode(data) else {
                throw SettingError.invalid("\(path): unreadable result file")
            }
            runs.append(HTMLReportRun(configurationID: entry.configurationID, seed: entry.seed,
                                      directory: entry.directory, reproduce: result.reproduce,
                                      settings: settings(result.config), gitCommit: result.gitCommit,
                                      suiteVersion: result.suiteVersion))
        }
        let figures = try figureFiles(summary, directory: out.appendingPathComponent("figures"))
        let html = HTMLReport.render(HTMLReport.Input(summary: summary, figures: figures, runs: runs, missing: missing,
                                                      environment: environment()))
        let path = out.appendingPathComponent("summary.html")
        try writeAtomically(Data(html.utf8), to: path)
        return path
    }

    /// The resolved configuration as (key, JSON value) pairs sorted by key.
    static func settings(_ c: RunConfiguration) -> [(key: String, value: String)] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(c.json().utf8)) as? [String: Any] else { return [] }
        return object.keys.sorted().map { key in
            let value = object[key]!
            if let text = value as? String { return (key, text) }
            if value is NSNull { return (key, "–") }
            if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
                return (key, String(decoding: data, as: UTF8.self))
            }
            return (key, "\(value)")
        }
    }

    static func figureFiles(_ summary: SuiteSummary, directory: String) throws -> [(fileName: String, svg: String)] {
        let present = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".svg") }
        let known = Figures.render(summary).map(\.fileName)
        let ordered = known.filter(present.contains) + present.filter { !known.contains($0) }.sorted()
        return try ordered.map { name in
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SettingError.invalid("\(path): cannot read figure")
            }
            return (name, String(decoding: data, as: UTF8.self))
        }
    }

    static func environment() -> [(key: String, value: String)] {
        var facts: [(key: String, value: String)] = []
        var name = utsname()
        uname(&name)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        facts.append(("host", "\(text(name.sysname)) \(text(name.release)) \(text(name.machine))"))
        if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let model = line.split(separator: ":", maxSplits: 1).last {
            facts.append(("processor", model.trimmingCharacters(in: .whitespaces)))
        }
        facts.append(("cores", String(ProcessInfo.processInfo.activeProcessorCount)))
        facts.append(("report written by", "mobench \(suiteVersion), commit \(BuildInfo.gitCommit ?? "unknown")"))
        return facts
    }
}
