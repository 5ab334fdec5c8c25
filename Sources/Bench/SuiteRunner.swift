import Datasets
import Foundation

/// Loads each (data, split, labels) once per process and shares it between runs (datasets are immutable values).
public final class DatasetCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: Dataset] = [:]
    private let workingDirectory: String

    public init(workingDirectory: String = FileManager.default.currentDirectoryPath) {
        self.workingDirectory = workingDirectory
    }

    public func dataset(_ reference: String, split: Split, labelKind: CIFAR100LabelKind) throws -> Dataset {
        let key = "\(reference)\u{0}\(split.rawValue)\u{0}\(labelKind.rawValue)"
        lock.lock(); defer { lock.unlock() }
        if let cached = entries[key] { return cached }
        let dataset = try DatasetLoader.load(reference, split: split, labelKind: labelKind, workingDirectory: workingDirectory)
        entries[key] = dataset
        return dataset
    }
}

/// What happened to one planned run.
public enum RunOutcome: Sendable {
    case completed(RunResult)
    case skipped(RunResult)          // result.json already there with the same configuration
    case failed(String)
    case interrupted
}

/// Receives suite progress (one call per finished run).
public protocol SuiteProgress: AnyObject, Sendable {
    func started(total: Int, toRun: Int)
    func finished(run: PlannedRun, outcome: RunOutcome, index: Int, total: Int)
}

/// Runs planned runs in parallel threads (each run single-threaded); results do not depend on the number of jobs.
public enum SuiteRunner {
    /// Runs `runs` into `outDirectory` with `jobs` worker threads. Runs whose `result.json` exists with the same
    /// configuration are skipped (so an interrupted suite resumes); a `result.json` with another configuration is
    /// an error. Returns the outcomes in plan order.
    public static func execute(_ runs: [PlannedRun], outDirectory: String, jobs: Int, cache: DatasetCache,
                               checkpointEvery: Int? = nil, progress: SuiteProgress? = nil,
                               shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> [RunOutcome] {
        // Skip finished runs first (also catches stale results before any work starts).
        var outcomes = [RunOutcome?](repeating: nil, count: runs.count)
        for (i, run) in runs.enumerated() {
            if let existing = try existingResult(run, outDirectory: outDirectory) { outcomes[i] = .skipped(existing) }
        }
        let pending = runs.indices.filter { outcomes[$0] == nil }
        progress?.started(total: runs.count, toRun: pending.count)
        let state = SharedState(outcomes: outcomes, pending: pending)
        let group = DispatchGroup()
        for _ in 0..<max(1, min(jobs, pending.count)) {
            group.enter()
            let thread = Thread {
                while let i = state.next() {
                    let run = runs[i]
                    let outcome: RunOutcome
                    if shouldStop() { outcome = .interrupted } else {
                        outcome = Self.perform(run, outDirectory: outDirectory, cache: cache,
                                               checkpointEvery: checkpointEvery, shouldStop: shouldStop)
                    }
                    let finishedCount = state.finish(i, outcome)
                    progress?.finished(run: run, outcome: outcome, index: finishedCount, total: pending.count)
                }
                group.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        return state.outcomes.map { $0 ?? .interrupted }
    }

    static func existingResult(_ run: PlannedRun, outDirectory: String) throws -> RunResult? {
        let path = (outDirectory as NSString).appendingPathComponent(run.directory + "/result.json")
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let result = try? RunResult.decode(data) else {
            throw SettingError.invalid("\(path): unreadable result file; delete it to re-run that run")
        }
        var expected = run.configuration
        if expected.taskLength == nil { expected.taskLength = result.config.taskLength }
        guard result.config == expected else {
            throw SettingError.invalid("\(path): holds a result for a different configuration than the suite's; delete it or use another --out")
        }
        return result
    }

    static func perform(_ run: PlannedRun, outDirectory: String, cache: DatasetCache, checkpointEvery: Int?,
                        shouldStop: @escaping @Sendable () -> Bool) -> RunOutcome {
        let runDirectory = (outDirectory as NSString).appendingPathComponent(run.directory)
        // One process per run: a run another process holds (e.g. the same shard started twice) is left to it.
        let runLock: OutputLock
        do { runLock = try OutputLock(directory: runDirectory, mode: .exclusive, what: "run") } catch {
            return .failed("\(run.configurationID) seed \(run.seed): \(oneLineDescription(error))")
        }
        defer { withExtendedLifetime(runLock) {} }
        do {
            let validated = try ValidatedConfiguration(run.configuration)
            let train = try cache.dataset(run.configuration.data, split: validated.split, labelKind: validated.labelKind)
            let test = validated.split == .train
                ? try cache.dataset(run.configuration.data, split: .test, labelKind: validated.labelKind) : nil
            let options = RunOptions(outDirectory: (outDirectory as NSString).appendingPathComponent(run.directory),
                                     checkpointEvery: checkpointEvery, resume: checkpointEvery != nil)
            let session = try Run(validated, train: train, test: test, options: options)
            guard let result = try session.run(options: options, progress: nil, shouldStop: shouldStop) else {
                return .interrupted
            }
            return .completed(result)
        } catch {
            return .failed("\(run.configurationID) seed \(run.seed): \(oneLineDescription(error))")
        }
    }

    private final class SharedState: @unchecked Sendable {
        let lock = NSLock()
        var outcomes: [RunOutcome?]
        var pending: [Int]
        var cursor = 0
        var finishedCount = 0

        init(outcomes: [RunOutcome?], pending: [Int]) {
            self.outcomes = outcomes
            self.pending = pending
        }

        func next() -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard cursor < pending.count else { return nil }
            cursor += 1
            return pending[cursor - 1]
        }

        func finish(_ index: Int, _ outcome: RunOutcome) -> Int {
            lock.lock(); defer { lock.unlock() }
            outcomes[index] = outcome
            finishedCount += 1
            return finishedCount
        }
    }
}

/// Suite progress as one line per finished run on stderr, with an overall ETA.
public final class SuiteProgressLines: SuiteProgress, @unchecked Sendable {
    private let lock = NSLock()
    private let clock = ContinuousClock()
    private var start = ContinuousClock.now
    public init() {}

    public func started(total: Int, toRun: Int) {
        start = clock.now
        let skipped = total - toRun
        FileHandle.standardError.write(Data("suite: \(total) runs, \(toRun) to run\(skipped > 0 ? ", \(skipped) already done (skipped)" : "")\n".utf8))
    }

    public func finished(run: PlannedRun, outcome: RunOutcome, index: Int, total: Int) {
        lock.lock(); defer { lock.unlock() }
        let elapsed = (clock.now - start).seconds
        let eta = index > 0 ? formatDuration(elapsed / Double(index) * Double(total - index)) : "--"
        let what: String
        switch outcome {
        case .completed(let r):
            what = r.diverged ? "DIVERGED at step \(r.divergedAtStep ?? 0)"
                : String(format: "loss %.4f, acc %.1f%%, %.0f steps/s", r.onlineLoss ?? .nan, (r.onlineAccuracy ?? .nan) * 100, r.stepsPerSecond)
        case .skipped: what = "already done"
        case .failed(let message): what = "FAILED: \(message)"
        case .interrupted: what = "interrupted"
        }
        FileHandle.standardError.write(Data("[\(index)/\(total)] \(run.configurationID) seed \(run.seed): \(what)  (ETA \(eta))\n".utf8))
    }
}
