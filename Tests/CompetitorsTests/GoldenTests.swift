import Foundation
import MetaOptimize
import Testing
@testable import Competitors

/// The spec's §9 problem: nn.Linear(4, 3) with cross-entropy, one sample per step, float32.
enum LinearProblem {
    static let weights: [Float] = [0.02, -0.01, 0.03, 0.015,
                                   -0.025, 0.01, 0.005, -0.02,
                                   0.01, 0.02, -0.015, 0.005,
                                   0.01, -0.02, 0.005]
    static let samples: [([Float], Int)] = [
        ([1.0, 0.5, -0.5, 0.8], 0), ([0.9, 0.6, -0.4, 1.0], 0), ([1.1, 0.4, -0.6, 0.7], 0),
        ([0.8, 0.7, -0.3, 0.9], 0), ([-0.7, 0.2, 1.0, -0.6], 2), ([-0.9, 0.1, 1.2, -0.4], 2),
    ]
    static let tensors = [TensorDescriptor(name: "weight", shape: [3, 4]), TensorDescriptor(name: "bias", shape: [3])]

    /// Loss −log_softmax(W·x + b)[y] and its gradient (dW = dz ⊗ x, db = dz, dz = softmax − onehot), Float32.
    static func lossAndGradient(_ w: [Float], _ x: [Float], _ y: Int) -> (Float, [Float]) {
        var z = [Float](repeating: 0, count: 3)
        for j in 0 ..< 3 {
            var sum: Float = 0
            for i in 0 ..< 4 { sum += w[4 * j + i] * x[i] }
            z[j] = sum + w[12 + j]
        }
        let top = z.max()!
        var total: Float = 0
        for j in 0 ..< 3 { total += Foundation.exp(z[j] - top) }
        let logSum = top + Foundation.log(total)
        var g = [Float](repeating: 0, count: 15)
        for j in 0 ..< 3 {
            let dz = Foundation.exp(z[j] - logSum) - (j == y ? 1 : 0)
            for i in 0 ..< 4 { g[4 * j + i] = dz * x[i] }
            g[12 + j] = dz
        }
        return (logSum - z[y], g)
    }
}

/// The settings of each golden case (spec §9 headings).
func goldenSettings(_ method: CompetitorMethod, _ name: String) -> CompetitorSettings {
    var s = CompetitorSettings()
    switch (method, name) {
    case (_, "A"): break
    case (.prodigy, "B"), (.dadaptAdam, "B"), (.dadaptSGD, "B"), (.dadaptAdaGrad, "B"), (.dadaptLion, "B"),
         (.dog, "B"), (.ldog, "B"), (.scheduleFreeAdamW, "B"), (.scheduleFreeSGD, "B"), (.cocob, "B"), (.kt, "B"):
        s.weightDecay = 0.1
    case (.prodigy, "C"): s.weightDecay = 0.1; s.decouple = false
    case (.prodigy, "D"), (.dadaptAdam, "D"): s.useBiasCorrection = true
    case (.prodigy, "E"): s.lr = 0.5; s.safeguardWarmup = true; s.growthRate = 1.02
    case (.prodigy, "F"): s.beta1 = 0; s.beta2 = 0.99; s.sliceP = 3; s.dCoef = 2
    case (.dadaptAdam, "C"): s.weightDecay = 0.1; s.decouple = true
    case (.dadaptAdam, "E"): s.growthRate = 1.5
    case (.dadaptSGD, "C"): s.sgdMomentum = 0.9
    case (.dog, "C"): s.initEta = 1e-4
    case (.scheduleFreeAdamW, "C"): s.warmupSteps = 3; s.scheduleFreeR = 0.5
    case (.mechanic, "B"): s.mechanicBase = .adamw; s.weightDecay = 0.1
    case (.mechanic, "C"): s.mechanicBase = .adam; s.lr = 1
    case (.mechanic, "D"): s.mechanicBase = .adamw; s.lr = 1; s.weightDecay = 0.1; s.storeDelta = true
    default: Issue.record("no settings for \(method) case \(name)")
    }
    if method == .mechanic && name == "A" { s.mechanicBase = .adam }
    return s
}

