import Foundation

/// A multiplier of the step size over the run: the step actually used is α = exp(β) · factor.
///
/// Steps are **0-based**: `step` = number of optimizer steps already taken (the first update uses step 0), and
/// `totalSteps` = T, the planned number of updates. Text form (also the Codable form): `constant`, `linear`,
/// `cosine`, `warmup-cosine:W`, `step:EVERY:FACTOR`.
public enum Schedule: TextCodable, Sendable, Equatable, Hashable {
    /// 1 at every step.
    case constant
    /// Linear decay to 0 over the run: 1 − s/T (0 from s = T on).
    case linear
    /// Cosine decay to 0 over the run: ½(1 + cos(π·s/T)) (0 from s = T on).
    case cosine
    /// Linear warm-up over W steps, (s+1)/W for s < W (reaching 1 at s = W−1), then cosine to 0 over the
    /// remaining T − W steps: ½(1 + cos(π·(s−W)/(T−W))).
    case warmupCosine(warmup: Int)
    /// Step decay: factor^⌊s/every⌋ (the first `every` steps use 1).
    case step(every: Int, factor: Double)

    /// Parses the text form.
    public init(parsing text: String) throws {
        let key = text.lowercased().trimmingWhitespace()
        let parts = key.split(separator: ":", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
        let names = ["constant", "linear", "cosine", "warmup-cosine:W", "step:EVERY:FACTOR"]
        switch parts[0] {
        case "constant" where parts.count == 1: self = .constant
        case "linear" where parts.count == 1: self = .linear
        case "cosine" where parts.count == 1: self = .cosine
        case "warmup-cosine":
            guard parts.count == 2, let w = Int(parts[1]), w >= 1 else {
                throw OptimizerError.invalidValue(field: "schedule", expected: "warmup-cosine:W with an integer W >= 1",
                                                  found: "'\(text)'")
            }
            self = .warmupCosine(warmup: w)
        case "step":
            guard parts.count == 3, let every = Int(parts[1]), let factor = Double(parts[2]) else {
                throw OptimizerError.invalidValue(field: "schedule", expected: "step:EVERY:FACTOR, e.g. step:1000:0.5",
                                                  found: "'\(text)'")
            }
            self = .step(every: every, factor: factor)
            try validate()
        default:
            throw OptimizerError.unknownName(field: "schedule", found: text, expected: names)
        }
    }

    /// Checks the parameters (warm-up >= 1, every >= 1, factor in (0, 1]).
    public func validate() throws {
        switch self {
        case .constant, .linear, .cosine: return
        case .warmupCosine(let w):
            guard w >= 1 else {
                throw OptimizerError.invalidValue(field: "schedule", expected: "a warm-up of at least 1 step",
                                                  found: description)
            }
        case .step(let every, let factor):
            guard every >= 1 else {
                throw OptimizerError.invalidValue(field: "schedule", expected: "step decay every >= 1 steps",
                                                  found: description)
            }
            guard factor.isFinite, factor > 0, factor <= 1 else {
                throw OptimizerError.invalidValue(field: "schedule", expected: "a step-decay factor in (0, 1]",
                                                  found: description)
            }
        }
    }

    /// Whether the factor depends on the planned number of steps.
    public var needsTotalSteps: Bool {
        switch self {
        case .linear, .cosine, .warmupCosine: return true
        case .constant, .step: return false
        }
    }

    /// The multiplier for 0-based step `step` of a run of `totalSteps` updates (computed in Double; the optimizer
    /// rounds it to Float32 when it multiplies α). Schedules that need T return 1 when `totalSteps <= 0`.
    public func factor(step: Int, totalSteps: Int) -> Double {
        let s = Double(max(step, 0))
        let t = Double(totalSteps)
        switch self {
        case .constant: return 1
        case .linear:
            guard totalSteps > 0 else { return 1 }
            return max(0, 1 - s / t)
        case .cosine:
            guard totalSteps > 0 else { return 1 }
            return step >= totalSteps ? 0 : 0.5 * (1 + cos(Double.pi * s / t))
        case .warmupCosine(let w):
            guard totalSteps > 0 else { return 1 }
            if step < w { return (s + 1) / Double(w) }
            guard step < totalSteps, totalSteps > w else { return 0 }
            return 0.5 * (1 + cos(Double.pi * (s - Double(w)) / (t - Double(w))))
        case .step(let every, let factor):
            guard every >= 1 else { return 1 }
            return pow(factor, Double(max(step, 0) / every))
        }
    }

    public var description: String {
        switch self {
        case .constant: return "constant"
        case .linear: return "linear"
        case .cosine: return "cosine"
        case .warmupCosine(let w): return "warmup-cosine:\(w)"
        case .step(let every, let factor): return "step:\(every):\(factor)"
        }
    }

}
