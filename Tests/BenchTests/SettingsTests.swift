import Foundation
import Testing
@testable import Bench

/// Each invalid setting gets its own clear one-line message (the CLI prints it and exits with status 2).
struct SettingsTests {
    func message(_ edit: (inout RunConfiguration) -> Void) -> String? {
        do { _ = try makeRun(smallConfiguration(edit)); return nil } catch let error as SettingError {
            return error.description
        } catch { return "unexpected \(type(of: error)): \(error)" }
    }

    @Test("classes-per-task that does not divide the classes")
    func classesPerTask() {
        let m = message { $0.stream = "class-incremental"; $0.classesPerTask = 3; $0.taskLength = nil }
        #expect(m?.contains("--classes-per-task 3 does not divide the 4 classes") == true, "\(m ?? "nil")")
    }

    @Test("blocks that do not sum to the tensor count")
    func blocks() {
        let m = message { $0.granularity = "blocks:1,2" }
        #expect(m != nil && m!.contains("4") && !m!.contains("\n"), "\(m ?? "nil")")
    }

    @Test("IDBD without the linear model")
    func idbdNeedsLinear() {
        #expect(message { $0.meta = "idbd"; $0.base = "sgd"; $0.granularity = "weightwise" }?.contains("--meta idbd needs --model linear") == true)
    }

    @Test("unknown names of every kind")
    func unknownNames() {
        let cases: [(String, (inout RunConfiguration) -> Void)] = [
            ("base", { $0.base = "adadelta" }), ("meta", { $0.meta = "newton" }), ("stream", { $0.stream = "shuffled" }),
            ("model", { $0.model = "resnet" }), ("granularity", { $0.granularity = "rowwise" }),
            ("schedule", { $0.schedule = "exponential" }), ("mode", { $0.mode = "fast" }), ("augment", { $0.augment = "rotate" }),
            ("split", { $0.split = "validation" }),
        ]
        for (field, edit) in cases {
            let m = message(edit)
            #expect(m != nil && !m!.contains("\n"), "\(field): \(m ?? "accepted")")
        }
        #expect(message { $0.stream = "shuffled" }?.contains("--stream: unknown value 'shuffled'") == true)
    }

    @Test("negative or non-finite numbers")
    func badNumbers() {
        let cases: [(inout RunConfiguration) -> Void] = [
            { $0.alpha0 = -1 }, { $0.alpha0 = .nan }, { $0.alpha0 = 0 }, { $0.weightDecay = -0.1 },
            { $0.metaStepSize = .infinity }, { $0.gamma = -1 }, { $0.momentum = .nan }, { $0.tasks = 0 },
            { $0.taskLength = -5 }, { $0.batchSize = 0 }, { $0.logEvery = 0 }, { $0.testSamples = -1 },
        ]
        for (i, edit) in cases.enumerated() { #expect(message(edit) != nil, "case \(i) accepted") }
        #expect(message { $0.alpha0 = -1 } == "--alpha0 must be positive, got -1.0")
    }

    @Test("task length must be a multiple of the batch size")
    func batchDividesTaskLength() {
        #expect(message { $0.batchSize = 3 }?.contains("multiple of --batch-size 3") == true)
    }

    @Test("config files: unknown keys and wrong types are named")
    func configFileErrors() {
        #expect(throws: SettingError.invalid("c.json: unknown setting 'alpha' (known: \(RunConfiguration.allKeys.joined(separator: ", ")))")) {
            _ = try RunConfiguration.decode(json: Data("{\"alpha\": 1}".utf8), source: "c.json")
        }
        #expect(throws: SettingError.invalid("c.json: setting 'tasks' has the wrong type")) {
            _ = try RunConfiguration.decode(json: Data("{\"tasks\": \"ten\"}".utf8), source: "c.json")
        }
        #expect(throws: SettingError.invalid("c.json: not valid JSON")) {
            _ = try RunConfiguration.decode(json: Data("{tasks".utf8), source: "c.json")
        }
    }
}

@Suite("README's settings table")
struct ReadmeSettingsTableTests {
    @Test("README's run-settings table is exactly the table generated from the declarations (README stays true)")
    func readmeTableIsGenerated() throws {
        let readme = try String(contentsOfFile: repositoryRoot + "/README.md", encoding: .utf8)
        let begin = try #require(readme.range(of: "<!-- settings-table:begin -->\n"))
        let end = try #require(readme.range(of: "\n<!-- settings-table:end -->"))
        let table = String(readme[begin.upperBound ..< end.lowerBound])
        #expect(table == RunConfiguration.table.markdownTable().trimmingCharacters(in: .newlines),
                "regenerate with: mobench settings --markdown")
    }
}
