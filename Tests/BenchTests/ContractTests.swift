import Datasets
import Foundation
import Testing
@testable import Bench

/// The contracts scripts rely on: exit statuses, one-line stderr, checkpoint integrity, the --out lock, file errors.
struct ContractTests {
    /// A tiny real-data suite (fashion-mnist, 2 tasks × 60 steps, 2 seeds) run once through the CLI.
    static let suiteDirectory: String = {
        let dir = temporaryDirectory("contract-suite")
        let suite = dir + "/tiny.json"
        try! tinySuiteText.write(toFile: suite, atomically: true, encoding: .utf8)
        // A failure here shows up as missing files in every test that uses the folder.
        if let (status, _, stderr) = try? mobench(["suite", suite, "--out", dir + "/out", "--jobs", "2", "--quiet"]),
           status != 0 {
            print("tiny suite failed: \(stderr)")
        }
        return dir + "/out"
    }()

    /// Writes a copy of the tiny suite's summary.json after `edit` on its JSON object.
    func editedSummary(_ name: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        let data = try #require(FileManager.default.contents(atPath: Self.suiteDirectory + "/summary.json"))
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        edit(&object)
        let path = temporaryDirectory(name) + "/summary.json"
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    func editConfiguration(_ object: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var configurations = object["configurations"] as! [[String: Any]]
        edit(&configurations[0])
        object["configurations"] = configurations
    }

    @Test("compare: 0 when nothing regressed, 1 on a regression, 2 when not comparable; verdict first, nothing on stderr")
    func compareExitStatuses() throws {
        let baseline = Self.suiteDirectory + "/summary.json"
        let (same, sameOut, sameErr) = try mobench(["compare", baseline, baseline])
        #expect(same == 0, "\(sameOut)\(sameErr)")
        #expect(sameOut.hasPrefix("OK: nothing regressed") && sameErr.isEmpty, "\(sameOut)|\(sameErr)")

        let worse = try editedSummary("worse") { object in
            editConfiguration(&object) { c in
                var loss = c["online_loss"] as! [String: Any]
                loss["mean"] = (loss["mean"] as! Double) * 1.5
                c["online_loss"] = loss
            }
        }
        let markdown = temporaryDirectory("md") + "/comparison.md"
        let (regressed, regressedOut, regressedErr) = try mobench(["compare", baseline, worse, "--markdown", markdown])
        #expect(regressed == 1, "\(regressedOut)\(regressedErr)")
        #expect(regressedErr.isEmpty, "stderr: \(regressedErr)")
        let lines = regressedOut.split(separator: "\n")
        #expect(lines.first?.hasPrefix("REGRESSION: 1 of ") == true, "\(regressedOut)")
        #expect(regressedOut.contains("Regressions") && regressedOut.contains("online loss"))
        #expect(!regressedOut.contains("All checks"), "the full table goes to --markdown only")
        #expect(lines.last == "full report (all \(regressedOut.split(separator: " ")[3]) checks): \(markdown)", "\(regressedOut)")
        let written = read(markdown)
        #expect(written.hasPrefix("**REGRESSION") && written.contains("### All checks"))

        let otherStream = try editedSummary("fingerprint") { object in
            editConfiguration(&object) { c in
                var prints = c["stream_fingerprints"] as! [[String: Any]]
                prints[0]["fingerprint"] = "0000000000000000"
                c["stream_fingerprints"] = prints
            }
        }
        let (incomparable, incomparableOut, incomparableErr) = try mobench(["compare", baseline, otherStream])
        #expect(incomparable == 2, "\(incomparableOut)\(incomparableErr)")
        #expect(incomparableOut.hasPrefix("INCOMPARABLE:") && incomparableOut.contains("different stream fingerprints"))
        #expect(incomparableErr.isEmpty, "stderr: \(incomparableErr)")

        let (missing, _, missingErr) = try mobench(["compare", baseline, "/nonexistent/summary.json"])
        #expect(missing == 2 && missingErr.split(separator: "\n").count == 1 && missingErr.contains("/nonexistent/summary.json"))
    }

    @Test("No command prints an internal type name on stderr (ExitCode, Error Domain, NSCocoaErrorDomain, Optional)")
    func noTypeNamesOnStderr() throws {
        let baseline = Self.suiteDirectory + "/summary.json"
        let other = try editedSummary("typename") { object in object["suite"] = "other" }
        let cases: [[String]] = [
            ["compare", baseline, other], ["compare", baseline, "/nonexistent.json"], ["plot", "/nonexistent"],
            ["run", "--data", "/nonexistent"], ["run", "--init", "/nonexistent.safetensors", "--tasks", "1"],
            ["stream", "show", "--steps", "-5"], ["data", "inspect", "/nonexistent"], ["suite", "/nonexistent.json", "--out", "/tmp/x"],
            ["merge", "/nonexistent", "--suite", "/nonexistent.json"], ["run", "--tasks"],
        ]
        for arguments in cases {
            let (status, _, stderr) = try mobench(arguments)
            #expect(status != 0, "\(arguments)")
            for needle in ["ExitCode", "Error Domain", "NSCocoaErrorDomain", "Optional(", "rawValue", "Error("] {
                #expect(!stderr.contains(needle), "\(arguments): \(stderr)")
            }
            // compare reports "not comparable" on stdout (status 2); every other failure is one stderr line.
            #expect(stderr.split(separator: "\n").count == (status == 2 && arguments[0] == "compare" && arguments[2] == other ? 0 : 1),
                    "\(arguments): \(stderr)")
        }
    }

