import ArgumentParser
import Bench
import Foundation

struct SlurmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Write (and optionally submit) a Slurm job array that runs a suite in shards, and a job that merges them.",
        discussion: """
        Writes DIR/slurm/array.sbatch (array task I runs `mobench suite FILE --out DIR --shard I/N`), \
        DIR/slurm/merge.sbatch (`mobench merge DIR --suite FILE`), DIR/slurm/submit.sh and DIR/slurm/suite.json; logs \
        go to DIR/slurm/logs/shard-I.out and merge.out. Jobs run this mobench binary (absolute path) in the current \
        folder, so dataset names resolve as they do here; DIR must be on a filesystem the compute nodes share. \
        A failed or pre-empted task re-runs only its missing runs when resubmitted: DIR/slurm/submit.sh I.
        """)

    @OptionGroup var suite: SuiteOptions
    @Option(help: "Array tasks, one per shard (default: one per run, at most 16).") var shards: Int?
    @Option(help: "Slurm partition (default: the cluster's default).") var partition: String?
    @Option(help: "Time limit per array task and for the merge job, HH:MM:SS or D-HH:MM:SS.") var time: String?
    @Option(help: "CPUs per array task; the shard runs this many runs in parallel.") var cpusPerTask: Int = 1
    @Option(help: "Memory per task, e.g. 4G (Slurm's --mem).") var mem: String?
    @Option(help: "Slurm account to charge.") var account: String?
    @Flag(help: "Submit with sbatch: the array, then the merge job with --dependency=afterok on it; prints both job ids.") var submit = false

    func run() throws {
        let paths = SlurmScripts.Paths.resolving(suiteFile: suite.file, outDirectory: suite.out,
                                                 executable: SlurmScripts.Paths.runningExecutable())
        let plan = try classify { try SuiteLoading.plan(paths.suiteFile, overrides: suite.overrides) }
        let options = SlurmOptions(shards: shards ?? SlurmOptions.defaultShards(runCount: plan.runs.count),
                                   partition: partition, time: time, cpusPerTask: cpusPerTask, memory: mem,
                                   account: account, checkpointEvery: suite.checkpointEvery)
        let files: SlurmJobFiles
        do { files = try SlurmScripts.generate(plan, paths: paths, options: options) } catch let error as SlurmError {
            throw Failure(message: error.description, status: 2)
        }
        try classify { try SlurmScripts.write(files) }
        print("wrote \(files.arrayPath) (\(plan.runs.count) runs in \(options.shards) array tasks), \(files.mergePath) and \(files.submitPath)")
        guard submit else {
            print("submit with: \(files.submitPath)   (logs in \(files.logsDirectory))")
            return
        }
        guard let sbatch = SlurmScripts.findOnPath("sbatch") else { throw Failure(message: SlurmError.sbatchNotFound.description, status: 1) }
        let ids = try classify { try SlurmScripts.submit(files, sbatch: sbatch) }
        print("array job: \(ids.arrayJob)")
        print("merge job: \(ids.mergeJob)")
        print("logs: \(files.logsDirectory)/shard-<I>.out and merge.out; summary: \((paths.outDirectory as NSString).appendingPathComponent("summary.md")) once the merge job has run")
    }
}
