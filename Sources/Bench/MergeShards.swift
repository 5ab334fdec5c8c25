import Foundation

/// Why shard outputs could not be merged. Each description is one line naming the folder or file, what was
/// expected and what was found.
public enum MergeError: Error, CustomStringConvertible, Equatable {
    /// An input folder does not exist or is not a folder.
    case notAFolder(String)
    /// The same run has a result in two folders whose files differ.
    case duplicate(run: String, first: String, second: String)
    /// A `result.json` in a folder the suite does not plan (a result of another suite, or of an edited one).
    case notInPlan(path: String, suite: String)
    /// A `result.json` at a planned folder whose configuration differs from the suite's.
    case differentConfiguration(path: String, run: String)
    /// A `summary.json` or `slurm/suite.json` recording another suite digest than the suite given to merge.
    case otherSuite(path: String, found: String, expected: String)
    /// A `result.json` that does not decode, or a finished run without its `curve.csv`.
    case unreadable(path: String, reason: String)
    /// Planned runs without a result in any input folder (in plan order).
    case missing([PlannedRun], planned: Int)
    /// A run's files could not be copied into the output folder.
    case cannotCopy(from: String, to: String, reason: String)

    public var description: String {
        switch self {
        case .notAFolder(let path): return "\(path): expected a suite output folder, found no such folder"
        case let .duplicate(run, first, second): return "\(run): results in two folders differ: \(first) and \(second); keep one of them"
        case let .notInPlan(path, suite):
            return "\(path): expected a run of suite '\(suite)', found a result whose folder is not in its plan (mixed suites?)"
        case let .differentConfiguration(path, run):
            return "\(path): expected the configuration of \(run), found another one (another suite, an edited suite or other --set overrides)"
        case let .otherSuite(path, found, expected):
            return "\(path): expected suite digest \(expected), found \(found) (another suite, an edited suite or other --set overrides)"
        case let .unreadable(path, reason): return "\(path): \(reason)"
        case let .missing(runs, planned):
            let shown = runs.prefix(3).map { "\($0.configurationID) seed \($0.seed)" }.joined(separator: "; ")
            return "\(runs.count) of \(planned) planned runs have no result in any folder: \(shown)\(runs.count > 3 ? "; …" : "")"
        case let .cannotCopy(from, to, reason): return "\(to): cannot copy from \(from): \(reason)"
        }
    }
}

/// Combines the output folders of suite shards (`mobench suite --shard I/N`) into one suite output folder, so that
/// `SuiteLoading.report` on it gives the summary a single-machine run would (apart from wall-clock fields).
public enum ShardMerge {
    /// The files of a finished run that a merge carries over (`curve.csv` first: `result.json` marks completion).
    public static let runFiles = ["curve.csv", "result.json"]

    /// What a merge did.
    public struct Outcome: Sendable, Equatable {
        /// Planned runs (all of which now have a result in the output folder).
        public var runs: Int
        /// Runs copied (or hard-linked) into the output folder; 0 when every result was already there.
        public var copied: Int
        /// The folders that were read (absolute, symlinks resolved), the output folder included when it existed.
        public var sources: [String]
    }

