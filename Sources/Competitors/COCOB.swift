import Foundation
import MetaOptimize
import SIMDSupport

/// COCOB-Backprop (Orabona & Tommasi, NeurIPS 2017, arXiv 1705.07795) as `parameterfree` 0.0.1 `COCOB` computes
/// it (spec §6.1): per-coordinate coin betting, w = x0 + (R + L)·θ / (max(G + L, α·L)·L). Logged step size: the
/// mean and the max over all weights of the per-coordinate rate (R + L)/den after the step.
final class COCOB: Competitor {
    var basics: CompetitorBasics
    let buffers: StateBuffers
    let stepSizeReport = StepSizeReport(groupNames: ["mean", "max"], curveColumns: ["step_size_mean", "step_size_max"],
                                        traceColumns: ["step_size_mean", "step_size_max"])

    // State (spec §6.1), per element, Float32: θ (sum of negative gradients), G (sum of |g|), L (max |g|, from
    // eps), R (reward), x0 (copy at the first step).
    let theta: UnsafeMutablePointer<Float>, gsum: UnsafeMutablePointer<Float>, lmax: UnsafeMutablePointer<Float>
    let reward: UnsafeMutablePointer<Float>, x0: UnsafeMutablePointer<Float>
    var k = 0.0, rateMean = 0.0, rateMax = 0.0

    let alpha, eps, wd: Double

    init(tensors: [TensorDescriptor], spans: [TensorSpan], settings c: CompetitorSettings) {
        basics = CompetitorBasics(name: "cocob", tensors: tensors, spans: spans, settings: c)
        alpha = c.cocobAlpha!; eps = c.eps!; wd = c.weightDecay
        let n = spans.last!.offset + spans.last!.count
        buffers = StateBuffers([("gradients_sum", n), ("grad_norm_sum", n), ("L", n), ("reward", n), ("x0", n)])
        theta = buffers["gradients_sum"]; gsum = buffers["grad_norm_sum"]; lmax = buffers["L"]
        reward = buffers["reward"]; x0 = buffers["x0"]
        lmax.update(repeating: Float(eps), count: n)
    }

    var summary: String { "COCOB-Backprop (parameterfree 0.0.1): alpha = \(alpha), weight_decay = \(wd)" }

    static var scalarFields: [(String, ReferenceWritableKeyPath<COCOB, Double>)] {
        [
            ("k", \.k), ("rate_mean", \.rateMean), ("rate_max", \.rateMax),
        ]
    }

    func traceValue(_ c: Int) -> Double { c == 0 ? rateMean : rateMax }
    func curveValue(_ c: Int) -> Double { c == 0 ? rateMean : rateMax }

    func update(weights w: UnsafeMutablePointer<Float>, gradients g: GradientSource, loss: Float) -> DivergenceReason? {
        let n = parameterCount
        if k == 0 { copyFloats(x0, w, n) }
        let alphaF = Float(alpha)
        let decay = wd != 0
        var rateSum = 0.0, highest = -Float.infinity
        for span in spans {
            var pass = COCOBPass(w: w, x0: x0, theta: theta, gsum: gsum, lmax: lmax, reward: reward, decay: CoupledDecay(wd, isOn: decay),
                                 alpha: alphaF)
            pass = g.runApart(pass, from: span.offset, count: span.count)
            let sum = pass.sum, high = pass.high
            rateSum += Double(horizontalSum(sum))
            highest = max(highest, high.max())
        }
        rateMean = rateSum / Double(n)
        rateMax = Double(highest)
        k += 1
        return rateMean.isFinite ? nil : .nonFiniteStepSize
    }
}

/// COCOB's pass over one tensor: the betting update of L, θ, G, R and w, and the lane sum and max of the rate.
private struct COCOBPass: GradientPass {
    let w: UnsafeMutablePointer<Float>, x0: UnsafeMutablePointer<Float>, theta: UnsafeMutablePointer<Float>
    let gsum: UnsafeMutablePointer<Float>, lmax: UnsafeMutablePointer<Float>, reward: UnsafeMutablePointer<Float>
    let decay: CoupledDecay, alpha: Float
    var sum = V8(), high = V8(repeating: -.infinity)

    @inline(__always)
    mutating func chunk(_ j: Int, _ lanes: Int, _ g: V8) {
        let p = ld(w, j, lanes), start = ld(x0, j, lanes)
        let gv = decay(g, p)
        let l = max8(ld(lmax, j, lanes), abs8(gv))
        let th = ld(theta, j, lanes) - gv
        let gs = ld(gsum, j, lanes) + abs8(gv)
        let r = max8(ld(reward, j, lanes) - gv * (p - start), V8())
        let den = max8(gs + l, splat(alpha) * l) * l
        let rl = r + l
        st(lmax, j, lanes, l)
        st(theta, j, lanes, th)
        st(gsum, j, lanes, gs)
        st(reward, j, lanes, r)
        st(w, j, lanes, rl * th / den + start)
        let rate = rl / den
        if lanes == 8 {
            sum += rate
            high = max8(high, rate)
        } else {
            // Padded tail lanes are 0/0: keep them out of the sum and the max.
            sum += rate.replacing(with: 0, where: laneMask(lanes) .== 0)
            high = max8(high, rate.replacing(with: -.infinity, where: laneMask(lanes) .== 0))
        }
    }
}
