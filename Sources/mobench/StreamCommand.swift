import ArgumentParser
import Bench
import Datasets
import Foundation
import Streams

struct StreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream", abstract: "Show streams.", subcommands: [Show.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a stream step by step: step, task, sample_index, label (as presented), original_label.")

        @OptionGroup var streamOptions: StreamOptions

        @Option(help: "Number of steps to print.") var steps: Int = 20

        @Option(help: "First step to print (0-based stream position).") var start: Int = 0

        @Flag(help: "CSV instead of aligned columns.") var csv = false

        func run() throws {
            guard steps >= 0, start >= 0 else {
                throw Failure(message: "--steps and --start must be non-negative", status: 2)
            }
            var configuration = RunConfiguration()
            try streamOptions.apply(to: &configuration)
            let stream = try classify { () -> TaskStream in
                let validated = try ValidatedConfiguration(configuration)
                let dataset = try DatasetLoader.load(configuration.data, split: validated.split,
                                                     labelKind: validated.labelKind,
                                                     workingDirectory: FileManager.default.currentDirectoryPath)
                do { return try TaskStream(dataset: dataset, spec: validated.streamSpec) }
                catch let error as StreamError { throw SettingError.invalid(error.description) }
            }
            let header = ["step", "task", "sample_index", "label", "original_label"]
            var lines: [String] = []
            if csv { lines.append(header.joined(separator: ",")) } else {
                lines.append("# stream \(stream.fingerprint): \(stream.spec.kind.rawValue), \(stream.spec.tasks) tasks × \(stream.taskLength) samples, seed \(stream.spec.seed)")
                lines.append(header.map { $0.padding(toLength: 14, withPad: " ", startingAt: 0) }.joined())
            }
            let end = min(start + steps, stream.totalSamples)
            for position in start..<max(start, end) {
                let s = stream.sample(at: position)
                let fields = [position, s.task, s.sampleIndex, s.label, s.originalLabel].map(String.init)
                lines.append(csv ? fields.joined(separator: ",")
                             : fields.map { $0.padding(toLength: 14, withPad: " ", startingAt: 0) }.joined())
            }
            print(lines.joined(separator: "\n"))
        }
    }
}

/// The data and stream settings of `stream show` (the "Data and stream" section of the run settings).
struct StreamOptions: ParsableArguments {
    @Argument(parsing: .allUnrecognized, help: .init("Data and stream settings: --SETTING VALUE (see `mobench settings`).", valueName: "settings"))
    var settings: [String] = []

    func apply(to c: inout RunConfiguration) throws {
        try c.apply(arguments: settings)
        let allowed = Set(RunConfiguration.table.declarations.filter { $0.section == "Data and stream" }.map(\.key))
        for key in RunConfiguration.allKeys where c[key] != RunConfiguration()[key] && !allowed.contains(key) {
            throw SettingError.invalid("\(RunConfiguration.table[key]!.flag): not a data or stream setting")
        }
    }

}
