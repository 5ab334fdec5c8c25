import ArgumentParser

/// The options `mobench suite` and `mobench slurm` share: which suite, where its results go, the `--set`
/// overrides for every run, and how often long runs checkpoint.
struct SuiteOptions: ParsableArguments {
    @Argument(help: "Suite file (JSON with // comments), e.g. Benchmarks/suites/default.json.") var file: String
    @Option(help: "Suite output folder (runs/, summary.json, summary.md, figures/; slurm/ for mobench slurm), shared by every shard.") var out: String
    @Option(name: .customLong("set"), parsing: .singleValue,
            help: "Override a setting for every run, KEY=VALUE with a config key (repeatable), e.g. --set data=/data/cifar-100-binary.")
    var overrides: [String] = []
    @Option(help: "Checkpoint long runs every N steps, so an interrupted or pre-empted run resumes mid-way.") var checkpointEvery: Int?
}
