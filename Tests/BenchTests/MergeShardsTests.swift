import Foundation
import Testing
@testable import Bench

/// A tiny suite on the repository's Fashion-MNIST (6 runs: a 2-point fixed-α grid and MetaOptimize, 2 seeds),
/// run once unsharded per test process and shared by the merge and Slurm tests.
final class MergeFixture: @unchecked Sendable {
    static let shared = MergeFixture()

    struct Built: Sendable {
        /// The suite file on disk.
        var suitePath: String
        var plan: SuitePlan
        /// Output folder of the unsharded run, with summary.json and figures written by `SuiteLoading.report`.
        var unsharded: String
    }

    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    static func suiteText(description: String = "merge fixture") -> String {
        """
        // A tiny suite for shard and merge tests.
        {
          "name": "tiny",
          "description": "\(description)",
          "seeds": [0, 1],
          "settings": {"data": "\(repositoryRoot)/data/fashion-mnist", "tasks": 2, "task_length": 300,
                       "model": "mlp:32", "log_every": 50, "test_samples": 100},
          "groups": [
            {"name": "input-permuted", "settings": {"stream": "input-permuted"},
             "methods": [
               {"label": "AdamW fixed", "settings": {"base": "adamw", "meta": "fixed"}, "grid": {"alpha0": [1e-3, 1e-2]}},
               {"label": "AdamW + MetaOptimize", "settings": {"base": "adamw", "meta": "adam", "alpha0": 1e-4}}
             ]}
          ]
        }
        """
    }

    private let lock = NSLock()
    private var cached: Result<Built, any Error>?

    func get() throws -> Built {
        lock.lock(); defer { lock.unlock() }
        if let cached { return try cached.get() }
        let result = Result { () throws -> Built in
            let root = try MergeTemporary.folder("fixture")
            mergeFixtureRoot = root
            atexit { if let root = mergeFixtureRoot { try? FileManager.default.removeItem(atPath: root) } }
            let suitePath = root + "/tiny.json"
            try Data(Self.suiteText().utf8).write(to: URL(fileURLWithPath: suitePath))
            let plan = try SuiteLoading.plan(suitePath, overrides: [])
            let unsharded = root + "/unsharded"
            let outcomes = try SuiteRunner.execute(plan.runs, outDirectory: unsharded, jobs: 2, cache: DatasetCache())
            for outcome in outcomes {
                guard case .completed = outcome else { throw SettingError.invalid("fixture run did not complete: \(outcome)") }
            }
            try SuiteLoading.report(plan, out: unsharded, paperReference: nil)
            return Built(suitePath: suitePath, plan: plan, unsharded: unsharded)
        }
        cached = result
        return try result.get()
    }
}

/// The fixture's folder, removed when the test process exits.
nonisolated(unsafe) private var mergeFixtureRoot: String?

enum MergeTemporary {
    /// A new empty folder under the system's temporary folder (symlinks resolved, so paths compare as merge sees them).
    static func folder(_ label: String) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("mobench-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return ShardMerge.canonicalPath(path)
    }

    /// Copies the run folders `runs` of `from` into `to` (creating it).
    static func copyRuns(_ runs: [PlannedRun], from: String, to: String) throws {
        for run in runs {
            let target = to + "/" + run.directory
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: from + "/" + run.directory, toPath: target)
        }
    }

    /// `summary.json` text with the wall-clock values (steps_per_second mean and standard error,
    /// wall_seconds_total) replaced by `<wall-clock>`; everything else byte for byte.
    /// `masked` counts the replaced fields (a steps/s estimate counts once).
    static func maskingWallClock(_ text: String) throws -> (text: String, masked: Int) {
        var out = text
        var masked = 0
        let patterns = [
            #"("steps_per_second" : \{\s*"mean" : )[^,\n]+(,\s*"n" : [0-9]+,\s*"standard_error" : )[^\n,}]+"#:
                "$1<wall-clock>$2<wall-clock>",
            #"("wall_seconds_total" : )[^,\n}]+"#: "$1<wall-clock>",
        ]
        for (pattern, template) in patterns.sorted(by: { $0.key < $1.key }) {
            let regex = try NSRegularExpression(pattern: pattern)
            let range = NSRange(out.startIndex..., in: out)
            masked += regex.numberOfMatches(in: out, range: range)
            out = regex.stringByReplacingMatches(in: out, range: range, withTemplate: template)
        }
        return (out, masked)
    }
}

