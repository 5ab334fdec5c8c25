import Foundation

/// Why Slurm scripts could not be written or submitted. Each description is one line naming the flag or file,
/// what was expected and what was found.
public enum SlurmError: Error, CustomStringConvertible, Equatable {
    /// A flag's value has the wrong form (`expected` says which).
    case invalidOption(flag: String, value: String, expected: String)
    /// More shards than runs would leave a shard without work.
    case tooManyShards(shards: Int, runs: Int)
    /// A path that goes into the scripts is relative.
    case notAbsolute(what: String, path: String)
    /// A path that goes into an `#SBATCH` line contains characters those lines cannot carry.
    case unsafePath(what: String, path: String)
    /// A script could not be written.
    case cannotWrite(String)
    /// `sbatch` is not on PATH.
    case sbatchNotFound
    /// `sbatch` exited with a non-zero status.
    case sbatchFailed(script: String, status: Int32, message: String)
    /// `sbatch --parsable` printed something other than a job id.
    case unexpectedJobID(script: String, output: String)

    public var description: String {
        switch self {
        case let .invalidOption(flag, value, expected): return "\(flag) \(value.replacingOccurrences(of: "\n", with: "\\n")): expected \(expected)"
        case let .tooManyShards(shards, runs): return "--shards \(shards): expected at most the suite's \(runs) runs (a shard must have a run)"
        case let .notAbsolute(what, path): return "\(what) \(path): expected an absolute path"
        case let .unsafePath(what, path):
            return "\(what) \(path): expected a path without spaces, quotes, backslashes or % (it goes into #SBATCH lines)"
        case .cannotWrite(let path): return "\(path): cannot write file"
        case .sbatchNotFound: return "sbatch: expected on PATH, found nothing (the scripts are written; submit them on a Slurm login node)"
        case let .sbatchFailed(script, status, message): return "sbatch \(script): exited with status \(status): \(message)"
        case let .unexpectedJobID(script, output): return "sbatch --parsable \(script): expected a job id, found '\(output)'"
        }
    }
}

/// Resources and size of a Slurm job array that runs a suite in shards (`mobench slurm`).
public struct SlurmOptions: Sendable, Equatable {
    /// Array tasks, one per shard (`mobench suite --shard I/N`); 1 ≤ shards ≤ runs.
    public var shards: Int
    /// `#SBATCH --partition` (omitted when nil: the cluster's default partition).
    public var partition: String?
    /// `#SBATCH --time`, `HH:MM:SS` or `D-HH:MM:SS`, per array task and for the merge job.
    public var time: String?
    /// `#SBATCH --cpus-per-task`; also the shard's `--jobs` (runs in parallel, each single-threaded).
    public var cpusPerTask: Int
    /// `#SBATCH --mem`, per node: an integer with an optional K, M, G or T suffix (megabytes without one).
    public var memory: String?
    /// `#SBATCH --account`.
    public var account: String?
    /// Passed to each shard as `--checkpoint-every` (so a pre-empted long run resumes mid-way).
    public var checkpointEvery: Int?

    public init(shards: Int, partition: String? = nil, time: String? = nil, cpusPerTask: Int = 1,
                memory: String? = nil, account: String? = nil, checkpointEvery: Int? = nil) {
        self.shards = shards
        self.partition = partition
        self.time = time
        self.cpusPerTask = cpusPerTask
        self.memory = memory
        self.account = account
        self.checkpointEvery = checkpointEvery
    }

    /// The shard count used when `--shards` is not given: one per run, at most 16.
    public static func defaultShards(runCount: Int) -> Int { max(1, min(runCount, 16)) }

    /// Checks every value; throws the first problem as a `SlurmError`.
    public func validate(runCount: Int) throws {
        guard shards >= 1 else {
            throw SlurmError.invalidOption(flag: "--shards", value: "\(shards)", expected: "a positive integer")
        }
        guard shards <= runCount else { throw SlurmError.tooManyShards(shards: shards, runs: runCount) }
        guard cpusPerTask >= 1 else {
            throw SlurmError.invalidOption(flag: "--cpus-per-task", value: "\(cpusPerTask)", expected: "a positive integer")
        }
        if let checkpointEvery, checkpointEvery < 1 {
            throw SlurmError.invalidOption(flag: "--checkpoint-every", value: "\(checkpointEvery)", expected: "a positive integer")
        }
        if let time, !Self.isValidTime(time) {
            throw SlurmError.invalidOption(flag: "--time", value: time,
                                           expected: "a positive duration HH:MM:SS or D-HH:MM:SS, e.g. 02:00:00")
        }
        if let memory, !Self.isValidMemory(memory) {
            throw SlurmError.invalidOption(flag: "--mem", value: memory,
                                           expected: "a positive integer with an optional K, M, G or T suffix, e.g. 4G")
        }
        for (flag, value) in [("--partition", partition), ("--account", account)] {
            if let value, !Self.isValidName(value) {
                throw SlurmError.invalidOption(flag: flag, value: value,
                                               expected: "a name of letters, digits and _ . + - , only")
            }
        }
    }

