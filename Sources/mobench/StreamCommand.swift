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

        @Option(help: "Number of steps to print.")
        var steps: Int = 20

        @Option(help: "First step to print (0-based stream position).")
        var start: Int = 0

        @Flag(help: "CSV instead of aligned columns.")
        var csv = false

        func run() throws {
            guard steps >= 0, start >= 0 else {
                throw Failure(message: "--steps and --start must be non-negative", status: 2)
            }
            var configuration = RunConfiguration()
            streamOptions.apply(to: &configuration)
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

/// Data and stream flags shared by `run` and `stream show`. Unset flags keep the configuration's value.
struct StreamOptions: ParsableArguments {
    @Option(help: "Dataset path or name (default: fashion-mnist).")
    var data: String?
    @Option(help: "train or test (default: train).")
    var split: String?
    @Option(help: "CIFAR-100 labels: fine or coarse (default: fine).")
    var labels: String?
    @Option(help: "iid, input-permuted, label-permuted, class-incremental (default: input-permuted).")
    var stream: String?
    @Option(help: "Number of tasks (default: 10).")
    var tasks: Int?
    @Option(help: "Samples per task (default: 5000; class-incremental: one pass over the task's samples).")
    var taskLength: Int?
    @Option(help: "Classes per task (class-incremental; must divide the class count).")
    var classesPerTask: Int?
    @Flag(help: "Input-permuted: task 0 keeps the identity permutation.")
    var firstTaskIdentity = false
    @Option(help: "none or crop-flip (default: none).")
    var augment: String?
    @Option(help: "Seeds everything: stream, permutations, augmentation, initialisation (default: 0).")
    var seed: UInt64?

    func apply(to c: inout RunConfiguration) {
        if let data { c.data = data }
        if let split { c.split = split }
        if let labels { c.labels = labels }
        if let stream { c.stream = stream }
        if let tasks { c.tasks = tasks }
        if let taskLength { c.taskLength = taskLength }
        if let classesPerTask { c.classesPerTask = classesPerTask }
        if firstTaskIdentity { c.firstTaskIdentity = true }
        if let augment { c.augment = augment }
        if let seed { c.seed = seed }
    }
}