@Suite struct MergeShardsTests {
    let fm = FileManager.default

    func read(_ path: String) throws -> Data { try #require(fm.contents(atPath: path)) }

    /// Summary and figures of `merged` equal those of the unsharded run apart from the wall-clock values.
    func expectSameSummary(_ merged: String, as fixture: MergeFixture.Built) throws {
        let a = try MergeTemporary.maskingWallClock(String(decoding: try read(fixture.unsharded + "/summary.json"), as: UTF8.self))
        let b = try MergeTemporary.maskingWallClock(String(decoding: try read(merged + "/summary.json"), as: UTF8.self))
        // 3 configurations × (the steps/s estimate, wall seconds): the mask found every wall-clock value.
        #expect(a.masked == 6 && b.masked == 6)
        #expect(a.text == b.text)
        #expect(a.text.contains("\"best_configuration_id\" : \"input-permuted/AdamW fixed/alpha0="))
        let figures = try fm.contentsOfDirectory(atPath: fixture.unsharded + "/figures").sorted()
        // The five summary figures plus the diagnostics' dead-units and effective-rank figures.
        #expect(figures.count == 7)
        #expect(figures.contains("dead-units-input-permuted.svg") && figures.contains("effective-rank-input-permuted.svg"))
        #expect(try read(fixture.unsharded + "/diagnostics.json") == read(merged + "/diagnostics.json"))
        #expect(try fm.contentsOfDirectory(atPath: merged + "/figures").sorted() == figures)
        for name in figures {
            #expect(try read(fixture.unsharded + "/figures/" + name) == read(merged + "/figures/" + name), "\(name)")
        }
    }

    @Test func threeShardsInSeparateFoldersMergeToTheUnshardedSummaryApartFromWallClock() throws {
        let fixture = try MergeFixture.shared.get()
        let plan = fixture.plan
        let root = try MergeTemporary.folder("merge-copy")
        defer { try? fm.removeItem(atPath: root) }
        var shardFolders: [String] = []
        var seen: [String] = []
        for i in 0..<3 {
            let shard = plan.shard(i, of: 3)
            #expect(!shard.isEmpty)
            seen += shard.map(\.directory)
            let folder = root + "/B\(i + 1)"
            for outcome in try SuiteRunner.execute(shard, outDirectory: folder, jobs: 2, cache: DatasetCache()) {
                guard case .completed = outcome else { Issue.record("shard run did not complete: \(outcome)"); return }
            }
            shardFolders.append(folder)
        }
        #expect(seen.sorted() == plan.runs.map(\.directory).sorted())   // the shards partition the plan

        let merged = root + "/merged"
        let outcome = try ShardMerge.merge(plan, inputs: shardFolders, out: merged)
        #expect(outcome.runs == 6 && outcome.copied == 6 && outcome.sources == shardFolders)
        try SuiteLoading.report(plan, out: merged, paperReference: nil)
        try expectSameSummary(merged, as: fixture)

        // Merging again into the same output is a no-op on the runs (they are already there, identical).
        let again = try ShardMerge.merge(plan, inputs: shardFolders, out: merged)
        #expect(again.copied == 0)
    }

    @Test func shardsSharingOneFolderAreSummarisedInPlaceToTheUnshardedSummary() throws {
        let fixture = try MergeFixture.shared.get()
        let plan = fixture.plan
        let shared = try MergeTemporary.folder("merge-in-place")
        defer { try? fm.removeItem(atPath: shared) }
        for i in 0..<3 {
            _ = try SuiteRunner.execute(plan.shard(i, of: 3), outDirectory: shared, jobs: 1, cache: DatasetCache())
        }
        // Two spellings of the same folder are one source, and nothing is copied.
        let outcome = try ShardMerge.merge(plan, inputs: [shared, shared + "/."], out: shared)
        #expect(outcome.copied == 0 && outcome.sources == [shared])
        try SuiteLoading.report(plan, out: shared, paperReference: nil)
        try expectSameSummary(shared, as: fixture)
    }

    @Test func aRunInTwoFoldersWithDifferentFilesIsRefusedNamingBoth() throws {
        let fixture = try MergeFixture.shared.get()
        let root = try MergeTemporary.folder("merge-duplicate")
        defer { try? fm.removeItem(atPath: root) }
        let run = fixture.plan.runs[2]
        try MergeTemporary.copyRuns(fixture.plan.runs, from: fixture.unsharded, to: root + "/D1")
        try MergeTemporary.copyRuns([run], from: fixture.unsharded, to: root + "/D2")
        // The same run computed again differs in its wall-clock fields only: still a duplicate with other contents.
        let path = root + "/D2/" + run.directory + "/result.json"
        var result = try RunResult.decode(try read(path))
        result.wallSeconds += 1
        try Data(result.json().utf8).write(to: URL(fileURLWithPath: path))

        let expected = MergeError.duplicate(run: "\(run.configurationID) seed \(run.seed)",
                                            first: root + "/D1/" + run.directory, second: root + "/D2/" + run.directory)
        #expect(throws: expected) { try ShardMerge.merge(fixture.plan, inputs: [root + "/D1", root + "/D2"], out: root + "/out") }
        #expect(!fm.fileExists(atPath: root + "/out/runs"))   // refused before writing anything
        #expect(!expected.description.contains("\n"))
    }

    @Test func aRunInTwoFoldersWithIdenticalFilesIsMergedOnce() throws {
        let fixture = try MergeFixture.shared.get()
        let root = try MergeTemporary.folder("merge-same")
        defer { try? fm.removeItem(atPath: root) }
        try MergeTemporary.copyRuns(Array(fixture.plan.runs[0..<4]), from: fixture.unsharded, to: root + "/D1")
        try MergeTemporary.copyRuns(Array(fixture.plan.runs[3...]), from: fixture.unsharded, to: root + "/D2")
        let outcome = try ShardMerge.merge(fixture.plan, inputs: [root + "/D1", root + "/D2"], out: root + "/out")
        #expect(outcome.copied == 6)
        for run in fixture.plan.runs {
            for name in ShardMerge.runFiles {
                #expect(try read(root + "/out/" + run.directory + "/" + name) == read(fixture.unsharded + "/" + run.directory + "/" + name))
            }
        }
    }

    @Test func missingRunsAreListedInPlanOrder() throws {
        let fixture = try MergeFixture.shared.get()
        let root = try MergeTemporary.folder("merge-missing")
        defer { try? fm.removeItem(atPath: root) }
        let runs = fixture.plan.runs
        let absent = [runs[1], runs[4]]
        try MergeTemporary.copyRuns(runs.filter { !absent.contains($0) }, from: fixture.unsharded, to: root + "/D1")
        // A run folder without result.json (an interrupted run) still counts as missing.
        try fm.createDirectory(atPath: root + "/D1/" + runs[4].directory, withIntermediateDirectories: true)
        try Data("step,task\n".utf8).write(to: URL(fileURLWithPath: root + "/D1/" + runs[4].directory + "/curve.csv"))
        let expected = MergeError.missing(absent, planned: 6)
        #expect(throws: expected) { try ShardMerge.merge(fixture.plan, inputs: [root + "/D1"], out: root + "/D1") }
        #expect(expected.description == "2 of 6 planned runs have no result in any folder: "
                + "\(runs[1].configurationID) seed \(runs[1].seed); \(runs[4].configurationID) seed \(runs[4].seed)")
    }

