import ArgumentParser
import Bench
import Foundation
import Synchronization

/// Set by SIGINT/SIGTERM; the run loop polls it and stops cleanly.
let interruptRequested = Atomic<Bool>(false)

struct RunCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "run",
            abstract: "One online run: prequential loss and accuracy, step sizes, per-task test accuracy.",
            usage: "mobench run [--config FILE.json] [--SETTING VALUE …] [--out DIR] [--trace FILE] …",
            discussion: """
            Settings are given as --SETTING VALUE (or --SETTING=VALUE; booleans as a bare flag) and can also come \
            from --config FILE.json (keys: the setting names below with '-' → '_'; a result.json is accepted too, so \
            `mobench run --config out/result.json` reproduces a run). Flags override the file. `mobench settings` \
            prints this table, `mobench settings --markdown` README's.
            Exit status: 0 done, 1 data or file error, 2 invalid settings, 130 interrupted (checkpoint written when \
            --checkpoint-every is set).

            """ + RunConfiguration.table.helpText())
    }

    @Option(help: "JSON file with settings (or a result.json to reproduce).") var config: String?
    @Flag(help: "Print the fully resolved configuration as JSON and exit.") var printConfig = false

    @Argument(parsing: .allUnrecognized, help: .init("Run settings: --SETTING VALUE (listed below).", valueName: "settings"))
    var settings: [String] = []

    @Option(help: "Write result.json and curve.csv (and checkpoints) to this folder.") var out: String?
    @Option(help: "Write a per-step CSV trace to this file.") var trace: String?
    @Option(name: .customLong("init"), help: "Initial weights (safetensors) instead of the seeded initialisation.") var initPath: String?
    @Option(help: "Save the final weights (safetensors).") var save: String?
    @Option(help: "Checkpoint every N steps into --out (atomic).") var checkpointEvery: Int?
    @Flag(help: "Continue from the checkpoint in --out.") var resume = false
    @Option(help: "auto, bar, log, none (default: auto = bar on a terminal, none otherwise).") var progress: String = "auto"

    func resolvedConfiguration() throws -> RunConfiguration {
        var c = RunConfiguration()
        var alpha0Given = settings.contains { $0 == "--alpha0" || $0.hasPrefix("--alpha0=") }
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else {
                throw Failure(message: "\(config): cannot read the config file", status: 2)
            }
            c = try RunConfiguration.decode(json: data, source: config)
            alpha0Given = alpha0Given || RunConfiguration.setsAlpha0(json: data)
        }
        try c.apply(arguments: settings)
        c.applyPackageLearningRate(alpha0Given: alpha0Given)
        return c
    }

    func run() throws {
        guard ["auto", "bar", "log", "none"].contains(progress) else {
            throw Failure(message: "--progress: unknown value '\(progress)' (expected auto, bar, log, none)", status: 2)
        }
        if let checkpointEvery, checkpointEvery < 1 {
            throw Failure(message: "--checkpoint-every must be a positive integer, got \(checkpointEvery)", status: 2)
        }
        if checkpointEvery != nil && out == nil {
            throw Failure(message: "--checkpoint-every needs --out DIR (the checkpoint is written there)", status: 2)
        }
        if resume && out == nil {
            throw Failure(message: "--resume needs --out DIR (the checkpoint is read from there)", status: 2)
        }
        let options = RunOptions(outDirectory: out, tracePath: trace, initPath: initPath, savePath: save,
                                 checkpointEvery: checkpointEvery, resume: resume)
        let configuration = try classify { try resolvedConfiguration() }
        let validated = try classify { try ValidatedConfiguration(configuration) }
        let session = try classify { try Run(validated, options: options) }
        if printConfig {
            print(session.configuration.json())
            return
        }
        let reporter: RunProgress?
        switch progress {
        case "bar": reporter = ProgressBar(label: "run")
        case "log": reporter = ProgressLog(label: "run")
        case "none": reporter = nil
        default: reporter = isatty(STDERR_FILENO) != 0 ? ProgressBar(label: "run") : nil
        }
        signal(SIGINT) { _ in interruptRequested.store(true, ordering: .relaxed); signal(SIGINT, SIG_DFL) }
        signal(SIGTERM) { _ in interruptRequested.store(true, ordering: .relaxed); signal(SIGTERM, SIG_DFL) }
        let result = try classify {
            try session.run(options: options, progress: reporter,
                            shouldStop: { interruptRequested.load(ordering: .relaxed) })
        }
        guard let result else {
            let note = checkpointEvery != nil ? "; checkpoint written, continue with --resume" : ""
            throw Failure(message: "interrupted at a step boundary\(note)", status: 130)
        }
        print(RunSummary.text(result))
    }
}
