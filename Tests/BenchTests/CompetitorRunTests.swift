import Foundation
import Testing
import Competitors
import MetaOptimize
import Settings
@testable import Bench

/// The competitors through the runner: CLI-equivalent configurations, checkpoints, trace and result columns.
struct CompetitorRunTests {
    static let methods = ["prodigy", "dadapt-adam", "dadapt-sgd", "dadapt-adagrad", "dadapt-lion", "dog", "ldog",
                          "schedule-free-adamw", "schedule-free-sgd", "mechanic", "cocob", "kt"]

    @Test("Interrupt + checkpoint + resume of every competitor gives files bit-identical to an uninterrupted run",
          arguments: methods)
    func resumeEqualsUninterrupted(_ method: String) throws {
        let config = smallConfiguration {
            $0.optimizer = method
            $0.alpha0 = RunConfiguration.packageLearningRate(optimizer: method, base: "adamw") ?? 1e-4
        }
        let (full, dir) = try interruptAndResume(config)
        expectSameRunFiles(dir, full)
        #expect(read(full + "/trace.csv").hasPrefix("step,task,sample_index,label,loss,correct,step_size"))
    }

    @Test("A competitor run records its resolved package settings in result.json, and that config reproduces it")
    func resultRecordsSettings() throws {
        let dir = temporaryDirectory()
        let options = RunOptions(outDirectory: dir)
        let config = smallConfiguration { $0.optimizer = "prodigy"; $0.alpha0 = 1; $0["d_coef"] = .number(2) }
        _ = try makeRun(config, options: options).run(options: options)
        let text = read(dir + "/result.json")
        for key in ["\"d0\" : 1e-06", "\"d_coef\" : 2", "\"growth_rate\" : \"inf\"", "\"beta3\"", "\"slice_p\" : 1"] {
            #expect(text.contains(key), "result.json lacks \(key)")
        }
        let again = try RunConfiguration.decode(json: Data(text.utf8), source: "result.json")
        #expect(again["d_coef"] == .number(2) && again["growth_rate"] == .number(.infinity))
        #expect(try ValidatedConfiguration(again).configuration == ValidatedConfiguration(config).configuration)
    }

    @Test("Every declared competitor setting is a configuration key and reaches the competitor's settings")
    func declaredKeysReachSettings() throws {
        let values: [String: SettingValue] = ["mechanic_betas": .text("0.9,0.99"), "decouple": .bool(true),
                                              "use_bias_correction": .bool(true), "safeguard_warmup": .bool(true),
                                              "store_delta": .bool(true), "dog_average": .bool(true),
                                              "slice_p": .integer(2), "warmup_steps": .integer(3)]
        for declaration in CompetitorSettingDeclarations.all {
            #expect(RunConfiguration.table[declaration.key] != nil, "\(declaration.key) is not a configuration key")
            var c = RunConfiguration()
            c[declaration.key] = values[declaration.key] ?? .number(0.5)
            #expect(try competitorSettings(.prodigy, c) != competitorSettings(.prodigy, RunConfiguration()),
                    "\(declaration.key) does not reach the settings")
        }
    }

    @Test("An invalid competitor setting is one line naming the key")
    func invalidSetting() {
        #expect(throws: SettingError.invalid("optimizer configuration: field 'growth_rate': expected a number >= 1 (inf: no limit), found 0.5")) {
            _ = try ValidatedConfiguration(smallConfiguration { $0.optimizer = "prodigy"; $0["growth_rate"] = .number(0.5) })
        }
        #expect(throws: SettingError.self) {
            _ = try ValidatedConfiguration(smallConfiguration { $0.optimizer = "mechanic"; $0.base = "lion" })
        }
    }

    @Test("Schedule-free reports test accuracy at x and at y; the others only at their training point")
    func evaluationPoint() throws {
        let sf = try #require(try makeRun(smallConfiguration { $0.optimizer = "schedule-free-sgd"; $0.alpha0 = 0.05 }).run(options: RunOptions()))
        #expect(sf.tasks.allSatisfy { $0.testAccuracy != nil && $0.testAccuracyAtTrainingPoint != nil })
        let dog = try #require(try makeRun(smallConfiguration { $0.optimizer = "dog"; $0.alpha0 = 1 }).run(options: RunOptions()))
        #expect(dog.tasks.allSatisfy { $0.testAccuracy != nil && $0.testAccuracyAtTrainingPoint == nil })
    }
}
