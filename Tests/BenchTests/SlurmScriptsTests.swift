import Foundation
import Testing
@testable import Bench

@Suite struct SlurmScriptsTests {
    let fm = FileManager.default

    /// The fixture suite planned from text (no data is read), with `overrides`.
    func plan(overrides: [String] = [], in folder: String) throws -> (SuitePlan, String) {
        let path = folder + "/tiny.json"
        try Data(MergeFixture.suiteText().utf8).write(to: URL(fileURLWithPath: path))
        return (try SuiteLoading.plan(path, overrides: overrides), path)
    }

    func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    /// Runs `executable arguments` with `environment` added; returns status, stdout, stderr.
    func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// An executable shell script at `path`.
    func script(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, 0o755) == 0)
    }

    @Test func arrayScriptHasTheRequestedDirectivesBeforeAnyCommand() throws {
        let root = try MergeTemporary.folder("slurm-directives")
        defer { try? fm.removeItem(atPath: root) }
        let (plan, suite) = try plan(in: root)
        let options = SlurmOptions(shards: 3, partition: "debug", time: "1-02:30:00", cpusPerTask: 2, memory: "4G",
                                   account: "proj_1")
        let files = try SlurmScripts.generate(plan, paths: .init(executable: "/opt/mobench/bin/mobench", suiteFile: suite,
                                                                 outDirectory: root + "/out", workingDirectory: "/work/dir"),
                                              options: options)
        let array = lines(files.arrayScript)
        #expect(array.first == "#!/bin/bash")
        for directive in ["#SBATCH --job-name=mobench-tiny", "#SBATCH --array=0-2", "#SBATCH --ntasks=1",
                          "#SBATCH --cpus-per-task=2", "#SBATCH --output=\(root)/out/slurm/logs/shard-%a.out",
                          "#SBATCH --chdir=/work/dir", "#SBATCH --partition=debug", "#SBATCH --time=1-02:30:00",
                          "#SBATCH --mem=4G", "#SBATCH --account=proj_1"] {
            #expect(array.filter { $0 == directive }.count == 1, "\(directive)")
        }
        #expect(array.filter { $0.hasPrefix("#SBATCH") }.count == 10)
        // sbatch reads #SBATCH lines only up to the first command.
        let lastDirective = try #require(array.lastIndex { $0.hasPrefix("#SBATCH") })
        let firstCommand = try #require(array.firstIndex { !$0.hasPrefix("#") && !$0.isEmpty })
        #expect(lastDirective < firstCommand)
        #expect(array.last(where: { !$0.isEmpty }) == "exec '/opt/mobench/bin/mobench' suite '\(suite)' --out '\(root)/out' "
                + "--shard \"${SLURM_ARRAY_TASK_ID:?submit this script with sbatch (it is a job array)}/3\" --jobs 2")

        let merge = lines(files.mergeScript)
        for directive in ["#SBATCH --job-name=mobench-tiny-merge", "#SBATCH --cpus-per-task=1",
                          "#SBATCH --output=\(root)/out/slurm/logs/merge.out", "#SBATCH --chdir=/work/dir",
                          "#SBATCH --partition=debug", "#SBATCH --time=1-02:30:00", "#SBATCH --mem=4G",
                          "#SBATCH --account=proj_1"] {
            #expect(merge.filter { $0 == directive }.count == 1, "\(directive)")
        }
        #expect(!merge.contains { $0.hasPrefix("#SBATCH --array") })
        #expect(merge.last(where: { !$0.isEmpty }) == "exec '/opt/mobench/bin/mobench' merge '\(root)/out' --suite '\(suite)'")
        #expect(files.directory == root + "/out/slurm")
    }

    @Test func optionalDirectivesAreLeftOutWhenNotGiven() throws {
        let root = try MergeTemporary.folder("slurm-minimal")
        defer { try? fm.removeItem(atPath: root) }
        let (plan, suite) = try plan(in: root)
        let files = try SlurmScripts.generate(plan, paths: .init(executable: "/bin/mobench", suiteFile: suite,
                                                                 outDirectory: root, workingDirectory: root),
                                              options: SlurmOptions(shards: 6))
        let directives = lines(files.arrayScript).filter { $0.hasPrefix("#SBATCH") }
        #expect(directives == ["#SBATCH --job-name=mobench-tiny", "#SBATCH --array=0-5", "#SBATCH --ntasks=1",
                               "#SBATCH --cpus-per-task=1", "#SBATCH --output=\(root)/slurm/logs/shard-%a.out",
                               "#SBATCH --chdir=\(root)"])
    }

    @Test func eachArrayTaskRunsItsShardWithAbsolutePathsAndTheOverrides() throws {
        let root = try MergeTemporary.folder("slurm-argv")
        defer { try? fm.removeItem(atPath: root) }
        // An override whose value needs shell quoting (spaces, a single quote, $).
        let overrides = ["model=mlp:16", "data=/data sets/it's $HOME"]
        let (plan, suite) = try plan(overrides: overrides, in: root)
        // A stand-in for mobench that records its arguments, one per line.
        let fake = root + "/fake-mobench"
        try script(fake, "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$ARGS_FILE\"\n")
        let out = root + "/out"
        let files = try SlurmScripts.generate(plan, paths: .init(executable: fake, suiteFile: suite, outDirectory: out,
                                                                 workingDirectory: root),
                                              options: SlurmOptions(shards: 3, cpusPerTask: 2, checkpointEvery: 500))
        try SlurmScripts.write(files)
        for path in [files.arrayPath, files.mergePath, files.submitPath] { #expect(fm.isExecutableFile(atPath: path)) }
        var isDirectory: ObjCBool = false
        #expect(fm.fileExists(atPath: out + "/slurm/logs", isDirectory: &isDirectory) && isDirectory.boolValue)

        let argsFile = root + "/args.txt"
        let task = try run("/bin/bash", [files.arrayPath], environment: ["SLURM_ARRAY_TASK_ID": "2", "ARGS_FILE": argsFile])
        #expect(task.status == 0)
        let taskArgs = String(decoding: try #require(fm.contents(atPath: argsFile)), as: UTF8.self)
        #expect(taskArgs == (["suite", suite, "--out", out, "--shard", "2/3", "--jobs", "2", "--checkpoint-every", "500",
                              "--set", "model=mlp:16", "--set", "data=/data sets/it's $HOME"].joined(separator: "\n") + "\n"))

        let merge = try run("/bin/bash", [files.mergePath], environment: ["ARGS_FILE": argsFile])
        #expect(merge.status == 0)
        #expect(String(decoding: try #require(fm.contents(atPath: argsFile)), as: UTF8.self)
                == (["merge", out, "--suite", suite, "--set", "model=mlp:16", "--set", "data=/data sets/it's $HOME"]
                    .joined(separator: "\n") + "\n"))

        // Outside a job array the task refuses to run instead of running an undefined shard.
        try? fm.removeItem(atPath: argsFile)
        var environment = ProcessInfo.processInfo.environment
        environment["SLURM_ARRAY_TASK_ID"] = nil
        environment["ARGS_FILE"] = argsFile
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [files.arrayPath]
        process.environment = environment
        process.standardError = Pipe()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(!fm.fileExists(atPath: argsFile))
    }

    /// A fake sbatch that logs its arguments and prints job ids 41, then `42;cluster`.
    func fakeSbatch(in folder: String) throws -> String {
        let path = folder + "/sbatch"
        try script(path, """
            #!/bin/sh
            echo "$*" >> "\(folder)/sbatch.log"
            n=$(wc -l < "\(folder)/sbatch.log")
            if [ "$n" -eq 1 ]; then echo 41; else echo "42;cluster"; fi

            """)
        return path
    }

    @Test func submitQueuesTheMergeJobAfterTheWholeArray() throws {
        let root = try MergeTemporary.folder("slurm-submit")
        defer { try? fm.removeItem(atPath: root) }
        let (plan, suite) = try plan(in: root)
        let files = try SlurmScripts.generate(plan, paths: .init(executable: "/bin/mobench", suiteFile: suite,
                                                                 outDirectory: root + "/out", workingDirectory: root),
                                              options: SlurmOptions(shards: 3))
        try SlurmScripts.write(files)
        let bin = root + "/bin"
        try fm.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let sbatch = try fakeSbatch(in: bin)

        let ids = try SlurmScripts.submit(files, sbatch: sbatch)
        #expect(ids.arrayJob == "41" && ids.mergeJob == "42")
        #expect(String(decoding: try #require(fm.contents(atPath: bin + "/sbatch.log")), as: UTF8.self)
                == "--parsable \(files.arrayPath)\n--parsable --dependency=afterok:41 \(files.mergePath)\n")

        // submit.sh does the same with sbatch from PATH; with an argument it resubmits only those array tasks.
        try fm.removeItem(atPath: bin + "/sbatch.log")
        let resubmit = try run("/bin/sh", [files.submitPath, "1,2"], environment: ["PATH": bin + ":/usr/bin:/bin"])
        #expect(resubmit.status == 0)
        #expect(resubmit.out == "array job: 41\nmerge job: 42\n")
        #expect(String(decoding: try #require(fm.contents(atPath: bin + "/sbatch.log")), as: UTF8.self)
                == "--parsable --array=1,2 \(files.arrayPath)\n--parsable --dependency=afterok:41 \(files.mergePath)\n")
    }

    @Test func aFailingSbatchIsReportedWithItsMessage() throws {
        let root = try MergeTemporary.folder("slurm-sbatch-fails")
        defer { try? fm.removeItem(atPath: root) }
        let (plan, suite) = try plan(in: root)
        let files = try SlurmScripts.generate(plan, paths: .init(executable: "/bin/mobench", suiteFile: suite,
                                                                 outDirectory: root, workingDirectory: root),
                                              options: SlurmOptions(shards: 2, partition: "gpu"))
        let sbatch = root + "/sbatch"
        try script(sbatch, "#!/bin/sh\necho 'sbatch: error: invalid partition specified: gpu' >&2\nexit 1\n")
        #expect(throws: SlurmError.sbatchFailed(script: files.arrayPath, status: 1,
                                                message: "sbatch: error: invalid partition specified: gpu")) {
            try SlurmScripts.submit(files, sbatch: sbatch)
        }
    }

    @Test func jobIdsAreParsedFromParsableOutputOnly() throws {
        #expect(try SlurmScripts.parseJobID("123\n", script: "a") == "123")
        #expect(try SlurmScripts.parseJobID("77;cluster-a\n", script: "a") == "77")
        for bad in ["Submitted batch job 5\n", "", "12 13", "1\n2\n", "x;y"] {
            #expect(throws: SlurmError.unexpectedJobID(script: "a", output: bad.trimmingCharacters(in: .whitespacesAndNewlines))) {
                try SlurmScripts.parseJobID(bad, script: "a")
            }
        }
    }

    @Test func timeLimitsFollowSlurmsClockForms() {
        for good in ["00:10:00", "1:00:00", "48:00:00", "0-00:00:01", "2-23:59:59", "7-12:00:00"] {
            #expect(SlurmOptions.isValidTime(good), "\(good)")
        }
        for bad in ["", "10", "10:00", "1:5", "00:60:00", "00:00:60", "00:0:00", "1-24:00:00", "-01:00:00",
                    "1--01:00:00", "00:00:00", "0-00:00:00", "a:00:00", "01:00:00 ", "１:00:00", "1-100:00:00"] {
            #expect(!SlurmOptions.isValidTime(bad), "\(bad)")
        }
    }

    @Test func invalidFlagsAreRefusedWithOneLineNamingTheFlag() {
        let cases: [(SlurmOptions, SlurmError)] = [
            (SlurmOptions(shards: 0), .invalidOption(flag: "--shards", value: "0", expected: "a positive integer")),
            (SlurmOptions(shards: -2), .invalidOption(flag: "--shards", value: "-2", expected: "a positive integer")),
            (SlurmOptions(shards: 7), .tooManyShards(shards: 7, runs: 6)),
            (SlurmOptions(shards: 2, cpusPerTask: 0),
             .invalidOption(flag: "--cpus-per-task", value: "0", expected: "a positive integer")),
            (SlurmOptions(shards: 2, checkpointEvery: 0),
             .invalidOption(flag: "--checkpoint-every", value: "0", expected: "a positive integer")),
            (SlurmOptions(shards: 2, time: "2h"),
             .invalidOption(flag: "--time", value: "2h", expected: "a positive duration HH:MM:SS or D-HH:MM:SS, e.g. 02:00:00")),
            (SlurmOptions(shards: 2, memory: "0"),
             .invalidOption(flag: "--mem", value: "0", expected: "a positive integer with an optional K, M, G or T suffix, e.g. 4G")),
            (SlurmOptions(shards: 2, memory: "4GB"),
             .invalidOption(flag: "--mem", value: "4GB", expected: "a positive integer with an optional K, M, G or T suffix, e.g. 4G")),
            (SlurmOptions(shards: 2, partition: "debug\n#SBATCH --x"),
             .invalidOption(flag: "--partition", value: "debug\n#SBATCH --x", expected: "a name of letters, digits and _ . + - , only")),
            (SlurmOptions(shards: 2, account: "a b"),
             .invalidOption(flag: "--account", value: "a b", expected: "a name of letters, digits and _ . + - , only")),
        ]
        for (options, error) in cases {
            #expect(throws: error) { try options.validate(runCount: 6) }
        }
        for (_, error) in cases { #expect(!error.description.contains("\n"), "\(error)") }
        // Accepted: a partition list, memory in megabytes and with suffixes.
        for options in [SlurmOptions(shards: 6, partition: "short,long", memory: "512"),
                        SlurmOptions(shards: 1, time: "00:05:00", cpusPerTask: 64, memory: "2t", account: "ml-lab.2025")] {
            #expect(throws: Never.self) { try options.validate(runCount: 6) }
        }
    }

    @Test func relativeOrSbatchUnsafePathsAreRefused() throws {
        let root = try MergeTemporary.folder("slurm-paths")
        defer { try? fm.removeItem(atPath: root) }
        let (plan, suite) = try plan(in: root)
        func generate(_ paths: SlurmScripts.Paths) throws { _ = try SlurmScripts.generate(plan, paths: paths, options: SlurmOptions(shards: 2)) }
        #expect(throws: SlurmError.notAbsolute(what: "mobench binary", path: ".build/debug/mobench")) {
            try generate(.init(executable: ".build/debug/mobench", suiteFile: suite, outDirectory: root, workingDirectory: root))
        }
        #expect(throws: SlurmError.notAbsolute(what: "--out", path: "results")) {
            try generate(.init(executable: "/bin/mobench", suiteFile: suite, outDirectory: "results", workingDirectory: root))
        }
        for bad in ["/scratch/my results", "/scratch/100%", "/scratch/it's"] {
            #expect(throws: SlurmError.unsafePath(what: "--out", path: bad)) {
                try generate(.init(executable: "/bin/mobench", suiteFile: suite, outDirectory: bad, workingDirectory: root))
            }
        }
        // Spaces are fine where the path is only a shell word (quoted).
        #expect(throws: Never.self) {
            try generate(.init(executable: "/opt/my tools/mobench", suiteFile: suite, outDirectory: root, workingDirectory: root))
        }
    }

    @Test func defaultShardCountIsOnePerRunUpTo16() {
        #expect(SlurmOptions.defaultShards(runCount: 6) == 6)
        #expect(SlurmOptions.defaultShards(runCount: 16) == 16)
        #expect(SlurmOptions.defaultShards(runCount: 300) == 16)
    }

    /// What resubmitting a failed or pre-empted array task relies on: the shard re-runs only its runs without a
    /// result, and leaves finished ones untouched.
    @Test func aResubmittedShardRerunsOnlyItsMissingRuns() throws {
        let fixture = try MergeFixture.shared.get()
        let root = try MergeTemporary.folder("slurm-resubmit")
        defer { try? fm.removeItem(atPath: root) }
        let shard = fixture.plan.shard(0, of: 2)
        #expect(shard.count >= 2)
        _ = try SuiteRunner.execute(shard, outDirectory: root, jobs: 1, cache: DatasetCache())
        let before = try shard.map { try #require(fm.contents(atPath: root + "/" + $0.directory + "/result.json")) }
        // The task was pre-empted while its second run was going: that run has no result.json.
        let lost = shard[1]
        try fm.removeItem(atPath: root + "/" + lost.directory + "/result.json")

        let outcomes = try SuiteRunner.execute(shard, outDirectory: root, jobs: 1, cache: DatasetCache())
        for (i, outcome) in outcomes.enumerated() {
            switch outcome {
            case .completed: #expect(i == 1)
            case .skipped: #expect(i != 1)
            default: Issue.record("run \(i): \(outcome)")
            }
        }
        for (i, run) in shard.enumerated() where i != 1 {
            #expect(fm.contents(atPath: root + "/" + run.directory + "/result.json") == before[i])   // not rewritten
        }
        // The re-run gives the same result apart from wall-clock fields.
        var again = try RunResult.decode(try #require(fm.contents(atPath: root + "/" + lost.directory + "/result.json")))
        var original = try RunResult.decode(before[1])
        again.wallSeconds = 0; again.stepsPerSecond = 0; original.wallSeconds = 0; original.stepsPerSecond = 0
        #expect(again == original)
    }
}
