import Foundation
import MetaOptimize
import SIMDSupport

/// Schedule-Free AdamW and SGD (Defazio et al., NeurIPS 2024, arXiv 2405.15682) as `schedulefree` 1.4.1
/// `AdamWScheduleFree` / `SGDScheduleFree` compute them in train mode (spec §4). The weights buffer holds the
/// gradient point y; the state holds z; the evaluation point x = y + (1/β1 − 1)·(y − z) (PyTorch's `.eval()`) is
/// given by ``evaluationWeights(training:into:)``. One parameter group. Logged step size: the scheduled lr γ; also
/// the averaging weight c.
final class ScheduleFree: Competitor {
    let adam: Bool
    var basics: CompetitorBasics
    let buffers: StateBuffers
    let stepSizeReport = oneStepSize(alsoTracing: "averaging_weight")

    // State (spec §4). Per group, double: k, weight_sum, lr_max. Per element, Float32: z (copy of y at the first
    // step), and for AdamW v.
    var k = 0.0, weightSum = 0.0, lrMax = -1.0
    var lastLR: Double, lastC = 0.0
    let z: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>

    let lr, beta1, beta2, eps, wd, r, weightLRPower: Double
    let warmupSteps: Int

    init(tensors: [TensorDescriptor], spans: [TensorSpan], settings c: CompetitorSettings, adam: Bool) {
        self.adam = adam
        basics = CompetitorBasics(name: adam ? "schedule-free-adamw" : "schedule-free-sgd", tensors: tensors, spans: spans, settings: c)
        lr = c.lr!; beta1 = c.beta1!; beta2 = c.beta2 ?? 0; eps = c.eps ?? 0; wd = c.weightDecay
        r = c.scheduleFreeR!; weightLRPower = c.weightLrPower!; warmupSteps = c.warmupSteps!
        lastLR = warmupSteps > 0 ? lr / Double(warmupSteps) : lr
        let n = spans.last!.offset + spans.last!.count
        buffers = StateBuffers([("z", n), ("exp_avg_sq", adam ? n : 0)])
        z = buffers["z"]; v = buffers["exp_avg_sq"]
    }

    var summary: String {
        "Schedule-Free \(adam ? "AdamW" : "SGD") (schedulefree 1.4.1): lr = \(lr), β1 = \(beta1), warmup_steps = \(warmupSteps), weight_decay = \(wd)"
    }

    static var scalarFields: [(String, ReferenceWritableKeyPath<ScheduleFree, Double>)] {
        [
            ("k", \.k), ("weight_sum", \.weightSum), ("lr_max", \.lrMax), ("scheduled_lr", \.lastLR),
            ("averaging_weight", \.lastC),
        ]
    }

    func traceValue(_ c: Int) -> Double { c == 0 ? lastLR : lastC }
    func curveValue(_ c: Int) -> Double { lastLR }

    var hasSeparateEvaluationPoint: Bool { true }

    /// x = lerp(y, z, 1 − 1/β1) element-wise (PyTorch `.eval()`); before the first step (no z yet) x = y.
    func evaluationWeights(training: UnsafeBufferPointer<Float>, into evaluation: UnsafeMutableBufferPointer<Float>) {
        let y = training.baseAddress!, x = evaluation.baseAddress!
        guard k > 0 else {
            copyFloats(x, y, parameterCount)
            return
        }
        let weight = Float(1 - 1 / beta1)
        var i = 0
        let countI = parameterCount
        while i < countI {
            let n = Swift.min(8, countI - i)
            st(x, i, n, lerp8(ld(y, i, n), ld(z, i, n), weight))
            i += 8
        }
    }

    func update(weights w: UnsafeMutablePointer<Float>, gradients g: GradientSource, loss: Float) -> DivergenceReason? {
        let sched = k < Double(warmupSteps) ? (k + 1) / Double(warmupSteps) : 1
        let biasCorrection2 = 1 - pow(beta2, k + 1)
        let gamma = lr * sched
        lrMax = max(gamma, lrMax)
        let weight = pow(k + 1, r) * pow(lrMax, weightLRPower)
        weightSum += weight
        let c = weightSum == 0 ? 0 : weight / weightSum
        let n = parameterCount
        if k == 0 { copyFloats(z, w, n) }
        let b2 = Float(beta2), c2 = Float(1 - beta2), bc2 = Float(biasCorrection2), epsF = Float(eps)
        let cF = Float(c), yScale = Float(gamma * (beta1 * (1 - c) - 1)), zScale = Float(gamma)
        var pass = ScheduleFreePass(w: w, z: z, v: v, adam: adam, decay: CoupledDecay(wd, isOn: wd != 0), beta2: b2, c2: c2, bc2: bc2, eps: epsF,
                                    c: cF, yScale: yScale, zScale: zScale)
        pass = g.run(pass, from: 0, count: n)
        lastLR = gamma
        lastC = c
        k += 1
        return gamma.isFinite && c.isFinite ? nil : .nonFiniteStepSize
    }
}

/// Schedule-free's pass (train mode): v (AdamW), y ← lerp(y, z, c) + yScale·g', z ← z − γ·g'.
private struct ScheduleFreePass: GradientPass {
    let w: UnsafeMutablePointer<Float>, z: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    let adam: Bool, decay: CoupledDecay, beta2: Float, c2: Float, bc2: Float, eps: Float, c: Float
    let yScale: Float, zScale: Float

    @inline(__always)
    mutating func chunk(_ i: Int, _ lanes: Int, _ g: V8) {
        var gv = g
        if adam {
            let vv = ld(v, i, lanes) * splat(beta2) + splat(c2) * gv * gv
            st(v, i, lanes, vv)
            gv = gv / (squareRoot8(vv / splat(bc2)) + splat(eps))
        }
        var yv = ld(w, i, lanes)
        gv = decay(gv, yv)
        let zv = ld(z, i, lanes)
        yv = lerp8(yv, zv, c)
        st(w, i, lanes, yv + splat(yScale) * gv)
        st(z, i, lanes, zv - splat(zScale) * gv)
    }
}
