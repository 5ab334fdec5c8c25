import Foundation
import MetaOptimize
import SIMDSupport

/// Mechanic (Cutkosky, Defazio & Mehta, NeurIPS 2023, arXiv 2306.00144) as `mechanic-pytorch` 0.0.1
/// `mechanize(Base)` computes it (spec §5): the base optimizer's updates u are accumulated into Δ and the weights
/// set to ref + S·Δ, the scale S = Σ sᵢ learned by n parallel betting tuners. The base rule is standard PyTorch
/// (torch.optim.AdamW, Adam or SGD), computed here. Logged step size: S′·lr_base; also S′.
final class Mechanic: Competitor {
    var basics: CompetitorBasics
    let buffers: StateBuffers
    let stepSizeReport = oneStepSize(alsoTracing: "scale")

    // State (spec §5). Tuner, Float32 vectors of length n: s, v, r, m. Per element, Float32: ref (weights before
    // the first base step) and, with store_delta, Δ. The base rule's state: AdamW/Adam m, v; SGD momentum buffer.
    // The base step count is the number of steps taken (k).
    let ts: UnsafeMutablePointer<Float>, tv: UnsafeMutablePointer<Float>
    let tr: UnsafeMutablePointer<Float>, tm: UnsafeMutablePointer<Float>
    let ref: UnsafeMutablePointer<Float>
    let delta: UnsafeMutablePointer<Float>
    let baseM: UnsafeMutablePointer<Float>, baseV: UnsafeMutablePointer<Float>
    var k = 0.0
    /// Δ when it is not state (store_delta false): per-step scratch, allocated once.
    let scratch: UnsafeMutablePointer<Float>?
    let betas: UnsafeMutablePointer<Float>

    let base: MechanicBase
    let lr, wd, beta1, beta2, eps, momentum, sDecay, sInit: Double
    let storeDelta: Bool
    let tunerCount: Int
    let tunerEps: Float = 1e-8

    init(tensors: [TensorDescriptor], spans: [TensorSpan], settings c: CompetitorSettings) {
        basics = CompetitorBasics(name: "mechanic", tensors: tensors, spans: spans, settings: c)
        base = c.mechanicBase!
        lr = c.lr!; wd = c.weightDecay; beta1 = c.beta1 ?? 0; beta2 = c.beta2 ?? 0; eps = c.eps ?? 0
        momentum = c.sgdMomentum ?? 0; sDecay = c.sDecay!; sInit = c.sInit!; storeDelta = c.storeDelta!
        let tunerBetas = c.mechanicBetas!
        tunerCount = tunerBetas.count
        let n = spans.last!.offset + spans.last!.count
        let adamBase = base != .sgd
        buffers = StateBuffers([
            ("s", tunerCount), ("v", tunerCount), ("r", tunerCount), ("m", tunerCount), ("ref", n),
            ("delta", storeDelta ? n : 0),
            ("exp_avg", adamBase ? n : 0), ("exp_avg_sq", adamBase ? n : 0),
            ("momentum_buffer", !adamBase && momentum != 0 ? n : 0),
        ])
        ts = buffers["s"]; tv = buffers["v"]; tr = buffers["r"]; tm = buffers["m"]; ref = buffers["ref"]
        baseM = adamBase ? buffers["exp_avg"] : buffers["momentum_buffer"]
        baseV = buffers["exp_avg_sq"]
        tm.update(repeating: 1e-6, count: tunerCount)
        if storeDelta {
            scratch = nil
            delta = buffers["delta"]
        } else {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            scratch = p
            delta = p
        }
        betas = .allocate(capacity: tunerCount)
        for (j, b) in tunerBetas.enumerated() { betas[j] = Float(b) }
    }

    deinit {
        scratch?.deallocate()
        betas.deallocate()
    }

    var summary: String {
        "Mechanic (mechanic-pytorch 0.0.1) on torch \(base): base lr = \(lr), weight_decay = \(wd), s_decay = \(sDecay)"
    }

    static var scalarFields: [(String, ReferenceWritableKeyPath<Mechanic, Double>)] {
        [
            ("k", \.k),
        ]
    }

    /// S = Σ sᵢ (Float32, in order).
    var scale: Float {
        var total: Float = 0
        for j in 0 ..< tunerCount { total += ts[j] }
        return total
    }

    func traceValue(_ c: Int) -> Double { c == 0 ? Double(scale) * lr : Double(scale) }
    func curveValue(_ c: Int) -> Double { Double(scale) * lr }

