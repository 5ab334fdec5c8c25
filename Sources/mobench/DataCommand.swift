import ArgumentParser
import Datasets
import Foundation

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Inspect datasets.", subcommands: [Inspect.self])

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say what was read from a dataset (format, counts, class counts, CRC-32 of pixels and labels).")

        @Argument(help: "Folder, archive (.tar.gz), parent folder of either, or dataset name (e.g. fashion-mnist).") var path: String

        @Option(help: "train or test.") var split: String = "train"

        @Option(help: "CIFAR-100 labels: fine or coarse.") var labels: String = "fine"

        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            guard let split = Split(rawValue: split) else {
                throw Failure(message: "--split: unknown value '\(split)' (expected train, test)", status: 2)
            }
            guard let kind = CIFAR100LabelKind(rawValue: labels) else {
                throw Failure(message: "--labels: unknown value '\(labels)' (expected fine, coarse)", status: 2)
            }
            let dataset = try classify {
                try DatasetLoader.load(path, split: split, labelKind: kind,
                                       workingDirectory: FileManager.default.currentDirectoryPath)
            }
            let inspection = DatasetInspection(dataset)
            print(json ? inspection.json() : inspection.summary())
        }
    }
}