/// Runs a golden case for six steps; returns, per step, the spec's columns as this implementation computes them.
func runGoldenCase(_ method: CompetitorMethod, _ name: String) throws -> [[Double]] {
    let optimizer = try makeCompetitor(method, tensors: LinearProblem.tensors, settings: goldenSettings(method, name))
    var w = LinearProblem.weights
    var rows: [[Double]] = []
    let traceCount = optimizer.stepSizeReport.traceColumns.count
    var trace = [Double](repeating: 0, count: traceCount)
    for (x, y) in LinearProblem.samples {
        let (loss, g) = LinearProblem.lossAndGradient(w, x, y)
        var lossAtX = loss
        if optimizer.hasSeparateEvaluationPoint {
            var e = [Float](repeating: 0, count: w.count)
            w.withUnsafeBufferPointer { wb in e.withUnsafeMutableBufferPointer { optimizer.evaluationWeights(training: wb, into: $0) } }
            lossAtX = LinearProblem.lossAndGradient(e, x, y).0
        }
        let ok = w.withUnsafeMutableBufferPointer { wb in
            g.withUnsafeBufferPointer { optimizer.step(weights: wb, gradients: $0, loss: loss) }
        }
        #expect(ok)
        trace.withUnsafeMutableBufferPointer { optimizer.traceStepSizes(into: $0) }
        let probes = [w[0], w[11], w[13]].map(Double.init)
        if optimizer.hasSeparateEvaluationPoint {
            var e = [Float](repeating: 0, count: w.count)
            w.withUnsafeBufferPointer { wb in e.withUnsafeMutableBufferPointer { optimizer.evaluationWeights(training: wb, into: $0) } }
            rows.append([Double(loss), Double(lossAtX)] + trace.prefix(2) + probes + [e[0], e[11], e[13]].map(Double.init))
        } else {
            rows.append([Double(loss)] + trace.prefix(2) + probes)
        }
    }
    return rows
}

struct GoldenCase: CustomTestStringConvertible, Sendable {
    let method: CompetitorMethod
    let name: String
    var testDescription: String { "\(method) \(name)" }
    static var all: [GoldenCase] {
        var seen: [String] = []
        var cases: [GoldenCase] = []
        for row in goldenRows where !seen.contains("\(row.method) \(row.caseName)") {
            seen.append("\(row.method) \(row.caseName)")
            cases.append(GoldenCase(method: row.method, name: row.caseName))
        }
        return cases
    }
}

@Suite("Competitors: golden values of spec §9")
struct GoldenTests {
    @Test("Every listed method and case reproduces the reference packages' losses, logged step sizes and weights within the spec's tolerances",
          arguments: GoldenCase.all)
    func golden(_ c: GoldenCase) throws {
        let got = try runGoldenCase(c.method, c.name)
        let scheduleFree = c.method == .scheduleFreeAdamW || c.method == .scheduleFreeSGD
        for row in goldenRows where row.method == c.method && row.caseName == c.name {
            let values = got[row.step - 1]
            #expect(values.count == row.values.count)
            for (k, (have, want)) in zip(values, row.values).enumerated() {
                let isLoss = scheduleFree ? k < 2 : k == 0
                let isStepSize = scheduleFree ? (k == 2 || k == 3) : (k == 1 || k == 2)
                let tolerance = isLoss ? 1e-6 * abs(want) + 2e-7 : (isStepSize ? 3e-5 * abs(want) : 3e-5 * abs(want) + 1e-9)
                #expect(abs(have - want) <= tolerance,
                        "\(c.method) \(c.name) t=\(row.step) column \(k): got \(have), want \(want)")
            }
        }
    }

    @Test("Every method of the suite has golden cases (the spec lists all twelve)")
    func coverage() {
        #expect(Set(goldenRows.map(\.method)) == Set(CompetitorMethod.allCases))
    }
}
