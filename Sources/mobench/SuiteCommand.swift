import ArgumentParser
import Bench
import Foundation
import Reports

struct SuiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Run every (configuration, seed) of a suite in parallel, then write summary.json, summary.md and figures.",
        discussion: """
        Runs whose result.json already exists in --out are skipped, so an interrupted suite resumes where it \
        stopped. Each run is single-threaded; results are identical whatever --jobs is.
        """)

    @OptionGroup var suite: SuiteOptions
    @Option(help: "Parallel runs (default: one per core).") var jobs: Int?
    @Option(help: "Only configurations whose id matches (substring, or glob with * and ?).") var only: String?
    @Option(help: "Run shard I of N (I in 0..<N): a deterministic, cost-balanced 1/N of the runs; no summary (use mobench merge).") var shard: String?
    @Option(help: "Overlay the paper's curves from this CSV (data/reference/paper-continual-cifar100.csv).") var paperReference: String?
    @Flag(help: "Print the planned runs and exit.") var dryRun = false
    @Flag(help: "Do not print the summary table (it is still written to summary.md); print only where files went.") var quiet = false

    func run() throws {
        let plan = try classify { try SuiteLoading.plan(suite.file, overrides: suite.overrides) }
        var runs = SuitePlan.filter(plan.runs, only: only)
        var sharded = false
        if let shard {
            let (index, count) = try SuiteLoading.parseShard(shard)
            let inShard = Set(plan.shard(index, of: count).map(\.directory))
            runs = runs.filter { inShard.contains($0.directory) }
            sharded = true
        }
        if runs.isEmpty { throw Failure(message: "no run matches (--only \(only ?? "-"), --shard \(shard ?? "-"))", status: 2) }
        if dryRun {
            for run in runs { print("\(run.configurationID)\tseed \(run.seed)\t\(run.directory)") }
            print("\(runs.count) runs")
            return
        }
        let jobCount = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        guard jobCount >= 1 else { throw Failure(message: "--jobs must be at least 1", status: 2) }
        if let checkpointEvery = suite.checkpointEvery, checkpointEvery < 1 {
            throw Failure(message: "--checkpoint-every must be a positive integer", status: 2)
        }
        // Held until the process exits: a second suite on the same --out refuses (shards share it).
        let lock = try classify { try OutputLock(directory: suite.out, mode: sharded ? .shared : .exclusive) }
        defer { withExtendedLifetime(lock) {} }
        signal(SIGINT) { _ in interruptRequested.store(true, ordering: .relaxed); signal(SIGINT, SIG_DFL) }
        signal(SIGTERM) { _ in interruptRequested.store(true, ordering: .relaxed); signal(SIGTERM, SIG_DFL) }
        let clock = ContinuousClock()
        let start = clock.now
        let outcomes = try classify {
            try SuiteRunner.execute(runs, outDirectory: suite.out, jobs: jobCount, cache: DatasetCache(),
                                    checkpointEvery: suite.checkpointEvery, progress: SuiteProgressLines(),
                                    shouldStop: { interruptRequested.load(ordering: .relaxed) })
        }
        let failures = zip(runs, outcomes).compactMap { run, outcome -> String? in
            if case .failed(let message) = outcome { return message }
            return nil
        }
        let interrupted = outcomes.contains { if case .interrupted = $0 { return true } else { return false } }
        FileHandle.standardError.write(Data(String(format: "suite: finished in %.1f s\n", (clock.now - start).seconds).utf8))
        if interrupted {
            throw Failure(message: "interrupted; run the same command again to resume", status: 130)
        }
        if !sharded {
            try classify { try SuiteLoading.report(plan, out: suite.out, paperReference: paperReference, quiet: quiet) }
        }
        if !failures.isEmpty {
            throw Failure(message: "\(failures.count) run(s) failed; first: \(failures[0])", status: 1)
        }
    }
}

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot", abstract: "Redraw a suite's figures (DIR/figures/*.svg) from DIR/summary.json.")

    @Argument(help: "A suite output folder (with summary.json).") var directory: String
    @Option(help: "Overlay the paper's curves from this CSV.") var paperReference: String?
    @Option(help: "The suite file, to match paper runs to configurations (with --paper-reference).") var suite: String?

    func run() throws {
        let path = (directory as NSString).appendingPathComponent("summary.json")
        let summary = try classify { () throws -> SuiteSummary in
            do { return try SuiteSummary.load(from: URL(fileURLWithPath: path)) } catch {
                throw Failure(message: oneLineDescription(error), status: 1)
            }
        }
        var references: [FigureReference] = []
        if let paperReference {
            guard let suite else { throw Failure(message: "--paper-reference needs --suite FILE", status: 2) }
            let plan = try classify { try SuiteLoading.plan(suite, overrides: []) }
            references = try classify { try SuiteLoading.paperReferences(plan, csv: paperReference).references }
        }
        let paths = try classify { try SuiteReport.writeFigures(summary, outDirectory: directory, references: references) }
        for p in paths { print(p) }
    }
}

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two suite summaries; exit 0 when nothing regressed, 1 on a regression, 2 when not comparable.",
        discussion: """
        A metric regresses when the current mean is worse than the baseline mean by more than \
        max(k × sqrt(se_baseline² + se_current²), relative-floor × |baseline mean|). Lower is better for online loss \
        and AUC, higher for accuracies. Throughput (steps/s) regresses when current < baseline × (1 − \
        throughput-tolerance). More diverged seeds than the baseline is a regression.
        """)

    @Argument(help: "Baseline summary.json.") var baseline: String
    @Argument(help: "Current summary.json.") var current: String
    @Option(help: "k, in combined standard errors (default: 3).") var k: Double = 3
    @Option(help: "Relative floor of the regression threshold (default: 0.02 = 2 %).") var relativeFloor: Double = 0.02
    @Option(help: "Allowed relative throughput drop (default: 0.25 = 25 %).") var throughputTolerance: Double = 0.25
    @Option(help: "Write the full comparison (every check, as markdown) to this file.") var markdown: String?

    func run() throws {
        guard k > 0, k.isFinite, relativeFloor >= 0, relativeFloor.isFinite, throughputTolerance >= 0,
              throughputTolerance < 1 else {
            throw Failure(message: "--k must be positive, --relative-floor ≥ 0, --throughput-tolerance in [0, 1)", status: 2)
        }
        // A summary that cannot be read cannot be compared: status 2, like any other incomparable pair.
        func load(_ path: String) throws -> SuiteSummary {
            do { return try SuiteSummary.load(from: URL(fileURLWithPath: path)) } catch {
                throw Failure(message: oneLineDescription(error), status: 2)
            }
        }
        let report = Comparison.compare(baseline: try load(baseline), current: try load(current),
                                        options: ComparisonOptions(k: k, relativeFloor: relativeFloor,
                                                                   throughputTolerance: throughputTolerance))
        if let markdown { try classify { try writeAtomically(Data(report.markdown().utf8), to: markdown) } }
        print(report.shortText(fullReport: markdown), terminator: "")
        if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rewrite a suite's HTML report (DIR/summary.html) from DIR/summary.json, runs.json, the run results and DIR/figures.")

    @Argument(help: "A suite output folder (with summary.json and runs.json).") var directory: String

    func run() throws {
        print(try classify { try SuiteHTML.write(outDirectory: directory) })
    }
}
