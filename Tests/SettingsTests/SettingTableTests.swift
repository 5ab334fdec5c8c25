import Foundation
import Testing
import Settings

@Suite("SettingTable: flags, values, help from declarations")
struct SettingTableTests {
    static let table = SettingTable([
        .of(Double.self, key: "alpha0", default: 1e-4, help: "initial step size", section: "Optimizer", range: .positive),
        .of(Double?.self, key: "meta_momentum", default: nil, defaultText: "0.9", help: "meta momentum",
            section: "MetaOptimize", range: .halfOpenUnit),
        .of(Int.self, key: "tasks", default: 10, help: "number of tasks", section: "Data", range: .positive),
        .of(Bool.self, key: "first_task_identity", default: false, help: "identity first", section: "Data"),
        .of(String.self, key: "mode", default: "faithful", help: "formulas", section: "Optimizer",
            range: .choices(["faithful", "standard"])),
    ])

    @Test("--flag VALUE, --flag=VALUE and a bare boolean flag all parse to the declared type; later flags win")
    func parsesForms() throws {
        let parsed = try Self.table.parseArguments(["--alpha0", "0.01", "--tasks=3", "--first-task-identity",
                                                    "--meta-momentum", "null", "--alpha0", "2"])
        #expect(parsed.map(\.key) == ["alpha0", "tasks", "first_task_identity", "meta_momentum", "alpha0"])
        #expect(parsed.map(\.value) == [.number(0.01), .integer(3), .bool(true), .null, .number(2)])
    }

    @Test("a negative number is taken as the value and refused with the flag's range message")
    func negativeValues() {
        #expect(throws: SettingParseError("--alpha0 must be positive, got -5.0")) {
            try Self.table.parseArguments(["--alpha0", "-5"])
        }
        #expect(throws: SettingParseError("--tasks must be positive, got -1")) {
            try Self.table.parseArguments(["--tasks", "-1"])
        }
        #expect(throws: SettingParseError("--meta-momentum must be in [0, 1), got 1.0")) {
            try Self.table.parseArguments(["--meta-momentum", "1"])
        }
    }

    @Test("unknown flags, missing values, wrong types and unknown choices are one-line errors naming the flag")
    func errors() {
        let cases: [([String], String)] = [
            (["--alpha"], "unknown option '--alpha'"),
            (["--alpha_0", "1"], "unknown option '--alpha_0'"),
            (["--tasks"], "--tasks: missing value"),
            (["--tasks", "ten"], "--tasks: expected an integer, got 'ten'"),
            (["--mode", "fast"], "--mode has an unknown value 'fast' (expected faithful, standard)"),
            (["positional"], "unexpected argument 'positional'"),
            (["--alpha0", "nan"], "--alpha0 must be positive, got nan"),
        ]
        for (arguments, message) in cases {
            do {
                _ = try Self.table.parseArguments(arguments)
                Issue.record("accepted \(arguments)")
            } catch let error as SettingParseError {
                #expect(error.description.hasPrefix(message), "\(arguments): \(error)")
                #expect(!error.description.contains("\n"))
            } catch { Issue.record("\(error)") }
        }
    }

    @Test("help and the Markdown table list every declared setting once, with its default, under its section")
    func helpAndMarkdown() {
        let help = Self.table.helpText()
        let markdown = Self.table.markdownTable()
        for d in Self.table.declarations {
            #expect(help.contains("  \(d.flag) "), "\(d.key)")
            #expect(markdown.contains("| `\(d.key)` | \(d.defaultDescription) |"), "\(d.key)")
        }
        #expect(help.contains("--meta-momentum <X>   (default: 0.9)"))
        #expect(help.contains("--first-task-identity   (default: off)"))
        #expect(markdown.contains("**MetaOptimize**"))
    }

    @Test("defaults and flags come from the declarations (key with _ → -)")
    func defaults() {
        #expect(Self.table.defaults["alpha0"] == .number(1e-4))
        #expect(Self.table.defaults["meta_momentum"] == SettingValue.null)
        #expect(Self.table["tasks"]?.flag == "--tasks")
        #expect(Self.table["first_task_identity"]?.flag == "--first-task-identity")
    }
}