    /// `HH:MM:SS` (any number of hours) or `D-HH:MM:SS` (hours < 24); minutes and seconds two digits < 60; not zero.
    public static func isValidTime(_ text: String) -> Bool {
        var clock = Substring(text)
        var days = 0
        if let dash = text.firstIndex(of: "-") {
            let dayText = text[..<dash]
            guard !dayText.isEmpty, dayText.allSatisfy(\.isASCIIDigit), let d = Int(dayText) else { return false }
            days = d
            clock = text[text.index(after: dash)...]
        }
        let parts = clock.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }),
              parts[1].count == 2, parts[2].count == 2, parts[0].count <= 6,
              let h = Int(parts[0]), let m = Int(parts[1]), let s = Int(parts[2]), m < 60, s < 60 else { return false }
        if text.contains("-") && (h >= 24 || parts[0].count > 2) { return false }
        return days + h + m + s > 0
    }

    static func isValidMemory(_ text: String) -> Bool {
        var digits = Substring(text)
        if let last = text.last, "KMGTkmgt".contains(last) { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy(\.isASCIIDigit), let n = Int(digits) else { return false }
        return n > 0
    }

    static func isValidName(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.+-,".contains($0)) }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// The files `mobench slurm` writes into `<out>/slurm/`.
public struct SlurmJobFiles: Sendable, Equatable {
    /// `<out>/slurm`.
    public var directory: String
    /// The job array: task I runs `mobench suite FILE --out OUT --shard I/N`.
    public var arrayScript: String
    /// The merge job: `mobench merge OUT --suite FILE`.
    public var mergeScript: String
    /// `submit.sh [ARRAY]`: submits the array (or only the tasks ARRAY, e.g. `1,2`) and a merge job after it.
    public var submitScript: String
    /// `suite.json`: suite name and digest (checked by `mobench merge`), file, overrides, shards.
    public var marker: String

    public var arrayPath: String { (directory as NSString).appendingPathComponent("array.sbatch") }
    public var mergePath: String { (directory as NSString).appendingPathComponent("merge.sbatch") }
    public var submitPath: String { (directory as NSString).appendingPathComponent("submit.sh") }
    public var markerPath: String { (directory as NSString).appendingPathComponent("suite.json") }
    /// `<out>/slurm/logs`: `shard-<I>.out` per array task and `merge.out`.
    public var logsDirectory: String { (directory as NSString).appendingPathComponent("logs") }
}

/// Writes and submits the Slurm job array that runs a suite in shards, and the job that merges them.
public enum SlurmScripts {
    /// Where `mobench slurm` records the suite digest, relative to the suite output folder.
    public static let markerPath = "slurm/suite.json"

    /// Absolute paths the scripts use.
    public struct Paths: Sendable, Equatable {
        /// The `mobench` binary the jobs run.
        public var executable: String
        /// The suite file.
        public var suiteFile: String
        /// The suite output folder (shared by every task: results land where an unsharded run puts them).
        public var outDirectory: String
        /// The jobs' working directory (`#SBATCH --chdir`), against which dataset names resolve.
        public var workingDirectory: String

        /// The paths of `mobench slurm FILE --out DIR` run in the current folder by the binary at `executable`:
        /// relative `suiteFile` and `outDirectory` are made absolute against the current folder (the jobs' folder).
        public static func resolving(suiteFile: String, outDirectory: String, executable: String) -> Paths {
            let cwd = FileManager.default.currentDirectoryPath
            func absolute(_ path: String) -> String {
                let joined = (path as NSString).isAbsolutePath ? path : (cwd as NSString).appendingPathComponent(path)
                return (joined as NSString).standardizingPath
            }
            return Paths(executable: executable, suiteFile: absolute(suiteFile), outDirectory: absolute(outDirectory),
                         workingDirectory: cwd)
        }

        /// The running binary's absolute path (what the jobs run): /proc/self/exe, else the bundle's path, else
        /// argv[0] made absolute (or looked up on PATH).
        public static func runningExecutable() -> String {
            if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), link.hasPrefix("/") {
                return link
            }
            if let path = Bundle.main.executablePath, path.hasPrefix("/") { return path }
            let argument = CommandLine.arguments[0]
            if argument.contains("/") {
                return ((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(argument) as NSString).standardizingPath
            }
            return SlurmScripts.findOnPath(argument) ?? argument
        }
    }

    /// The scripts for `plan` (its `--set` overrides are passed on to every job). Validates `options` and paths.
    public static func generate(_ plan: SuitePlan, paths: Paths, options: SlurmOptions) throws -> SlurmJobFiles {
        try options.validate(runCount: plan.runs.count)
        for (what, path) in [("mobench binary", paths.executable), ("suite file", paths.suiteFile),
                             ("--out", paths.outDirectory), ("working directory", paths.workingDirectory)] {
            guard (path as NSString).isAbsolutePath else { throw SlurmError.notAbsolute(what: what, path: path) }
        }
        for (what, path) in [("--out", paths.outDirectory), ("working directory", paths.workingDirectory)] {
            guard path.allSatisfy({ !$0.isWhitespace && !"\"'\\%".contains($0) && !$0.isNewline }) else {
                throw SlurmError.unsafePath(what: what, path: path)
            }
        }
        let out = paths.outDirectory
        let directory = (out as NSString).appendingPathComponent("slurm")
        let logs = (directory as NSString).appendingPathComponent("logs")
        let name = "mobench-" + slug(plan.suite.name)
        let n = options.shards
        let sets = plan.suite.overrides.map { " --set " + shellQuote($0) }.joined()

        func directives(jobName: String, array: Bool, output: String, cpus: Int) -> [String] {
            var lines = ["#SBATCH --job-name=\(jobName)"]
            if array { lines.append("#SBATCH --array=0-\(n - 1)") }
            lines += ["#SBATCH --ntasks=1", "#SBATCH --cpus-per-task=\(cpus)", "#SBATCH --output=\(output)",
                      "#SBATCH --chdir=\(paths.workingDirectory)"]
            if let p = options.partition { lines.append("#SBATCH --partition=\(p)") }
            if let t = options.time { lines.append("#SBATCH --time=\(t)") }
            if let m = options.memory { lines.append("#SBATCH --mem=\(m)") }
            if let a = options.account { lines.append("#SBATCH --account=\(a)") }
            return lines
        }

        let checkpoint = options.checkpointEvery.map { " --checkpoint-every \($0)" } ?? ""
        let array = (["#!/bin/bash"]
            + directives(jobName: name, array: true, output: "\(logs)/shard-%a.out", cpus: options.cpusPerTask)
            + ["#",
               "# Generated by `mobench slurm` (mobench \(suiteVersion)) for suite '\(plan.suite.name)' (digest \(plan.suite.digest)):",
               "# \(plan.runs.count) runs in \(n) shards, one array task per shard, each running its runs \(options.cpusPerTask) at a time.",
               "# A task skips runs whose result.json exists, so after a failure or a pre-emption `submit.sh I` (or",
               "# `sbatch --array=I` on this file) re-runs only the missing runs of shard I. merge.sbatch then writes the summary.",
               "set -euo pipefail",
               "exec \(shellQuote(paths.executable)) suite \(shellQuote(paths.suiteFile)) --out \(shellQuote(out))"
                   + " --shard \"${SLURM_ARRAY_TASK_ID:?submit this script with sbatch (it is a job array)}/\(n)\""
                   + " --jobs \(options.cpusPerTask)\(checkpoint)\(sets)"]).joined(separator: "\n") + "\n"

        let merge = (["#!/bin/bash"]
            + directives(jobName: name + "-merge", array: false, output: "\(logs)/merge.out", cpus: 1)
            + ["#",
               "# Generated by `mobench slurm` (mobench \(suiteVersion)) for suite '\(plan.suite.name)' (digest \(plan.suite.digest)):",
               "# merges the shards' results into summary.json, summary.md and figures/ in the output folder. submit.sh",
               "# submits it with --dependency=afterok on the array, so it runs once every shard succeeded.",
               "set -euo pipefail",
               "exec \(shellQuote(paths.executable)) merge \(shellQuote(out)) --suite \(shellQuote(paths.suiteFile))\(sets)"])
            .joined(separator: "\n") + "\n"

        let submit = """
            #!/bin/sh
            # Generated by `mobench slurm`: submits the shard array, then the merge job that runs once every task succeeded.
            #   submit.sh          every shard (array tasks 0-\(n - 1))
            #   submit.sh 1,2      only these array tasks (after a failure or pre-emption; finished runs are skipped),
            #                      then a new merge job
            set -eu
            dir=\(shellQuote(directory))
            if [ "$#" -gt 0 ]; then
                array=$(sbatch --parsable --array="$1" "$dir/array.sbatch")
            else
                array=$(sbatch --parsable "$dir/array.sbatch")
            fi
            array=${array%%;*}
            merge=$(sbatch --parsable --dependency=afterok:"$array" "$dir/merge.sbatch")
            echo "array job: $array"
            echo "merge job: ${merge%%;*}"

            """

        let marker = Marker(suite: plan.suite.name, suiteDigest: plan.suite.digest, suiteFile: paths.suiteFile,
                            overrides: plan.suite.overrides, shards: n, runs: plan.runs.count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let markerText = String(decoding: try encoder.encode(marker), as: UTF8.self) + "\n"
        return SlurmJobFiles(directory: directory, arrayScript: array, mergeScript: merge, submitScript: submit,
                             marker: markerText)
    }

    struct Marker: Codable {
        var schema = "mobench-slurm-1"
        var suite: String
        var suiteDigest: String
        var suiteFile: String
        var overrides: [String]
        var shards: Int
        var runs: Int
        enum CodingKeys: String, CodingKey {
            case schema, suite, overrides, shards, runs
            case suiteDigest = "suite_digest", suiteFile = "suite_file"
        }
    }

    /// Writes the scripts (executable) and the marker, and creates the logs folder (Slurm does not create it).
    public static func write(_ files: SlurmJobFiles) throws {
        do { try FileManager.default.createDirectory(atPath: files.logsDirectory, withIntermediateDirectories: true) } catch {
            throw SlurmError.cannotWrite(files.logsDirectory)
        }
        for (text, path, mode) in [(files.arrayScript, files.arrayPath, 0o755), (files.mergeScript, files.mergePath, 0o755),
                                   (files.submitScript, files.submitPath, 0o755), (files.marker, files.markerPath, 0o644)] {
            do { try writeAtomically(Data(text.utf8), to: path) } catch { throw SlurmError.cannotWrite(path) }
            guard chmod(path, mode_t(mode)) == 0 else { throw SlurmError.cannotWrite(path) }
        }
    }

    /// Submits the array, then the merge job with `--dependency=afterok:<array job>`. Returns both job ids.
    /// `sbatch` is the path of the sbatch binary (see ``findOnPath(_:environment:)``).
    public static func submit(_ files: SlurmJobFiles, sbatch: String) throws -> (arrayJob: String, mergeJob: String) {
        let arrayJob = try runSbatch(sbatch, ["--parsable", files.arrayPath], script: files.arrayPath)
        let mergeJob = try runSbatch(sbatch, ["--parsable", "--dependency=afterok:\(arrayJob)", files.mergePath],
                                     script: files.mergePath)
        return (arrayJob, mergeJob)
    }

    static func runSbatch(_ sbatch: String, _ arguments: [String], script: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sbatch)
        process.arguments = arguments
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        do { try process.run() } catch {
            throw SlurmError.sbatchFailed(script: script, status: -1, message: "cannot start \(sbatch)")
        }
        // Read both pipes before waiting, so a chatty sbatch cannot fill a pipe and block.
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors, as: UTF8.self).split(separator: "\n").first.map(String.init)
                ?? text.split(separator: "\n").first.map(String.init) ?? "no message"
            throw SlurmError.sbatchFailed(script: script, status: process.terminationStatus, message: message)
        }
        return try parseJobID(text, script: script)
    }

    /// The job id in `sbatch --parsable` output: `<id>` or `<id>;<cluster>`, then a newline.
    public static func parseJobID(_ output: String, script: String) throws -> String {
        let line = output.trimmingCharacters(in: .whitespacesAndNewlines)
        let id = line.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard !id.isEmpty, id.count <= 20, id.allSatisfy(\.isASCIIDigit), !line.contains("\n") else {
            throw SlurmError.unexpectedJobID(script: script, output: line)
        }
        return id
    }

    /// The absolute path of `name` in the PATH of `environment`, or nil.
    public static func findOnPath(_ name: String,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        for folder in (environment["PATH"] ?? "").split(separator: ":") where folder.hasPrefix("/") {
            let candidate = (String(folder) as NSString).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// `text` as one shell word: single-quoted, with embedded single quotes as `'\''`.
    public static func shellQuote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
