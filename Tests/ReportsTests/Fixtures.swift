import Foundation
@testable import Reports

/// Shared builders of hand-made records and summaries for the Reports tests.
enum Fixtures {
    /// A record with the fields the tests care about; the rest plausible defaults.
    static func record(_ id: String, group: String = "g", label: String? = nil, method: MethodKind = .fixed,
                       grid: String? = nil, alpha0: Double = 1e-3, seed: UInt64, loss: Double?,
                       accuracy: Double? = 0.5, cumulative: Double? = 0.5, diverged: Bool = false,
                       divergedAt: Int? = nil, curve: [CurvePoint] = [], stepSizeGroups: [String] = [],
                       fingerprint: String = "fp", taskTest: [Double?] = [], taskOnline: [Double] = [],
                       wall: Double = 1, stepsPerSecond: Double = 1000) -> RunRecord {
        RunRecord(configurationID: id, group: group, label: label ?? id, method: method, grid: grid, alpha0: alpha0,
                  seed: seed, streamFingerprint: "\(fingerprint)-\(seed)", diverged: diverged,
                  divergedAtStep: divergedAt, plannedSteps: 1000, steps: diverged ? (divergedAt ?? 0) : 1000,
                  onlineLoss: loss, onlineAccuracy: accuracy, cumulativeAccuracy: cumulative, curve: curve,
                  stepSizeGroups: stepSizeGroups, taskLength: 500, taskTestAccuracy: taskTest,
                  taskOnlineAccuracy: taskOnline, wallSeconds: wall, stepsPerSecond: stepsPerSecond)
    }

    /// A configuration summary with given online-loss estimate and everything else simple.
    static func configuration(_ id: String, loss: Estimate?, accuracy: Estimate? = nil, seeds: [UInt64] = [0, 1, 2],
                              diverged: Int = 0, stepsPerSecond: Estimate? = nil,
                              fingerprint: String = "fp") -> ConfigurationSummary {
        ConfigurationSummary(
            configurationID: id, group: "g", label: id, method: .fixed, grid: nil, alpha0: 1e-3, seeds: seeds,
            divergedCount: diverged,
            divergedSeeds: seeds.prefix(diverged).map { SeedDivergence(seed: $0, step: 10) },
            streamFingerprints: seeds.map { SeedFingerprint(seed: $0, fingerprint: "\(fingerprint)-\($0)") },
            onlineLoss: loss, onlineAccuracy: accuracy, stepsPerSecond: stepsPerSecond)
    }

