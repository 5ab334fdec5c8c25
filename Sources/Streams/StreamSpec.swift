import Datasets

/// How a dataset becomes a nonstationary sequence of tasks.
public enum StreamKind: String, Codable, Sendable, CaseIterable {
    /// The split in a fresh random order each pass over it; no transform (the stationary control).
    case iid
    /// Task k applies its own fixed random permutation of pixel positions (a pixel's channels move together).
    case inputPermuted = "input-permuted"
    /// Task k relabels samples through its own random permutation of the classes.
    case labelPermuted = "label-permuted"
    /// Classes shuffled with the seed and split into groups of `classesPerTask`; task k shows only its group,
    /// relabelled 0..<K in the group's order (the paper's continual CIFAR-100 protocol).
    case classIncremental = "class-incremental"
}

/// Per-sample augmentation applied to training samples (never to evaluation samples).
public enum Augmentation: String, Codable, Sendable, CaseIterable {
    case none
    /// Random crop back to H×W after zero padding of 4 pixels on every side (offsets uniform in 0...8), then a
    /// horizontal flip with probability 0.5.
    case cropFlip = "crop-flip"
}

/// Everything that defines a stream besides the dataset. Together with the dataset it determines every sample.
public struct StreamSpec: Codable, Sendable, Equatable {
    public var kind: StreamKind
    /// Number of tasks.
    public var tasks: Int
    /// Samples per task. `nil` means the kind's default: one pass over the task's samples for class-incremental
    /// streams (the largest group's sample count when groups differ), the whole split for the other kinds.
    public var taskLength: Int?
    public var seed: UInt64
    /// Classes per task (class-incremental only; must divide the dataset's class count).
    public var classesPerTask: Int?
    /// Input-permuted only: task 0 uses the identity permutation.
    public var firstTaskIdentity: Bool
    public var augmentation: Augmentation

    public init(kind: StreamKind = .inputPermuted, tasks: Int = 10, taskLength: Int? = 5000, seed: UInt64 = 0,
                classesPerTask: Int? = nil, firstTaskIdentity: Bool = false, augmentation: Augmentation = .none) {
        self.kind = kind
        self.tasks = tasks
        self.taskLength = taskLength
        self.seed = seed
        self.classesPerTask = classesPerTask
        self.firstTaskIdentity = firstTaskIdentity
        self.augmentation = augmentation
    }
}

public enum StreamError: Error, CustomStringConvertible, Equatable {
    case invalidSetting(String)

    public var description: String {
        switch self {
        case .invalidSetting(let message): return message
        }
    }
}

extension StreamSpec {
    /// Checks the spec against a dataset; throws one clear line for the first problem found.
    public func validate(for dataset: Dataset) throws {
        guard tasks >= 1 else { throw StreamError.invalidSetting("--tasks must be at least 1, got \(tasks)") }
        if let taskLength, taskLength < 1 {
            throw StreamError.invalidSetting("--task-length must be at least 1, got \(taskLength)")
        }
        guard dataset.count > 0 else {
            throw StreamError.invalidSetting("dataset \(dataset.name) (\(dataset.split.rawValue)) has no samples")
        }
        switch kind {
        case .classIncremental:
            guard let k = classesPerTask else {
                throw StreamError.invalidSetting("--classes-per-task is required for the class-incremental stream")
            }
            guard k >= 1, k <= dataset.classes, dataset.classes % k == 0 else {
                throw StreamError.invalidSetting(
                    "--classes-per-task \(k) does not divide the \(dataset.classes) classes of \(dataset.name)")
            }
            guard seed <= UInt64(UInt32.max) else {
                throw StreamError.invalidSetting(
                    "class-incremental streams need --seed ≤ 4294967295 (NumPy-compatible class order), got \(seed)")
            }
        default:
            if let k = classesPerTask {
                throw StreamError.invalidSetting("--classes-per-task \(k) applies only to the class-incremental stream")
            }
        }
        if firstTaskIdentity && kind != .inputPermuted {
            throw StreamError.invalidSetting("the first-task-identity option applies only to the input-permuted stream")
        }
        if augmentation == .cropFlip && (dataset.height < 1 || dataset.width < 1) {
            throw StreamError.invalidSetting("crop-flip needs images with a height and a width")
        }
    }
}
