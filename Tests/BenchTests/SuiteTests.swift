import Foundation
import Testing
import Reports
@testable import Bench

let tinySuiteText = """
// A tiny suite for tests: comments are allowed.
{
  "name": "tiny", "seeds": [0, 1],
  "settings": { "data": "fashion-mnist", "tasks": 2, "task_length": 60, "model": "mlp:8", "log_every": 20,
                "test_samples": 30 },  // shared
  "groups": [
    { "name": "permuted", "settings": { "stream": "input-permuted" },
      "methods": [
        { "label": "AdamW fixed", "settings": { "meta": "fixed" }, "grid": { "alpha0": [1e-4, 1e-3] } },
        { "label": "MetaOptimize", "settings": { "meta": "adam", "alpha0": 1e-5, "granularity": "last-layer-and-others" } },
        { "label": "HD // not a comment", "settings": { "meta": "hypergradient" } }
      ] }
  ]
}
"""

struct SuiteTests {
    func plan() throws -> SuitePlan { try SuitePlan(SuiteFile.parse(tinySuiteText, source: "tiny.json")) }

    @Test("Expansion: groups × methods × grid points × seeds, settings cascade, ids and folders")
    func expansion() throws {
        let p = try plan()
        #expect(p.runs.count == 8)
        #expect(p.runs.map(\.configurationID) == [
            "permuted/AdamW fixed/alpha0=0.0001", "permuted/AdamW fixed/alpha0=0.0001",
            "permuted/AdamW fixed/alpha0=0.001", "permuted/AdamW fixed/alpha0=0.001",
            "permuted/MetaOptimize", "permuted/MetaOptimize",
            "permuted/HD // not a comment", "permuted/HD // not a comment"])
        #expect(p.runs.map(\.seed) == [0, 1, 0, 1, 0, 1, 0, 1])
        #expect(p.runs[0].configuration.stream == "input-permuted" && p.runs[0].configuration.tasks == 2)
        #expect(p.runs[2].configuration.alpha0 == 1e-3 && p.runs[2].configuration.meta == "fixed")
        #expect(p.runs[4].configuration.granularity == "last-layer-and-others")
        #expect(p.runs.map(\.method) == [.fixed, .fixed, .fixed, .fixed, .metaOptimize, .metaOptimize, .hypergradient, .hypergradient])
        #expect(p.runs.map(\.family) == Array(repeating: "adamw", count: 8))
        #expect(p.runs[0].grid == "permuted/AdamW fixed" && p.runs[4].grid == nil)
        #expect(p.runs[0].directory == "runs/permuted/adamw-fixed-alpha0=0.0001/seed-0")
        #expect(Set(p.runs.map(\.directory)).count == 8)
    }

    @Test("Suite file errors name the file and the problem")
    func parseErrors() {
        let cases: [(String, String)] = [
            ("{", "not valid JSON"),
            (#"{"name": "x", "seeds": [], "groups": []}"#, "\"seeds\" must be a non-empty list"),
            (#"{"name": "x", "seeds": [0], "groups": [{"name": "g", "methods": [{"label": "m", "settings": {"alpha": 1}}]}]}"#, "unknown setting 'alpha'"),
            (#"{"name": "x", "seeds": [0], "grups": []}"#, "unknown key 'grups'"),
            (#"{"name": "x", "seeds": [0, 0], "groups": [{"name": "g", "methods": [{"label": "m"}]}]}"#, "duplicate seeds"),
            (#"{"name": "x", "seeds": [0], "groups": [{"name": "g", "methods": [{"label": "m"}, {"label": "m"}]}]}"#, "duplicate method labels"),
        ]
        for (text, needle) in cases {
            do { _ = try SuiteFile.parse(text, source: "s.json"); Issue.record("accepted: \(text)") } catch {
                #expect("\(error)".hasPrefix("s.json") && "\(error)".contains(needle), "\(error)")
            }
        }
        #expect(throws: SettingError.self) {
            _ = try SuitePlan(SuiteFile.parse(#"{"name": "x", "seeds": [0], "groups": [{"name": "g", "methods": [{"label": "m", "settings": {"base": "adadelta"}}]}]}"#, source: "s.json"))
        }
    }

    @Test("Shards partition the plan, deterministically and with balanced cost")
    func shards() throws {
        let p = try plan()
        for n in 1...4 {
            let shards = (0..<n).map { p.shard($0, of: n) }
            #expect(shards.flatMap { $0.map(\.directory) }.sorted() == p.runs.map(\.directory).sorted())
            #expect(shards.map { $0.map(\.directory) } == (0..<n).map { p.shard($0, of: n).map(\.directory) })
            let costs = shards.map { $0.map(\.expectedCost).reduce(0, +) }
            // Greedy list scheduling: the gap between shards is at most the largest run (up to summation rounding).
            #expect(costs.max()! - costs.min()! <= p.runs.map(\.expectedCost).max()! * (1 + 1e-9))
        }
    }

    @Test("--only: substring or glob on configuration ids")
    func onlyFilter() throws {
        let p = try plan()
        #expect(SuitePlan.filter(p.runs, only: "MetaOptimize").count == 2)
        #expect(SuitePlan.filter(p.runs, only: "*alpha0=0.001").count == 2)
        #expect(SuitePlan.filter(p.runs, only: "permuted/*fixed*").count == 4)
        #expect(SuitePlan.filter(p.runs, only: nil).count == 8)
    }

    @Test("Suite results do not depend on --jobs; an interrupted suite resumes, re-running only missing runs")
    func jobsAndResume() throws {
        let p = try plan()
        let cache = DatasetCache(workingDirectory: repositoryRoot)
        let one = temporaryDirectory(), two = temporaryDirectory()
        _ = try SuiteRunner.execute(p.runs, outDirectory: one, jobs: 1, cache: cache)
        let outcomes = try SuiteRunner.execute(p.runs, outDirectory: two, jobs: 2, cache: cache)
        #expect(outcomes.allSatisfy { if case .completed = $0 { true } else { false } })
        for run in p.runs {
            #expect(withoutWallClock(read("\(one)/\(run.directory)/result.json")) == withoutWallClock(read("\(two)/\(run.directory)/result.json")))
            #expect(read("\(one)/\(run.directory)/curve.csv") == read("\(two)/\(run.directory)/curve.csv"))
        }
        let (a, _) = try SuiteReport.summary(p, outDirectory: one)
        let (b, _) = try SuiteReport.summary(p, outDirectory: two)
        #expect(a.configurations.map(\.onlineLoss) == b.configurations.map(\.onlineLoss))

        // Remove one result: only that run runs again; the others are skipped.
        try FileManager.default.removeItem(atPath: "\(two)/\(p.runs[5].directory)/result.json")
        let again = try SuiteRunner.execute(p.runs, outDirectory: two, jobs: 2, cache: cache)
        for (i, outcome) in again.enumerated() {
            switch outcome {
            case .completed: #expect(i == 5)
            case .skipped: #expect(i != 5)
            default: Issue.record("run \(i): \(outcome)")
            }
        }
        #expect(withoutWallClock(read("\(one)/\(p.runs[5].directory)/result.json")) == withoutWallClock(read("\(two)/\(p.runs[5].directory)/result.json")))
    }

    @Test("A result left by a different configuration is refused, not silently reused")
    func staleResultRefused() throws {
        let p = try plan()
        let dir = temporaryDirectory()
        _ = try SuiteRunner.execute([p.runs[0]], outDirectory: dir, jobs: 1, cache: DatasetCache(workingDirectory: repositoryRoot))
        var other = p.runs[0]
        other.configuration.alpha0 = 0.5
        #expect(throws: SettingError.self) {
            _ = try SuiteRunner.execute([other], outDirectory: dir, jobs: 1, cache: DatasetCache(workingDirectory: repositoryRoot))
        }
    }

    @Test("Summary files and figures are written; the summary covers every configuration")
    func reportWritten() throws {
        let p = try plan()
        let dir = temporaryDirectory()
        _ = try SuiteRunner.execute(p.runs, outDirectory: dir, jobs: 2, cache: DatasetCache(workingDirectory: repositoryRoot))
        let (summary, missing) = try SuiteReport.summary(p, outDirectory: dir)
        #expect(missing.isEmpty && summary.configurations.count == 4)
        let figures = try SuiteReport.write(summary, outDirectory: dir)
        #expect(FileManager.default.fileExists(atPath: dir + "/summary.json"))
        #expect(read(dir + "/summary.md").contains("MetaOptimize"))
        #expect(figures.contains { $0.hasSuffix("online-loss-permuted.svg") })
        #expect(figures.contains { $0.hasSuffix("sensitivity-permuted.svg") })
    }
}
