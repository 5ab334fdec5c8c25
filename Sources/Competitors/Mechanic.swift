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
    /// Δ when it is not state (store_delta false): scratch allocated once. Between steps it holds the next step's
    /// Δ = (w − ref)/(S + eps) when `offsetCachedFor` is the weights (see ``update(weights:gradients:loss:)``).
    let scratch: UnsafeMutablePointer<Float>?
    /// The weights whose next Δ the scratch holds, written by the last weight pass; nil before the first step and
    /// after a restore (then the first pass computes Δ from ref).
    var offsetCachedFor: UnsafeMutablePointer<Float>?
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

    func didRestore() { offsetCachedFor = nil }

    func traceValue(_ c: Int) -> Double { c == 0 ? Double(scale) * lr : Double(scale) }
    func curveValue(_ c: Int) -> Double { Double(scale) * lr }

    /// One step. With store_delta false, mechanic-pytorch recomputes Δ = (w − ref)/(S + eps) at the start of each
    /// step; the previous step's weight pass computed exactly that value (the same Float32 operations on the weights
    /// it wrote and the new S), so the first pass reads it and its division runs in the memory-bound weight pass. The
    /// weights between two steps are the ones the previous step left (the ``Optimizer`` contract); a restore, or other
    /// weights, drop the cache.
    func update(weights w: UnsafeMutablePointer<Float>, gradients g: GradientSource, loss: Float) -> DivergenceReason? {
        let n = parameterCount
        if k == 0 { copyFloats(ref, w, n) }
        let oldScale = scale
        let offsetIsCached = !storeDelta && k > 0 && offsetCachedFor == w
        offsetCachedFor = nil
        let sums = firstPass(w, g, readsDelta: storeDelta || offsetIsCached, offsetDivisor: oldScale + tunerEps)
        let nx = horizontalSum(sums.nx2).squareRoot(), ng = horizontalSum(sums.ng2).squareRoot()
        let coefficient = Float(sDecay) * oldScale * (ng / (nx + tunerEps))
        let h = horizontalSum(sums.hg) + coefficient * horizontalSum(sums.hx)
        let sInitF = Float(sInit), count = Float(tunerCount)
        for j in 0 ..< tunerCount {
            let b = betas[j], sOld = ts[j]
            tm[j] = max(b * tm[j], abs(h))
            tv[j] = b * b * tv[j] + h * h
            tr[j] = max(b * tr[j] - sOld * h, 0)
            ts[j] = (tm[j] * sInitF / count + tr[j]) / (tv[j].squareRoot() + tunerEps)
        }
        let newScale = scale
        if storeDelta {
            _ = runWithoutGradient(MechanicWeights(w: w, ref: ref, delta: delta, scale: splat(max(newScale, 0))),
                                   from: 0, count: n)
        } else {
            _ = runWithoutGradient(
                MechanicWeightsAndOffset(w: w, ref: ref, delta: delta, scale: splat(max(newScale, 0)),
                                         offsetDivisor: splat(newScale + tunerEps)),
                from: 0, count: n)
            offsetCachedFor = w
        }
        k += 1
        return newScale.isFinite ? nil : .nonFiniteStepSize
    }

    /// The first pass, specialised for the base rule, its decay and where Δ comes from (no per-chunk branches).
    private func firstPass(_ w: UnsafeMutablePointer<Float>, _ g: GradientSource, readsDelta: Bool,
                           offsetDivisor: Float) -> MechanicSums {
        let step = k + 1
        func run<B: MechanicBaseLanes>(_ base: B) -> MechanicSums {
            let rest = MechanicRest(w: w, delta: delta, count: parameterCount)
            return readsDelta
                ? mechanicSums(MechanicPass(base: base, offset: StoredOffset(delta: delta), rest: rest), g)
                : mechanicSums(MechanicPass(base: base, offset: RecomputedOffset(ref: ref, divisor: splat(offsetDivisor)),
                                            rest: rest), g)
        }
        switch base {
        case .adamw, .adam:
            let moments = TorchAdamLanes(
                m: baseM, v: baseV, b1w: Float(1 - beta1), beta2: Float(beta2), c2: Float(1 - beta2),
                stepSize: Float(-(lr / (1 - pow(beta1, step)))), bc2Root: Float((1 - pow(beta2, step)).squareRoot()),
                eps: Float(eps))
            if wd == 0 { return run(AdamBase(moments: moments, decay: NoDecay())) }
            if base == .adamw { return run(AdamBase(moments: moments, decay: DecoupledDecay(shrink: Float(1 - lr * wd)))) }
            return run(AdamBase(moments: moments, decay: CoupledL2Decay(wd: Float(wd))))
        case .sgd:
            return run(SGDBase(buffer: baseM, lr: Float(lr), wd: Float(wd), decay: wd != 0, momentum: Float(momentum),
                               firstStep: k == 0))
        }
    }
}

