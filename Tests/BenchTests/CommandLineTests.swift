import Foundation
import Testing
import Bench

/// Runs the built `mobench` (next to the test bundle) and returns (status, stdout, stderr).
func mobench(_ arguments: [String], in directory: String = repositoryRoot) throws -> (Int32, String, String) {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mobench")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: binary.path])
    }
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

struct CommandLineTests {
    @Test("Invalid settings: one line on stderr naming the problem, exit status 2")
    func invalidSettingsExit2() throws {
        let cases: [([String], String)] = [
            (["run", "--stream", "shuffled"], "--stream: unknown value 'shuffled'"),
            (["run", "--tasks", "ten"], "ten"),
            (["run", "--alpha0", "-1"], "--alpha0"),
            (["run", "--no-such-flag"], "no-such-flag"),
            (["run", "--stream", "class-incremental", "--classes-per-task", "3"], "does not divide"),
            (["run", "--granularity", "blocks:1,1"], "block"),
            (["run", "--meta", "idbd"], "--meta idbd needs --model linear"),
            (["run", "--checkpoint-every", "10"], "--checkpoint-every needs --out"),
            (["run", "--diagnostics", "steps"], "--diagnostics: unknown value 'steps' (expected off, task, bin)"),
            (["run", "--plasticity", "yes"], "--plasticity: unknown value 'yes' (expected on, off)"),
            (["run", "--optimizer", "adam2"], "--optimizer: unknown value 'adam2'"),
            (["run", "--optimizer", "prodigy", "--d0", "0"], "--d0 must be positive"),
            (["run", "--optimizer", "prodigy", "--growth-rate", "0.5"], "field 'growth_rate'"),
            (["run", "--optimizer", "mechanic", "--base", "lion"], "Mechanic wraps"),
            (["run", "--optimizer", "mechanic", "--mechanic-betas", "0.9,x"], "--mechanic-betas"),
        ]
        for (arguments, needle) in cases {
            let (status, _, stderr) = try mobench(arguments)
            #expect(status == 2, "\(arguments): status \(status), stderr \(stderr)")
            #expect(stderr.contains(needle), "\(arguments): \(stderr)")
            #expect(stderr.split(separator: "\n").count == 1, "\(arguments): \(stderr)")
        }
    }

    @Test("--optimizer with competitor flags: the resolved configuration carries the package's lr, the flags and the package defaults")
    func competitorFlags() throws {
        let (status, stdout, stderr) = try mobench(["run", "--optimizer", "prodigy", "--d-coef", "2", "--growth-rate", "1.5",
                                                    "--data", "fashion-mnist", "--print-config"])
        #expect(status == 0, "\(stderr)")
        let c = try RunConfiguration.decode(json: Data(stdout.utf8), source: "stdout")
        #expect(c.optimizer == "prodigy" && c.alpha0 == 1)
        #expect(c["d_coef"] == .number(2) && c["growth_rate"] == .number(1.5) && c["d0"] == .number(1e-6)
                && c["slice_p"] == .integer(1))
        let (status2, stdout2, _) = try mobench(["run", "--optimizer", "schedule-free-adamw", "--alpha0", "0.01",
                                                 "--data", "fashion-mnist", "--print-config"])
        #expect(status2 == 0)
        let c2 = try RunConfiguration.decode(json: Data(stdout2.utf8), source: "stdout")
        #expect(c2.alpha0 == 0.01 && c2["warmup_steps"] == .integer(0) && c2["beta1"] == .number(0.9))
    }

    @Test("Data errors exit with status 1 and name the path")
    func dataErrorsExit1() throws {
        let (status, _, stderr) = try mobench(["run", "--data", "/nonexistent/mnist"])
        #expect(status == 1)
        #expect(stderr.contains("/nonexistent/mnist") && stderr.split(separator: "\n").count == 1)
    }

    @Test("data inspect --json on the shipped Fashion-MNIST test split, from a subfolder of the repo")
    func inspectJSON() throws {
        let (status, stdout, _) = try mobench(["data", "inspect", "fashion-mnist", "--split", "test", "--json"],
                                              in: repositoryRoot + "/Sources")
        #expect(status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
        #expect(object["count"] as? Int == 10000 && object["format"] as? String == "idx")
        #expect((object["class_counts"] as? [Int]) == Array(repeating: 1000, count: 10))
    }

    @Test("data inspect mnist --json: the official MNIST counts and per-class counts")
    func inspectMNISTJSON() throws {
        let (status, stdout, stderr) = try mobench(["data", "inspect", "mnist", "--json"], in: repositoryRoot + "/Sources")
        #expect(status == 0, "\(stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
        #expect(object["count"] as? Int == 60000 && object["split"] as? String == "train")
        #expect((object["class_counts"] as? [Int]) == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        let (testStatus, testOut, _) = try mobench(["data", "inspect", "mnist", "--split", "test", "--json"])
        #expect(testStatus == 0)
        let test = try #require(try JSONSerialization.jsonObject(with: Data(testOut.utf8)) as? [String: Any])
        #expect(test["count"] as? Int == 10000)
        #expect((test["class_counts"] as? [Int]) == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        #expect(test["pixels_crc32"] as? String == "e4ca5f57" && test["labels_crc32"] as? String == "ee8604d9")
    }

    @Test("stream show --csv prints step, task, sample_index, label, original_label")
    func streamShow() throws {
        let (status, stdout, _) = try mobench(["stream", "show", "--stream", "label-permuted", "--task-length", "2",
                                               "--steps", "4", "--start", "1", "--csv"])
        #expect(status == 0)
        let lines = stdout.split(separator: "\n")
        #expect(lines.first == "step,task,sample_index,label,original_label")
        #expect(lines.dropFirst().map { Int($0.split(separator: ",")[1])! } == [0, 1, 1, 2])
    }

    @Test("run --print-config prints the resolved configuration, which --config reads back unchanged")
    func printConfigRoundTrip() throws {
        let (status, stdout, _) = try mobench(["run", "--base", "lion", "--tasks", "3", "--print-config"])
        #expect(status == 0 && stdout.contains("\"momentum\" : 0.99"))
        let file = NSTemporaryDirectory() + "mobench-config-\(ProcessInfo.processInfo.processIdentifier).json"
        try stdout.write(toFile: file, atomically: true, encoding: .utf8)
        let (again, stdout2, _) = try mobench(["run", "--config", file, "--print-config"])
        #expect(again == 0 && stdout2 == stdout)
    }
}
