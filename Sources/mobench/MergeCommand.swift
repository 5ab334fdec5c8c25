import ArgumentParser
import Bench
import Foundation

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the output folders of suite shards (mobench suite --shard I/N) into one summary.",
        discussion: """
        The summary (summary.json, summary.md, figures/) is the one a single-machine run of the suite writes, apart \
        from wall-clock fields. With one folder (every shard wrote into the same --out, the usual case on a shared \
        filesystem) it summarises in place; with several, each shard's run folders are hard-linked or copied into \
        --out. Refused: a run present in two folders with different files, a result that is not a run of the suite \
        (or another suite digest), and missing runs (listed; exit 1).
        """)

    @Argument(help: "Shard output folders.") var directories: [String]
    @Option(help: "Output folder (default: the single input folder; required with several).") var out: String?
    @Option(help: "The suite file the shards ran.") var suite: String
    @Option(name: .customLong("set"), parsing: .singleValue,
            help: "The --set KEY=VALUE overrides the shards ran with, in the same order (repeatable).")
    var overrides: [String] = []
    @Option(help: "Overlay the paper's curves from this CSV (data/reference/paper-continual-cifar100.csv).") var paperReference: String?

    func run() throws {
        guard !directories.isEmpty else { throw Failure(message: "merge needs at least one shard output folder", status: 2) }
        guard let outDirectory = out ?? (directories.count == 1 ? directories[0] : nil) else {
            throw Failure(message: "merging \(directories.count) folders needs --out DIR (the merged suite folder)", status: 2)
        }
        let plan = try classify { try SuiteLoading.plan(suite, overrides: overrides) }
        let outcome: ShardMerge.Outcome
        do {
            outcome = try ShardMerge.merge(plan, inputs: directories, out: outDirectory)
        } catch let error as MergeError {
            if case .missing(let runs, _) = error {
                FileHandle.standardError.write(Data("missing runs (configuration, seed, folder):\n".utf8))
                for run in runs {
                    FileHandle.standardError.write(Data("  \(run.configurationID)\tseed \(run.seed)\t\(run.directory)\n".utf8))
                }
            }
            throw Failure(message: error.description, status: 1)
        }
        FileHandle.standardError.write(Data(("merge: \(outcome.runs) runs from \(outcome.sources.count) folder(s)"
            + (outcome.copied > 0 ? ", \(outcome.copied) linked or copied into \(outDirectory)" : ", summarised in place") + "\n").utf8))
        try classify { try SuiteLoading.report(plan, out: outDirectory, paperReference: paperReference) }
    }
}