/// The first pass's lane sums: x1², g², Δ·g, Δ·x1 (old Δ).
private struct MechanicSums {
    var nx2 = V8(), ng2 = V8(), hg = V8(), hx = V8()
}

/// Runs a first pass over all weights and returns its sums. A function of its own (not inlined into `update`), so
/// that the accumulators stay in registers: inlined into the larger caller, the generic runner kept them in its
/// return slot and stored them every chunk.
@inline(never)
private func mechanicSums<B, O>(_ pass: MechanicPass<B, O>, _ g: GradientSource) -> MechanicSums {
    g.run(pass, from: 0, count: pass.rest.count).sums
}

/// A base rule's step on one chunk, as torch.optim computes it: x → x1, the rule's state updated in place.
private protocol MechanicBaseLanes {
    func step(_ i: Int, _ lanes: Int, x: V8, g: V8) -> V8
}

/// Where the first pass's Δ comes from.
private protocol MechanicOffsetLanes {
    func offset(_ i: Int, _ lanes: Int, x: V8) -> V8
}

/// torch.optim.AdamW / Adam's moments and update (foreach path): m ← lerp(m, g, 1 − β1) (written m + (1−β1)·(g − m)),
/// v ← β2·v + (1−β2)·g·g, x1 = p + step·m / (√v / √(1−β2ᵗ) + eps) with step = −lr/(1−β1ᵗ).
private struct TorchAdamLanes {
    let m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    let b1w: Float, beta2: Float, c2: Float, stepSize: Float, bc2Root: Float, eps: Float

    @inline(__always)
    func step(_ i: Int, _ lanes: Int, p: V8, g: V8) -> V8 {
        let mOld = ld(m, i, lanes)
        let mv = mOld + splat(b1w) * (g - mOld)
        let vv = ld(v, i, lanes) * splat(beta2) + splat(c2) * g * g
        st(m, i, lanes, mv)
        st(v, i, lanes, vv)
        return p + splat(stepSize) * mv / (squareRoot8(vv) / splat(bc2Root) + splat(eps))
    }
}

/// How weight decay enters an Adam-family base: the point p the update starts from and the gradient it uses.
private protocol AdamDecayLanes {
    func apply(x: V8, g: V8) -> (p: V8, g: V8)
}

/// weight_decay 0.
private struct NoDecay: AdamDecayLanes {
    @inline(__always) func apply(x: V8, g: V8) -> (p: V8, g: V8) { (x, g) }
}

/// torch.optim.AdamW: p ← p·(1 − lr·wd) before the update.
private struct DecoupledDecay: AdamDecayLanes {
    let shrink: Float
    @inline(__always) func apply(x: V8, g: V8) -> (p: V8, g: V8) { (x * splat(shrink), g) }
}

/// torch.optim.Adam: g ← g + wd·p.
private struct CoupledL2Decay: AdamDecayLanes {
    let wd: Float
    @inline(__always) func apply(x: V8, g: V8) -> (p: V8, g: V8) { (x, g + splat(wd) * x) }
}

private struct AdamBase<Decay: AdamDecayLanes>: MechanicBaseLanes {
    let moments: TorchAdamLanes
    let decay: Decay

    @inline(__always)
    func step(_ i: Int, _ lanes: Int, x: V8, g: V8) -> V8 {
        let (p, gg) = decay.apply(x: x, g: g)
        return moments.step(i, lanes, p: p, g: gg)
    }
}