    @Test func aResultWhoseFolderIsNotPlannedIsRefusedAsMixedSuites() throws {
        let fixture = try MergeFixture.shared.get()
        let root = try MergeTemporary.folder("merge-foreign")
        defer { try? fm.removeItem(atPath: root) }
        try MergeTemporary.copyRuns(fixture.plan.runs, from: fixture.unsharded, to: root + "/D1")
        let stray = root + "/D1/runs/input-permuted/adamw-fixed-alpha0=0.1/seed-0"
        try fm.createDirectory(atPath: (stray as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try fm.copyItem(atPath: fixture.unsharded + "/" + fixture.plan.runs[0].directory, toPath: stray)
        #expect(throws: MergeError.notInPlan(path: stray + "/result.json", suite: "tiny")) {
            try ShardMerge.merge(fixture.plan, inputs: [root + "/D1"], out: root + "/out")
        }
    }

    @Test func aResultWithAnotherConfigurationIsRefusedAsMixedSuites() throws {
        let fixture = try MergeFixture.shared.get()
        let root = try MergeTemporary.folder("merge-config")
        defer { try? fm.removeItem(atPath: root) }
        try MergeTemporary.copyRuns(fixture.plan.runs, from: fixture.unsharded, to: root + "/D1")
        // Same folders, other settings: the suite run with --set test_samples=50.
        let other = try SuiteLoading.plan(fixture.suitePath, overrides: ["test_samples=50"])
        #expect(other.runs.map(\.directory) == fixture.plan.runs.map(\.directory))
        let first = other.runs.sorted { $0.directory < $1.directory }[0]
        #expect(throws: MergeError.differentConfiguration(path: root + "/D1/" + first.directory + "/result.json",
                                                          run: "\(first.configurationID) seed \(first.seed)")) {
            try ShardMerge.merge(other, inputs: [root + "/D1"], out: root + "/D1")
        }
    }

    @Test func aSummaryOrSlurmMarkerOfAnotherSuiteDigestIsRefused() throws {
        let fixture = try MergeFixture.shared.get()
        let root = try MergeTemporary.folder("merge-digest")
        defer { try? fm.removeItem(atPath: root) }
        // Same runs and configurations, another suite text (description): another digest.
        try Data(MergeFixture.suiteText(description: "edited").utf8).write(to: URL(fileURLWithPath: root + "/edited.json"))
        let edited = try SuiteLoading.plan(root + "/edited.json", overrides: [])
        #expect(edited.suite.digest != fixture.plan.suite.digest)
        #expect(edited.runs == fixture.plan.runs)

        let unsharded = ShardMerge.canonicalPath(fixture.unsharded)
        #expect(throws: MergeError.otherSuite(path: unsharded + "/summary.json", found: fixture.plan.suite.digest,
                                              expected: edited.suite.digest)) {
            try ShardMerge.merge(edited, inputs: [unsharded], out: root + "/out")
        }

        // Shard folders written for the original suite by `mobench slurm` carry its digest in slurm/suite.json.
        let shards = root + "/shards"
        try MergeTemporary.copyRuns(fixture.plan.runs, from: fixture.unsharded, to: shards)
        let files = try SlurmScripts.generate(fixture.plan, paths: .init(executable: "/bin/true", suiteFile: fixture.suitePath,
                                                                         outDirectory: shards, workingDirectory: root),
                                              options: SlurmOptions(shards: 2))
        try SlurmScripts.write(files)
        #expect(throws: MergeError.otherSuite(path: shards + "/slurm/suite.json", found: fixture.plan.suite.digest,
                                              expected: edited.suite.digest)) {
            try ShardMerge.merge(edited, inputs: [shards], out: shards)
        }
        // With the suite the marker names, the same folder merges.
        #expect(try ShardMerge.merge(fixture.plan, inputs: [shards], out: shards).copied == 0)
    }

    @Test func aMissingInputFolderIsRefused() throws {
        let fixture = try MergeFixture.shared.get()
        #expect(throws: MergeError.notAFolder("/nonexistent/shard-0")) {
            try ShardMerge.merge(fixture.plan, inputs: ["/nonexistent/shard-0"], out: "/nonexistent/out")
        }
    }
}