    /// Tiny deterministic pseudo-random numbers in [0, 1) (SplitMix64).
    struct Noise {
        var state: UInt64
        mutating func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Double(z >> 11) / Double(1 << 53)
        }
    }

    /// A realistic-looking synthetic suite: one group with a 5-point AdamW grid (α = 1e-1 diverges on one seed),
    /// MetaOptimize scalar and last-layer-and-others, and hypergradient; 10 tasks of 500 steps logged every 50.
    static func syntheticSuite(group: String = "input-permuted", seeds: [UInt64] = [0, 1, 2]) -> [RunRecord] {
        let tasks = 10, taskLength = 500, every = 50
        var records: [RunRecord] = []
        func curve(seed: UInt64, floor: Double, tau: Double, alphas: (Int) -> [Double]) -> [CurvePoint] {
            var noise = Noise(state: seed &* 7919 &+ UInt64(floor * 1000))
            let offset = 0.06 * (noise.next() - 0.5)  // seed-to-seed spread, so that the s.e. bands show
            var correct = 0.0
            var points: [CurvePoint] = []
            for step in stride(from: every, through: tasks * taskLength, by: every) {
                let within = Double((step - 1) % taskLength)
                let loss = floor + offset + 1.6 * exp(-within / tau) * (1 + 6 * offset) + 0.08 * (noise.next() - 0.5)
                let acc = max(0, min(1, 1 - loss / 2.4))
                correct += acc * Double(every)
                points.append(CurvePoint(step: step, task: (step - 1) / taskLength, onlineLoss: loss,
                                         onlineAccuracy: acc, cumulativeAccuracy: correct / Double(step),
                                         stepSizes: alphas(step)))
            }
            return points
        }
        func summaryRecord(_ id: String, label: String, method: MethodKind, grid: String?, alpha0: Double,
                           seed: UInt64, points: [CurvePoint], groups: [String], diverged: Bool = false) -> RunRecord {
            let losses = points.map(\.onlineLoss)
            let mean = losses.reduce(0, +) / Double(max(losses.count, 1))
            var noise = Noise(state: seed &+ 99)
            let taskTest = (0..<tasks).map { k -> Double? in
                0.55 + 0.2 * (1 - mean / 2) + 0.01 * Double(k % 3) + 0.02 * noise.next()
            }
            return RunRecord(configurationID: id, group: group, label: label, method: method, grid: grid,
                             alpha0: alpha0, seed: seed, streamFingerprint: "stream-\(group)-\(seed)",
                             diverged: diverged, divergedAtStep: diverged ? 1234 : nil,
                             plannedSteps: tasks * taskLength, steps: diverged ? 1234 : tasks * taskLength,
                             onlineLoss: diverged ? .infinity : mean,
                             onlineAccuracy: points.map(\.onlineAccuracy).reduce(0, +) / Double(max(points.count, 1)),
                             cumulativeAccuracy: points.last?.cumulativeAccuracy, curve: diverged ? [] : points,
                             stepSizeGroups: groups, taskLength: taskLength, taskTestAccuracy: taskTest,
                             taskOnlineAccuracy: [], wallSeconds: 2.5, stepsPerSecond: 2000 + Double(seed))
        }
        let gridName = "\(group)/AdamW fixed"
        for alpha in [1e-5, 1e-4, 1e-3, 1e-2, 1e-1] {
            let distance = abs(log10(alpha) + 3)  // best at 1e-3
            for seed in seeds {
                let points = curve(seed: seed, floor: 0.45 + 0.18 * distance * distance, tau: 60 + 40 * distance,
                                   alphas: { _ in [alpha] })
                records.append(summaryRecord("\(group)/AdamW fixed/alpha0=\(NumberFormatting.alpha(alpha))",
                                             label: "AdamW fixed", method: .fixed, grid: gridName, alpha0: alpha,
                                             seed: seed, points: points, groups: ["all"],
                                             diverged: alpha == 1e-1 && seed == seeds.last))
            }
        }
        for seed in seeds {
            let scalar = curve(seed: seed, floor: 0.40, tau: 45) { step in
                let within = Double((step - 1) % taskLength)
                return [1e-3 * (0.3 + 2.5 * exp(-within / 80))]
            }
            records.append(summaryRecord("\(group)/MetaOptimize scalar", label: "MetaOptimize scalar",
                                         method: .metaOptimize, grid: nil, alpha0: 1e-4, seed: seed, points: scalar,
                                         groups: ["all"]))
            let blocks = curve(seed: seed, floor: 0.38, tau: 40) { step in
                let within = Double((step - 1) % taskLength)
                let growth = Double(step) / Double(tasks * taskLength)
                return [4e-4 * (0.2 + 2 * exp(-within / 70)), 1e-4 * (1 + 20 * growth)]
            }
            records.append(summaryRecord("\(group)/MetaOptimize blocks", label: "MetaOptimize last-layer-and-others",
                                         method: .metaOptimize, grid: nil, alpha0: 1e-4, seed: seed, points: blocks,
                                         groups: ["others", "last_layer"]))
            let hyper = curve(seed: seed, floor: 0.52, tau: 70) { step in [8e-4 * (1 + 0.2 * sin(Double(step) / 300))] }
            records.append(summaryRecord("\(group)/hypergradient", label: "Hypergradient descent",
                                         method: .hypergradient, grid: nil, alpha0: 1e-4, seed: seed, points: hyper,
                                         groups: ["all"]))
        }
        return records
    }
}