    func update(weights w: UnsafeMutablePointer<Float>, gradients g: GradientSource, loss: Float) -> DivergenceReason? {
        let n = parameterCount
        if k == 0 { copyFloats(ref, w, n) }
        let oldScale = scale
        let step = k + 1
        var pass = MechanicPass(
            w: w, ref: ref, delta: delta, baseM: baseM, baseV: baseV, base: base, storeDelta: storeDelta,
            decay: wd != 0, firstStep: k == 0, offsetDivisor: splat(oldScale + tunerEps), lr: Float(lr),
            wd: Float(wd), shrink: Float(1 - lr * wd), b1w: Float(1 - beta1), beta2: Float(beta2),
            c2: Float(1 - beta2), stepSize: Float(-(lr / (1 - pow(beta1, step)))),
            bc2Root: Float((1 - pow(beta2, step)).squareRoot()), eps: Float(eps), momentum: Float(momentum))
        pass = g.run(pass, from: 0, count: n)
        let nx2 = pass.nx2, ng2 = pass.ng2, hg = pass.hg, hx = pass.hx
        let nx = horizontalSum(nx2).squareRoot(), ng = horizontalSum(ng2).squareRoot()
        let coefficient = Float(sDecay) * oldScale * (ng / (nx + tunerEps))
        let h = horizontalSum(hg) + coefficient * horizontalSum(hx)
        let sInitF = Float(sInit), count = Float(tunerCount)
        for j in 0 ..< tunerCount {
            let b = betas[j], sOld = ts[j]
            tm[j] = max(b * tm[j], abs(h))
            tv[j] = b * b * tv[j] + h * h
            tr[j] = max(b * tr[j] - sOld * h, 0)
            ts[j] = (tm[j] * sInitF / count + tr[j]) / (tv[j].squareRoot() + tunerEps)
        }
        var weights = MechanicWeights(w: w, ref: ref, delta: delta, scale: splat(max(scale, 0)))
        weights = runWithoutGradient(weights, from: 0, count: n)
        k += 1
        return scale.isFinite ? nil : .nonFiniteStepSize
    }
}

/// Mechanic's first pass: the base rule's step x → x1 (its state updated), Δ ← Δ + (x1 − x) (Δ recomputed from
/// ref when not stored), and the lane sums of x1², g², Δ·g, Δ·x1 (old Δ).
private struct MechanicPass: GradientPass {
    let w: UnsafeMutablePointer<Float>, ref: UnsafeMutablePointer<Float>, delta: UnsafeMutablePointer<Float>
    let baseM: UnsafeMutablePointer<Float>, baseV: UnsafeMutablePointer<Float>
    let base: MechanicBase, storeDelta: Bool, decay: Bool, firstStep: Bool
    let offsetDivisor: V8, lr: Float, wd: Float, shrink: Float, b1w: Float, beta2: Float, c2: Float
    let stepSize: Float, bc2Root: Float, eps: Float, momentum: Float
    var nx2 = V8(), ng2 = V8(), hg = V8(), hx = V8()

    @inline(__always)
    mutating func chunk(_ i: Int, _ lanes: Int, _ gv: V8) {
        let x = ld(w, i, lanes)
        var x1: V8
        switch base {
        case .adamw, .adam:
            var gg = gv, p = x
            if decay { if base == .adamw { p = x * splat(shrink) } else { gg = gv + splat(wd) * x } }
            let mOld = ld(baseM, i, lanes)
            let mv = mOld + splat(b1w) * (gg - mOld)
            let vv = ld(baseV, i, lanes) * splat(beta2) + splat(c2) * gg * gg
            st(baseM, i, lanes, mv)
            st(baseV, i, lanes, vv)
            x1 = p + splat(stepSize) * mv / (squareRoot8(vv) / splat(bc2Root) + splat(eps))
        case .sgd:
            var gg = gv
            if decay { gg = gv + splat(wd) * x }
            if momentum != 0 {
                gg = firstStep ? gg : ld(baseM, i, lanes) * splat(momentum) + gg
                st(baseM, i, lanes, gg)
            }
            x1 = x - splat(lr) * gg
        }
        let dv = storeDelta ? ld(delta, i, lanes) : (x - ld(ref, i, lanes)) / offsetDivisor
        nx2 = nx2.addingProduct(x1, x1)
        ng2 = ng2.addingProduct(gv, gv)
        hg = hg.addingProduct(dv, gv)
        hx = hx.addingProduct(dv, x1)
        st(delta, i, lanes, dv + (x1 - x))
    }
}

/// Mechanic's second pass: w ← ref + S·Δ.
private struct MechanicWeights: GradientPass {
    let w: UnsafeMutablePointer<Float>, ref: UnsafeMutablePointer<Float>, delta: UnsafeMutablePointer<Float>
    let scale: V8

    @inline(__always)
    mutating func chunk(_ e: Int, _ lanes: Int, _ g: V8) {
        st(w, e, lanes, ld(ref, e, lanes) + ld(delta, e, lanes) * scale)
    }
}