    /// Checks the results in `inputs` against `plan` and gathers them into `out`.
    ///
    /// Every `result.json` under `<input>/runs/` must be a planned run with the plan's configuration; a run found
    /// in several folders must have byte-identical `result.json` and `curve.csv`; every planned run must have a
    /// result; a `summary.json` or `slurm/suite.json` in a folder must carry the plan's suite digest. `out` may be
    /// one of the inputs (then its results stay where they are) or a new folder; results it already holds count as
    /// an input. Runs are hard-linked when possible, else copied. Throws `MergeError`; writes nothing unless
    /// every check passed.
    @discardableResult
    public static func merge(_ plan: SuitePlan, inputs: [String], out: String) throws -> Outcome {
        let fm = FileManager.default
        var sources: [String] = []
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: input, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw MergeError.notAFolder(input)
            }
            let canonical = canonicalPath(input)
            if !sources.contains(canonical) { sources.append(canonical) }
        }
        let outCanonical = canonicalPath(out)
        var isDirectory: ObjCBool = false
        if !sources.contains(outCanonical), fm.fileExists(atPath: outCanonical, isDirectory: &isDirectory),
           isDirectory.boolValue {
            sources.append(outCanonical)
        }

        for source in sources { try checkDigest(source, plan: plan) }

        let byDirectory = Dictionary(plan.runs.map { ($0.directory, $0) }, uniquingKeysWith: { a, _ in a })
        // Run directory → folders holding its result, in input order.
        var holders: [String: [String]] = [:]
        for source in sources {
            for relative in try resultDirectories(in: source) {
                let path = (source as NSString).appendingPathComponent(relative + "/result.json")
                guard let run = byDirectory[relative] else { throw MergeError.notInPlan(path: path, suite: plan.suite.name) }
                try checkResult(at: source, run: run)
                holders[relative, default: []].append(source)
            }
        }
        for run in plan.runs {
            guard let folders = holders[run.directory], folders.count > 1 else { continue }
            for other in folders.dropFirst() where !sameFiles(run.directory, folders[0], other) {
                throw MergeError.duplicate(run: "\(run.configurationID) seed \(run.seed)",
                                           first: (folders[0] as NSString).appendingPathComponent(run.directory),
                                           second: (other as NSString).appendingPathComponent(run.directory))
            }
        }
        let missing = plan.runs.filter { holders[$0.directory] == nil }
        if !missing.isEmpty { throw MergeError.missing(missing, planned: plan.runs.count) }

        var copied = 0
        for run in plan.runs {
            let folders = holders[run.directory]!
            if folders.contains(outCanonical) { continue }
            try copyRun(run.directory, from: folders[0], to: outCanonical)
            copied += 1
        }
        return Outcome(runs: plan.runs.count, copied: copied, sources: sources)
    }

    /// Absolute, standardized, symlinks resolved (so two spellings of one folder compare equal).
    static func canonicalPath(_ path: String) -> String {
        let absolute = (path as NSString).isAbsolutePath
            ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return URL(fileURLWithPath: absolute).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// The digest recorded by a folder's `summary.json` and `slurm/suite.json`, when present, must be the plan's.
    static func checkDigest(_ source: String, plan: SuitePlan) throws {
        struct Recorded: Decodable {
            var suiteDigest: String?
            enum CodingKeys: String, CodingKey { case suiteDigest = "suite_digest" }
        }
        for name in ["summary.json", SlurmScripts.markerPath] {
            let path = (source as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            guard let recorded = try? JSONDecoder().decode(Recorded.self, from: data), let digest = recorded.suiteDigest else {
                throw MergeError.unreadable(path: path, reason: "expected a JSON object with \"suite_digest\", found something else")
            }
            if digest != plan.suite.digest {
                throw MergeError.otherSuite(path: path, found: digest, expected: plan.suite.digest)
            }
        }
    }

    /// Folders (relative to `source`, e.g. `runs/g/m/seed-0`) under `source/runs` that hold a `result.json`, sorted.
    static func resultDirectories(in source: String) throws -> [String] {
        let runsRoot = (source as NSString).appendingPathComponent("runs")
        guard let enumerator = FileManager.default.enumerator(atPath: runsRoot) else { return [] }
        var found: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if (relative as NSString).lastPathComponent == "result.json" {
                found.append("runs/" + (relative as NSString).deletingLastPathComponent)
            }
        }
        return found.sorted()
    }

    /// The result must decode, carry `run`'s configuration and have its curve next to it.
    static func checkResult(at source: String, run: PlannedRun) throws {
        let folder = (source as NSString).appendingPathComponent(run.directory)
        let path = folder + "/result.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MergeError.unreadable(path: path, reason: "cannot read the result file")
        }
        let result: RunResult
        do { result = try RunResult.decode(data) } catch {
            throw MergeError.unreadable(path: path, reason: "expected a mobench result file, found one that does not decode")
        }
        var expected = run.configuration
        if expected.taskLength == nil { expected.taskLength = result.config.taskLength }
        guard result.config == expected else {
            throw MergeError.differentConfiguration(path: path, run: "\(run.configurationID) seed \(run.seed)")
        }
        guard FileManager.default.fileExists(atPath: folder + "/curve.csv") else {
            throw MergeError.unreadable(path: folder + "/curve.csv", reason: "expected the run's curve next to its result.json, found none")
        }
    }

    static func sameFiles(_ directory: String, _ a: String, _ b: String) -> Bool {
        runFiles.allSatisfy { name in
            let pa = (a as NSString).appendingPathComponent("\(directory)/\(name)")
            let pb = (b as NSString).appendingPathComponent("\(directory)/\(name)")
            return FileManager.default.contents(atPath: pa) == FileManager.default.contents(atPath: pb)
        }
    }

    /// Hard-links (else copies) the run's files into `out`, each through a temporary name and a rename.
    static func copyRun(_ directory: String, from source: String, to out: String) throws {
        let fm = FileManager.default
        let target = (out as NSString).appendingPathComponent(directory)
        do { try fm.createDirectory(atPath: target, withIntermediateDirectories: true) } catch {
            throw MergeError.cannotCopy(from: source, to: target, reason: "cannot create the folder")
        }
        for name in runFiles {
            let from = (source as NSString).appendingPathComponent("\(directory)/\(name)")
            let to = (target as NSString).appendingPathComponent(name)
            let temporary = (target as NSString).appendingPathComponent(".\(name).merge-\(getpid()).tmp")
            try? fm.removeItem(atPath: temporary)
            if link(from, temporary) != 0 {
                do { try fm.copyItem(atPath: from, toPath: temporary) } catch {
                    throw MergeError.cannotCopy(from: from, to: to, reason: "\(error.localizedDescription)")
                }
            }
            if rename(temporary, to) != 0 {
                try? fm.removeItem(atPath: temporary)
                throw MergeError.cannotCopy(from: from, to: to, reason: "rename failed (errno \(errno))")
            }
        }
    }
}
