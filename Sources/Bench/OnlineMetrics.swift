import Reports

/// Prequential ("online") metrics: every sample's loss and correctness are taken from the forward pass BEFORE the
/// update that uses it. Sums are kept in Double in step order, so they are deterministic and exactly resumable.
public struct OnlineMetrics: Codable, Sendable, Equatable {
    /// One row of `curve.csv`: a bin of `logEvery` optimizer steps (the last bin may be shorter): `step` = optimizer
    /// steps completed at the end of the bin, `task` of its last step, mean pre-update loss and accuracy over the
    /// bin's samples, cumulative accuracy since step 1, and the optimizer's ``StepSizeReport/curveColumns`` at the
    /// end of the bin — the same record the suite reads back from curve.csv.
    public typealias CurveRow = CurvePoint

    /// Per-task summary.
    public struct TaskSummary: Codable, Sendable, Equatable {
        public var task: Int
        public var samples: Int
        public var lossSum: Double
        public var correct: Int
        /// Test accuracy on the task's test samples after the task's last update (nil if not measured).
        public var testAccuracy: Double?
        public var testSamples: Int
        /// For methods evaluated at a point other than the training point (schedule-free): the test accuracy at
        /// the training point y (``testAccuracy`` is at the evaluation point x). Nil otherwise.
        public var testAccuracyAtTrainingPoint: Double? = nil

        public var onlineLoss: Double { samples > 0 ? lossSum / Double(samples) : .nan }
        public var onlineAccuracy: Double { samples > 0 ? Double(correct) / Double(samples) : .nan }
    }

    public private(set) var samples = 0
    public private(set) var lossSum = 0.0
    public private(set) var correct = 0
    public private(set) var steps = 0
    public private(set) var curve: [CurveRow] = []
    public private(set) var tasks: [TaskSummary] = []

    private var binSamples = 0
    private var binLossSum = 0.0
    private var binCorrect = 0
    private var binSteps = 0

    public init() {}

    public var onlineLoss: Double { samples > 0 ? lossSum / Double(samples) : .nan }
    public var onlineAccuracy: Double { samples > 0 ? Double(correct) / Double(samples) : .nan }

    /// Records one sample's pre-update loss and correctness, in task `task`.
    @inline(__always)
    public mutating func record(loss: Float, correct isCorrect: Bool, task: Int) {
        let loss = Double(loss)
        samples += 1; lossSum += loss
        binSamples += 1; binLossSum += loss
        if isCorrect { correct += 1; binCorrect += 1 }
        if tasks.isEmpty || tasks[tasks.count - 1].task != task {
            tasks.append(TaskSummary(task: task, samples: 0, lossSum: 0, correct: 0, testAccuracy: nil, testSamples: 0))
        }
        tasks[tasks.count - 1].samples += 1
        tasks[tasks.count - 1].lossSum += loss
        if isCorrect { tasks[tasks.count - 1].correct += 1 }
    }

    /// Marks the end of an optimizer step; returns true when it closes a bin of `logEvery` steps.
    @inline(__always)
    public mutating func endStep(logEvery: Int) -> Bool {
        steps += 1; binSteps += 1
        return binSteps >= logEvery
    }

    /// Whether a bin is open (steps recorded since the last curve row).
    public var hasOpenBin: Bool { binSteps > 0 }

    /// Closes the current bin into a curve row.
    public mutating func closeBin(task: Int, stepSizes: [Double]) {
        guard binSamples > 0 else { return }
        curve.append(CurveRow(step: steps, task: task, onlineLoss: binLossSum / Double(binSamples),
                              onlineAccuracy: Double(binCorrect) / Double(binSamples),
                              cumulativeAccuracy: Double(correct) / Double(samples), stepSizes: stepSizes))
        binSamples = 0; binLossSum = 0; binCorrect = 0; binSteps = 0
    }

    public mutating func setTestAccuracy(_ accuracy: Double, samples testSamples: Int, task: Int,
                                         atTrainingPoint: Double? = nil) {
        guard let index = tasks.lastIndex(where: { $0.task == task }) else { return }
        tasks[index].testAccuracy = accuracy
        tasks[index].testSamples = testSamples
        tasks[index].testAccuracyAtTrainingPoint = atTrainingPoint
    }
}