    @Test("A negative number after an option is its value, refused with the option's range message (status 2)")
    func negativeNumbersAreValues() throws {
        let cases: [([String], String)] = [
            (["stream", "show", "--steps", "-5"], "--steps and --start must be non-negative"),
            (["stream", "show", "--start", "-1"], "--steps and --start must be non-negative"),
            (["run", "--alpha0", "-0.5", "--print-config"], "--alpha0 must be positive, got -0.5"),
            (["compare", "--k", "-1", "a.json", "b.json"], "--k must be positive"),
            (["suite", "Benchmarks/suites/default.json", "--out", "/tmp/x", "--jobs", "-2"], "--jobs must be at least 1"),
        ]
        for (arguments, needle) in cases {
            let (status, _, stderr) = try mobench(arguments)
            #expect(status == 2, "\(arguments): \(status) \(stderr)")
            #expect(stderr == "error: \(needle)\n" || stderr.hasPrefix("error: \(needle)"), "\(arguments): \(stderr)")
            #expect(!stderr.contains("Missing value"), "\(arguments): \(stderr)")
        }
    }

    @Test("A second suite on the same --out refuses with one line while the first holds the lock; shards share it")
    func concurrentSuiteRefused() throws {
        let dir = temporaryDirectory("lock")
        let suite = dir + "/tiny.json"
        try tinySuiteText.write(toFile: suite, atomically: true, encoding: .utf8)
        do {
            let held = try OutputLock(directory: dir + "/out", mode: .exclusive)
            let (status, stdout, stderr) = try mobench(["suite", suite, "--out", dir + "/out", "--jobs", "1"])
            #expect(status == 1, "\(stdout)\(stderr)")
            #expect(stderr == "error: \(dir)/out: another mobench suite (pid \(getpid())) is writing into this folder; wait for it to finish or use another --out\n",
                    "\(stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/out/runs"), "the refused suite ran nothing")
            let (shard, _, shardErr) = try mobench(["suite", suite, "--out", dir + "/out", "--shard", "0/2"])
            #expect(shard == 1 && shardErr.contains("another mobench suite"), "\(shardErr)")
            withExtendedLifetime(held) {}
        }
        // Shards take the lock shared: two at once are fine, a whole suite is not.
        do {
            let a = try OutputLock(directory: dir + "/shared", mode: .shared)
            let b = try OutputLock(directory: dir + "/shared", mode: .shared)
            #expect(throws: OutputError.self) { _ = try OutputLock(directory: dir + "/shared", mode: .exclusive) }
            withExtendedLifetime((a, b)) {}
        }
        // Released with its holder: the lock is free again.
        _ = try OutputLock(directory: dir + "/shared", mode: .exclusive)
    }

    @Test("A run whose folder another process holds is not run twice: it is reported as taken, the others run")
    func runHeldElsewhereIsLeftAlone() throws {
        let p = try SuitePlan(SuiteFile.parse(tinySuiteText, source: "tiny.json"))
        let dir = temporaryDirectory("runlock")
        let runs = Array(p.runs.prefix(2))
        let held = try OutputLock(directory: dir + "/" + runs[0].directory, mode: .exclusive, what: "run")
        let outcomes = try SuiteRunner.execute(runs, outDirectory: dir, jobs: 1, cache: DatasetCache(workingDirectory: repositoryRoot))
        guard case .failed(let message) = outcomes[0] else { Issue.record("held run: \(outcomes[0])"); return }
        #expect(message.contains("another mobench process (pid \(getpid())) is running this run"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/" + runs[0].directory + "/result.json"))
        if case .completed = outcomes[1] {} else { Issue.record("free run: \(outcomes[1])") }
        withExtendedLifetime(held) {}
    }

    /// Flips the sign bit of every float of the first `model.` tensor in a safetensors file, in place.
    func flipSignBits(_ path: String) throws -> String {
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any])
        let name = try #require(header.keys.filter { $0.hasPrefix("model.") }.sorted().first)
        let offsets = try #require((header[name] as? [String: Any])?["data_offsets"] as? [Int])
        for i in stride(from: offsets[0] + 3, to: offsets[1], by: 4) { bytes[8 + headerLength + i] ^= 0x80 }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return name
    }

    @Test("A checkpoint whose weights were tampered with (sign bits flipped) is refused on --resume; no result is written")
    func tamperedCheckpointRefused() throws {
        let config = smallConfiguration { $0.base = "adamw"; $0.meta = "adam" }
        let dir = temporaryDirectory()
        let options = RunOptions(outDirectory: dir, checkpointEvery: 10)
        var calls = 0
        _ = try makeRun(config, options: options).run(options: options, shouldStop: { calls += 1; return calls > 35 })
        let checkpoint = dir + "/checkpoint.safetensors"
        #expect(FileManager.default.fileExists(atPath: checkpoint))
        let tensor = try flipSignBits(checkpoint)
        var resume = options
        resume.resume = true
        do {
            _ = try makeRun(config, options: resume).run(options: resume)
            Issue.record("a tampered checkpoint was resumed")
        } catch let error as OutputError {
            let text = error.description
            #expect(text.hasPrefix("\(checkpoint): corrupt checkpoint (tensor \(tensor): CRC-32 "), "\(text)")
            #expect(!text.contains("\n"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/result.json"))

        // Metadata tampering (a different step count) is refused too; an intact checkpoint resumes.
        let fresh = temporaryDirectory()
        let freshOptions = RunOptions(outDirectory: fresh, checkpointEvery: 10)
        calls = 0
        _ = try makeRun(config, options: freshOptions).run(options: freshOptions, shouldStop: { calls += 1; return calls > 35 })
        let path = fresh + "/checkpoint.safetensors"
        let original = try #require(FileManager.default.contents(atPath: path))
        var text = [UInt8](original)
        let needle = Array("\"step\":\"".utf8)
        let at = try #require((0...(text.count - needle.count)).first { Array(text[$0..<($0 + needle.count)]) == needle })
        text[at + needle.count] = text[at + needle.count] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
        try Data(text).write(to: URL(fileURLWithPath: path))
        var freshResume = freshOptions
        freshResume.resume = true
        #expect(throws: OutputError.self) { _ = try makeRun(config, options: freshResume).run(options: freshResume) }
        try original.write(to: URL(fileURLWithPath: path))
        #expect(try makeRun(config, options: freshResume).run(options: freshResume) != nil)
    }

    @Test("mobench run --resume on a tampered checkpoint: exit 1, one line on stderr naming the file, no result.json")
    func tamperedCheckpointCLI() throws {
        var config = RunConfiguration()
        config.tasks = 1
        config.taskLength = 60
        config.model = "mlp:8"
        config.testSamples = 10
        let validated = try ValidatedConfiguration(config)
        let cache = DatasetCache(workingDirectory: repositoryRoot)
        let train = try cache.dataset("fashion-mnist", split: .train, labelKind: .fine)
        let test = try cache.dataset("fashion-mnist", split: .test, labelKind: .fine)
        let dir = temporaryDirectory()
        let options = RunOptions(outDirectory: dir, checkpointEvery: 20)
        var calls = 0
        let session = try Run(validated, train: train, test: test, options: options)
        _ = try session.run(options: options, shouldStop: { calls += 1; return calls > 45 })
        try session.configuration.json().write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        _ = try flipSignBits(dir + "/checkpoint.safetensors")
        let (status, _, stderr) = try mobench(["run", "--config", dir + "/config.json", "--out", dir, "--resume",
                                               "--progress", "none"])
        #expect(status == 1, "\(stderr)")
        #expect(stderr.hasPrefix("error: \(dir)/checkpoint.safetensors: corrupt checkpoint") && stderr.split(separator: "\n").count == 1,
                "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/result.json"))
    }

    @Test("Disk full while writing the trace: one line naming the file and 'No space left on device', exit 1, no result")
    func diskFull() throws {
        let mountPoint = temporaryDirectory("tmpfs")
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint]
        mount.standardError = FileHandle.nullDevice
        try? mount.run()
        mount.waitUntilExit()
        guard mount.terminationReason == .exit, mount.terminationStatus == 0 else {
            // Needs root (a 64 KiB tmpfs). CI runs as root, so there it must work.
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "could not mount a tmpfs at \(mountPoint) in CI")
            print("skipped: cannot mount a tmpfs here (needs root); the disk-full contract is checked in CI")
            return
        }
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [mountPoint]
            try? umount.run()
            umount.waitUntilExit()
        }
        let out = mountPoint + "/run"
        let (status, _, stderr) = try mobench(["run", "--tasks", "2", "--task-length", "2000", "--model", "linear",
                                               "--test-samples", "10", "--out", out, "--trace", out + "/trace.csv",
                                               "--progress", "none"])
        #expect(status == 1)
        #expect(stderr == "error: \(out)/trace.csv.partial: cannot write: No space left on device\n", "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/result.json"))

        // A summary that does not fit: the same one line, naming summary.json.
        let big = String(repeating: "x", count: 100_000)
        #expect(throws: OutputError.writeFailed(path: mountPoint + "/big.json", reason: "No space left on device")) {
            try writeAtomically(Data(big.utf8), to: mountPoint + "/big.json")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: mountPoint).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test("Foundation errors are described in one line as 'PATH: reason', without the NSError dump")
    func foundationErrorsOneLine() throws {
        do {
            _ = try Data(contentsOf: URL(fileURLWithPath: "/nonexistent/file.bin"))
        } catch {
            let text = oneLineDescription(error)
            #expect(text == "/nonexistent/file.bin: No such file or directory", "\(text)")
        }
        let posix = NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileWriteOutOfSpace.rawValue,
                            userInfo: [NSFilePathErrorKey: "/x/trace.csv",
                                       NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))])
        #expect(oneLineDescription(posix) == "/x/trace.csv: No space left on device")
    }

    @Test("mobench suite writes summary.html and runs.json; mobench report DIR rewrites the same page; a folder without runs.json is refused")
    func htmlReport() throws {
        let dir = Self.suiteDirectory
        let page = read(dir + "/summary.html")
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("<h2 id=\"verdict\"") && page.contains("Suite <code>tiny</code>"))
        let figures = try FileManager.default.contentsOfDirectory(atPath: dir + "/figures").filter { $0.hasSuffix(".svg") }
        #expect(figures.count >= 5)
        #expect(page.components(separatedBy: "<svg ").count - 1 == figures.count, "every figure inline")
        #expect(page.contains("mobench run --config"), "reproduce commands")
        let copy = temporaryDirectory("report")
        for name in ["summary.json", "runs.json", "figures", "runs"] {
            try FileManager.default.copyItem(atPath: dir + "/" + name, toPath: copy + "/" + name)
        }
        let (status, stdout, stderr) = try mobench(["report", copy])
        #expect(status == 0 && stdout == copy + "/summary.html\n", "\(stderr)")
        #expect(read(copy + "/summary.html") == page)
        try FileManager.default.removeItem(atPath: copy + "/runs.json")
        let (refused, _, refusedErr) = try mobench(["report", copy])
        #expect(refused == 2 && refusedErr.hasPrefix("error: \(copy)/runs.json: missing") && refusedErr.split(separator: "\n").count == 1)
    }

    @Test("TensorBoard's own reader (EventAccumulator, pip tensorboard in a venv) reads the exported scalars with the exact values of curve.csv and result.json")
    func tensorBoardReadBack() throws {
        let script = repositoryRoot + "/Tests/tensorboard/run.sh"
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mobench").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, binary, Self.suiteDirectory]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(stdout)\(stderr)")
        if stdout.hasPrefix("skipped:") {
            print(stdout)
            return
        }
        // 8 runs × (5 curve tags incl. one step-size column or two + task test accuracy): all passed, none failed.
        let last = stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasSuffix(" passed, 0 failed") && !last.hasPrefix("0 passed"), "\(stdout)")
    }
}
