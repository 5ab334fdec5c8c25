import Foundation

// How MetaOptimize reports its step sizes through the ``Optimizer`` interface:
// - one group (scalar): curve `step_size` (α = exp(β) × schedule factor), trace `log_step_size` (β) and
//   `meta_gradient` (z_t, the value that step fed to the meta rule);
// - a few groups (blocks, last-layer-and-others, layerwise): `step_size_0`, … / `log_step_size_0`, …, then
//   `meta_gradient_0`, …;
// - per-node or per-weight groups: `log_step_size_mean`, `log_step_size_min`, `log_step_size_max` (of β).

extension MetaOptimizer {
    static func report(granularity: Granularity, groupCount: Int, blocks: [StepSizeBlock]) -> StepSizeReport {
        switch granularity {
        case .nodewise, .weightwise:
            let columns = ["log_step_size_mean", "log_step_size_min", "log_step_size_max"]
            return StepSizeReport(groupNames: ["mean", "min", "max"], curveColumns: columns, traceColumns: columns,
                                  curveIsLogSummary: true)
        case .scalar, .blocks, .lastLayerAndOthers, .layerwise:
            let names = blocks.map(\.name)
            if groupCount == 1 {
                return StepSizeReport(groupNames: names, curveColumns: ["step_size"],
                                      traceColumns: ["log_step_size", "meta_gradient"])
            }
            return StepSizeReport(groupNames: names, curveColumns: (0 ..< groupCount).map { "step_size_\($0)" },
                                  traceColumns: (0 ..< groupCount).map { "log_step_size_\($0)" }
                                    + (0 ..< groupCount).map { "meta_gradient_\($0)" })
        }
    }

    /// α = exp(β)·schedule factor per group (what the next step uses), or the mean/min/max of β.
    public func curveStepSizes(into values: UnsafeMutableBufferPointer<Double>) {
        if stepSizeReport.curveIsLogSummary {
            Self.summarize(beta, count: groupCount, into: values)
        } else {
            for j in 0 ..< groupCount { values[j] = stepSize(group: j) }
        }
    }

    /// β at the start of the step just completed (the step size its base update used, before any meta update)
    /// then that step's meta-gradients z, or the mean/min/max of β.
    public func traceStepSizes(into values: UnsafeMutableBufferPointer<Double>) {
        if stepSizeReport.curveIsLogSummary {
            Self.summarize(betaAtStepStart, count: groupCount, into: values)
        } else {
            for j in 0 ..< groupCount {
                values[j] = Double(betaAtStepStart[j])
                values[groupCount + j] = Double(z[j])
            }
        }
    }

    /// β per group, or the mean/min/max of β for nodewise and weightwise step sizes.
    public var finalLogStepSizes: [Double] {
        var values = [Double](repeating: 0, count: stepSizeReport.curveIsLogSummary ? 3 : groupCount)
        values.withUnsafeMutableBufferPointer { buffer in
            if stepSizeReport.curveIsLogSummary {
                Self.summarize(beta, count: groupCount, into: buffer)
            } else {
                for j in 0 ..< groupCount { buffer[j] = Double(beta[j]) }
            }
        }
        return values
    }

    /// Mean (accumulated in Double, in order), min and max of β.
    static func summarize(_ betas: UnsafePointer<Float>, count: Int, into values: UnsafeMutableBufferPointer<Double>) {
        var sum = 0.0, low = Float.infinity, high = -Float.infinity
        for j in 0 ..< count {
            let b = betas[j]
            sum += Double(b)
            low = min(low, b)
            high = max(high, b)
        }
        values[0] = count == 0 ? .nan : sum / Double(count)
        values[1] = Double(low)
        values[2] = Double(high)
    }

    /// E.g. "MetaOptimize: AdamW base (faithful), Adam meta, scalar, α0 = 1e-05, η = 0.001, γ = 0.999".
    public var summary: String { configuration.metaOptimizeSummary(name: "MetaOptimize") }
}
