import Foundation

/// A one-line progress bar redrawn on stderr (for terminals): percent, steps/s, ETA, running online loss.
public final class ProgressBar: RunProgress {
    private let label: String
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var lastDraw: ContinuousClock.Instant
    private var firstStep: Int?

    public init(label: String) {
        self.label = label
        start = clock.now
        lastDraw = start
    }

    public func update(step: Int, totalSteps: Int, recentLoss: Double) {
        let now = clock.now
        if firstStep == nil { firstStep = step }
        guard now - lastDraw > .milliseconds(200) || step == totalSteps else { return }
        lastDraw = now
        let seconds = (now - start).seconds
        let rate = seconds > 0 ? Double(step - (firstStep ?? 0)) / seconds : 0
        let fraction = totalSteps > 0 ? Double(step) / Double(totalSteps) : 1
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let eta = rate > 0 ? formatDuration(Double(totalSteps - step) / rate) : "--"
        let line = String(format: "\r%@ %@ %5.1f%% %d/%d  %.0f steps/s  ETA %@  loss %.4f\u{1B}[K",
                          label, bar, fraction * 100, step, totalSteps, rate, eta, recentLoss)
        FileHandle.standardError.write(Data(line.utf8))
    }

    public func finish() { FileHandle.standardError.write(Data("\n".utf8)) }
}

/// Plain progress lines on stderr every `interval` (for logs and non-terminals).
public final class ProgressLog: RunProgress {
    private let label: String
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var lastLine: ContinuousClock.Instant
    private let interval: Duration

    public init(label: String, interval: Duration = .seconds(10)) {
        self.label = label
        self.interval = interval
        start = clock.now
        lastLine = start
    }

    public func update(step: Int, totalSteps: Int, recentLoss: Double) {
        let now = clock.now
        guard now - lastLine >= interval else { return }
        lastLine = now
        let seconds = (now - start).seconds
        let line = String(format: "%@: step %d/%d (%.1f%%), %.0f steps/s, loss %.4f\n", label, step, totalSteps,
                          100 * Double(step) / Double(max(totalSteps, 1)), seconds > 0 ? Double(step) / seconds : 0, recentLoss)
        FileHandle.standardError.write(Data(line.utf8))
    }

    public func finish() {}
}

func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "--" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
}

extension Duration {
    /// The duration in seconds.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
