import ArgumentParser
import Bench
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a suite's results to other tools.", subcommands: [TensorBoard.self])

    struct TensorBoard: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tensorboard",
            abstract: "Write TensorBoard event files: one run per (configuration, seed), scalars from curve.csv and result.json.",
            discussion: "View with: tensorboard --logdir TBDIR")

        @Argument(help: "A suite output folder (with runs.json).") var directory: String
        @Option(help: "Output folder for the event files.") var out: String

        func run() throws {
            let count = try classify { try TensorBoardExport.export(suiteDirectory: directory, to: out) }
            print("wrote \(count) runs to \(out) (tensorboard --logdir \(out))")
        }
    }
}
