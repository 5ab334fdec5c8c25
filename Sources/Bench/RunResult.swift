import Diagnostics
import Foundation

/// `result.json`: everything about one run and how to reproduce it. Schema `mobench-result-1`.
/// Wall-clock fields (`wall_seconds`, `steps_per_second`, `finished_at`) are the only ones that differ between two
/// runs of the same configuration.
public struct RunResult: Codable, Sendable, Equatable {
    public struct TaskResult: Codable, Sendable, Equatable {
        public var task: Int
        public var samples: Int
        /// Mean pre-update loss (nats) and accuracy over the task's samples.
        public var onlineLoss: Double
        public var onlineAccuracy: Double
        /// Mean training loss over the task: the pre-update cross-entropy of the task's samples, as the paper's
        /// `task_train_loss` (equal to `online_loss` by that definition).
        public var trainLoss: Double
        /// Accuracy on the current task's test samples (same task transform, no augmentation) after the task's
        /// last update; nil when not measured (diverged, or no test split).
        public var testAccuracy: Double?
        public var testSamples: Int
        /// Methods with a separate evaluation point (schedule-free): test accuracy at the training point y, while
        /// `test_accuracy` is at the evaluation point x. Absent for the others.
        public var testAccuracyAtTrainingPoint: Double? = nil
        /// Plasticity diagnostics after the task's last update (`--diagnostics task|bin`; nil when off or not
        /// reached).
        public var diagnostics: DiagnosticsReport? = nil

        enum CodingKeys: String, CodingKey {
            case task, samples, onlineLoss = "online_loss", onlineAccuracy = "online_accuracy"
            case trainLoss = "train_loss", testAccuracy = "test_accuracy", testSamples = "test_samples"
            case testAccuracyAtTrainingPoint = "test_accuracy_at_training_point"
            case diagnostics
        }
    }

    public var schema = "mobench-result-1"
    public var config: RunConfiguration
    public var reproduce: String
    public var streamFingerprint: String
    public var dataset: DatasetInfo
    public var suiteVersion: String
    public var gitCommit: String?
    public var parameterCount: Int
    public var outputUnits: Int
    public var plannedSteps: Int
    public var steps: Int
    public var samples: Int
    public var diverged: Bool
    public var divergedAtStep: Int?
    public var onlineLoss: Double?
    public var onlineAccuracy: Double?
    public var cumulativeAccuracy: Double?
    public var tasks: [TaskResult]
    public var stepSizeGroups: [String]
    public var finalLogStepSizes: [Double]
    public var wallSeconds: Double
    public var stepsPerSecond: Double

    public struct DatasetInfo: Codable, Sendable, Equatable {
        public var name: String
        public var format: String
        public var split: String
        public var count: Int
        public var shape: [Int]
        public var classes: Int
    }

    enum CodingKeys: String, CodingKey {
        case schema, config, reproduce, dataset
        case streamFingerprint = "stream_fingerprint", suiteVersion = "suite_version", gitCommit = "git_commit"
        case parameterCount = "parameter_count", outputUnits = "output_units", plannedSteps = "planned_steps"
        case steps, samples, diverged, divergedAtStep = "diverged_at_step", onlineLoss = "online_loss"
        case onlineAccuracy = "online_accuracy", cumulativeAccuracy = "cumulative_accuracy", tasks
        case stepSizeGroups = "step_size_groups", finalLogStepSizes = "final_log_step_sizes"
        case wallSeconds = "wall_seconds", stepsPerSecond = "steps_per_second"
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"
    }

    public static func decode(_ data: Data) throws -> RunResult {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(RunResult.self, from: data)
    }
}

/// The suite's version, recorded in every result file.
public let suiteVersion = "0.1.0"

/// Writes `contents` to `path` atomically: a temporary file in the same folder, then a rename, so an interrupted
/// write never leaves a half-written file that looks complete.
public func writeAtomically(_ contents: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp").path
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw OutputError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
    var isOpen = true
    do {
        try contents.withUnsafeBytes { try writeAll(fd, $0, path: path) }
        isOpen = false
        guard close(fd) == 0 else { throw OutputError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        guard rename(temporary, path) == 0 else {
            throw OutputError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
    } catch {
        if isOpen { close(fd) }
        unlink(temporary)
        throw error
    }
}

public enum OutputError: Error, CustomStringConvertible, Equatable {
    case cannotWrite(String)
    case cannotCreateDirectory(String)
    case checkpoint(String)
    /// A write that failed, with the system's reason (e.g. "No space left on device").
    case writeFailed(path: String, reason: String)
    /// The output folder is in use by another process.
    case locked(String)
    public var description: String {
        switch self {
        case .cannotWrite(let path): return "\(path): cannot write file"
        case .cannotCreateDirectory(let path): return "\(path): cannot create directory"
        case .checkpoint(let message): return message
        case .writeFailed(let path, let reason): return "\(path): cannot write: \(reason)"
        case .locked(let message): return message
        }
    }
}
