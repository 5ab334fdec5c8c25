import ArgumentParser
import Bench
import Foundation
import Synchronization

/// Set by SIGINT/SIGTERM; the run loop polls it and stops cleanly.
let interruptRequested = Atomic<Bool>(false)

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "One online run: prequential loss and accuracy, step sizes, per-task test accuracy.",
        discussion: """
        Every setting can also come from --config FILE.json (keys: flag names with '-' → '_'; a result.json is \
        accepted too, so `mobench run --config out/result.json` reproduces a run). Flags override the file.
        Exit status: 0 done, 1 data or file error, 2 invalid settings, 130 interrupted (checkpoint written when \
        --checkpoint-every is set).
        """)

    @Option(help: "JSON file with settings (or a result.json to reproduce).")
    var config: String?
    @Flag(help: "Print the fully resolved configuration as JSON and exit.")
    var printConfig = false

    @OptionGroup var streamOptions: StreamOptions
    @OptionGroup(title: "Learning-rate-free methods") var competitorOptions: CompetitorOptions

    @Option(help: "linear, mlp:H,H,…, simple-cnn (default: mlp:256,256).")
    var model: String?
    @Option(help: "Samples per optimizer step (default: 1).")
    var batchSize: Int?

    @Option(help: "Base rule: sgd, sgdm, rmsprop, adamw, lion (default: adamw).")
    var base: String?
    @Option(name: .customLong("alpha0"), help: "Initial step size α0; β0 = log α0 (default: 1e-4).")
    var alpha0: Double?
    @Option(help: "κ, decoupled weight decay scaled by α (default: 0).")
    var weightDecay: Double?
    @Option(help: "ρ, base momentum (default: SGDm/AdamW 0.9, Lion 0.99).")
    var momentum: Double?
    @Option(help: "λ, base second-moment coefficient (default: 0.999).")
    var normalizer: Double?
    @Option(help: "c, Lion's interpolation inside sign (default: 0.9).")
    var lionInterpolation: Double?
    @Option(help: "Meta rule: fixed, sgd, rmsprop, adam (alias adamw), lion, mnm, hypergradient, idbd (default: adam).")
    var meta: String?
    @Option(help: "η, meta step size on log α (default: 1e-3).")
    var metaStepSize: Double?
    @Option(help: "γ, trace discount (default: 0.999).")
    var gamma: Double?
    @Option(help: "ρ̄, meta momentum (default: Adam/MNM 0.9, Lion 0.99).")
    var metaMomentum: Double?
    @Option(help: "λ̄, meta second-moment coefficient (default: 0.999).")
    var metaNormalizer: Double?
    @Option(help: "c̄, meta Lion interpolation (default: 0.9).")
    var metaLionInterpolation: Double?
    @Option(help: "κ̄, meta weight decay (default: 0).")
    var metaWeightDecay: Double?
    @Option(help: "scalar, layerwise, nodewise, weightwise, last-layer-and-others, blocks:N,N,… (default: scalar).")
    var granularity: String?
    @Option(help: "faithful (official implementation) or standard (textbook rules) (default: faithful).")
    var mode: String?
    @Option(help: "constant, linear, cosine, warmup-cosine:W, step:EVERY:FACTOR (default: constant).")
    var schedule: String?

    @Option(help: "Subnormal floats in the optimizer step: flush (fast) or exact (IEEE, as PyTorch's CPU default) (default: flush).")
    var subnormals: String?

    @Option(help: "Curve bin width in steps (default: 100).")
    var logEvery: Int?
    @Option(help: "Test samples evaluated at the end of each task, 0 = all (default: 2000).")
    var testSamples: Int?
    @Option(help: "Write result.json and curve.csv (and checkpoints) to this folder.")
    var out: String?
    @Option(help: "Write a per-step CSV trace to this file.")
    var trace: String?
    @Option(name: .customLong("init"), help: "Initial weights (safetensors) instead of the seeded initialisation.")
    var initPath: String?
    @Option(help: "Save the final weights (safetensors).")
    var save: String?
    @Option(help: "Checkpoint every N steps into --out (atomic).")
    var checkpointEvery: Int?
    @Flag(help: "Continue from the checkpoint in --out.")
    var resume = false
    @Option(help: "auto, bar, log, none (default: auto = bar on a terminal, none otherwise).")
    var progress: String = "auto"

    func resolvedConfiguration() throws -> RunConfiguration {
        var c = RunConfiguration()
        var alpha0Given = alpha0 != nil
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else {
                throw Failure(message: "\(config): cannot read the config file", status: 2)
            }
            c = try RunConfiguration.decode(json: data, source: config)
            alpha0Given = alpha0Given || RunConfiguration.setsAlpha0(json: data)
        }
        streamOptions.apply(to: &c)
        if let model { c.model = model }
        if let batchSize { c.batchSize = batchSize }
        if let base { c.base = base }
        if let alpha0 { c.alpha0 = alpha0 }
        if let weightDecay { c.weightDecay = weightDecay }
        if let momentum { c.momentum = momentum }
        if let normalizer { c.normalizer = normalizer }
        if let lionInterpolation { c.lionInterpolation = lionInterpolation }
        if let meta { c.meta = meta }
        if let metaStepSize { c.metaStepSize = metaStepSize }
        if let gamma { c.gamma = gamma }
        if let metaMomentum { c.metaMomentum = metaMomentum }
        if let metaNormalizer { c.metaNormalizer = metaNormalizer }
        if let metaLionInterpolation { c.metaLionInterpolation = metaLionInterpolation }
        if let metaWeightDecay { c.metaWeightDecay = metaWeightDecay }
        if let granularity { c.granularity = granularity }
        if let mode { c.mode = mode }
        if let schedule { c.schedule = schedule }
        if let subnormals { c.subnormals = subnormals }
        if let logEvery { c.logEvery = logEvery }
        if let testSamples { c.testSamples = testSamples }
        try competitorOptions.apply(to: &c, alpha0Given: alpha0Given)
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