/// torch.optim.SGD: g ← g + wd·p (coupled), momentum buffer b ← g on the first step, then μ·b + g (no dampening);
/// x1 = x − lr·b (or x − lr·g without momentum).
private struct SGDBase: MechanicBaseLanes {
    let buffer: UnsafeMutablePointer<Float>
    let lr: Float, wd: Float, decay: Bool, momentum: Float, firstStep: Bool

    @inline(__always)
    func step(_ i: Int, _ lanes: Int, x: V8, g: V8) -> V8 {
        var gg = g
        if decay { gg = g + splat(wd) * x }
        if momentum != 0 {
            gg = firstStep ? gg : ld(buffer, i, lanes) * splat(momentum) + gg
            st(buffer, i, lanes, gg)
        }
        return x - splat(lr) * gg
    }
}

/// Δ is state (store_delta), or the cached (w − ref)/(S + eps) of the last weight pass.
private struct StoredOffset: MechanicOffsetLanes {
    let delta: UnsafeMutablePointer<Float>
    @inline(__always) func offset(_ i: Int, _ lanes: Int, x: V8) -> V8 { ld(delta, i, lanes) }
}

/// Δ recomputed from ref: (x − ref)/(S + eps), as mechanic-pytorch does with store_delta false.
private struct RecomputedOffset: MechanicOffsetLanes {
    let ref: UnsafeMutablePointer<Float>
    let divisor: V8
    @inline(__always) func offset(_ i: Int, _ lanes: Int, x: V8) -> V8 { (x - ld(ref, i, lanes)) / divisor }
}

/// The first pass's weights, Δ's destination and length.
private struct MechanicRest {
    let w: UnsafeMutablePointer<Float>, delta: UnsafeMutablePointer<Float>
    let count: Int
}

/// Mechanic's first pass: the base rule's step x → x1 (its state updated), Δ ← Δ + (x1 − x), and the sums.
private struct MechanicPass<Base: MechanicBaseLanes, Offset: MechanicOffsetLanes>: GradientPass {
    let base: Base, offset: Offset, rest: MechanicRest
    var sums = MechanicSums()

    @inline(__always)
    mutating func chunk(_ i: Int, _ lanes: Int, _ gv: V8) {
        let x = ld(rest.w, i, lanes)
        let x1 = base.step(i, lanes, x: x, g: gv)
        let dv = offset.offset(i, lanes, x: x)
        sums.nx2 = sums.nx2.addingProduct(x1, x1)
        sums.ng2 = sums.ng2.addingProduct(gv, gv)
        sums.hg = sums.hg.addingProduct(dv, gv)
        sums.hx = sums.hx.addingProduct(dv, x1)
        st(rest.delta, i, lanes, dv + (x1 - x))
    }
}

/// Mechanic's weight pass with Δ stored: w ← ref + S⁺·Δ.
private struct MechanicWeights: GradientPass {
    let w: UnsafeMutablePointer<Float>, ref: UnsafeMutablePointer<Float>, delta: UnsafeMutablePointer<Float>
    let scale: V8

    @inline(__always)
    mutating func chunk(_ e: Int, _ lanes: Int, _ g: V8) {
        st(w, e, lanes, ld(ref, e, lanes) + ld(delta, e, lanes) * scale)
    }
}

/// The weight pass without stored Δ: w ← ref + S⁺·Δ, then Δ ← (w − ref)/(S + eps), the next step's recomputed Δ.
private struct MechanicWeightsAndOffset: GradientPass {
    let w: UnsafeMutablePointer<Float>, ref: UnsafeMutablePointer<Float>, delta: UnsafeMutablePointer<Float>
    let scale: V8, offsetDivisor: V8

    @inline(__always)
    mutating func chunk(_ e: Int, _ lanes: Int, _ g: V8) {
        let r = ld(ref, e, lanes)
        let x = r + ld(delta, e, lanes) * scale
        st(w, e, lanes, x)
        st(delta, e, lanes, (x - r) / offsetDivisor)
    }
}
