import Foundation
import Testing
@testable import MetaOptimize
import RuleKernels
import SIMDSupport

/// Per-element base and meta rule formulas (the rules' lanes), checked against hand / numpy computations.
@Suite("Kernels: base and meta rule formulas")
struct KernelsTests {
    // The α the optimizer uses for α0 = 1e-2: exp of the Float32 β = log(Float(0.01)), correctly rounded to Float32.
    // The numpy references below use this α and the Float32 values of w0, g1, g2, computed in float64.
    static let alpha: Double = 0.009999999776482582
    static let w0: [Float] = [0.5, -0.3, 0.8]
    static let g1: [Float] = [0.1, -0.2, 0.05]
    static let g2: [Float] = [-0.05, -0.1, 0.3]

    static func twoSteps(base: BaseRule, weightDecay: Double = 0) throws -> [[Float]] {
        let config = OptimizerConfiguration(base: base, alpha0: 1e-2, weightDecay: weightDecay, meta: .fixed,
                                            mode: .standard)
        let optimizer = try MetaOptimizer(tensors: singleTensor(3), configuration: config, totalSteps: 2)
        var w = w0
        var out: [[Float]] = []
        for g in [g1, g2] {
            #expect(step(optimizer, &w, g))
            out.append(w)
        }
        return out
    }

    static func expectClose(_ got: [[Float]], _ want: [[Double]], tolerance: Double = 1e-7) {
        for (t, (a, b)) in zip(got, want).enumerated() {
            for i in a.indices {
                #expect(abs(Double(a[i]) - b[i]) <= tolerance * max(1, abs(b[i])), "step \(t + 1) w[\(i)]: \(a[i]) vs \(b[i])")
            }
        }
    }

    @Test("vector square root equals the scalar correctly rounded square root, lane by lane")
    func vectorSquareRoot() {
        var values: [Float] = [0, .leastNonzeroMagnitude, 1e-38, 1e-10, 0.5, 1, 2, 3, 1e10, 3e38, .greatestFiniteMagnitude, .infinity]
        for k in 0 ..< 1000 { values.append(Float(k) * 0.37 + Float(k * k) * 1e-3) }
        while values.count % 8 != 0 { values.append(7) }
        for start in stride(from: 0, to: values.count, by: 8) {
            let v = V8(values[start ..< start + 8])
            let r = squareRoot8(v)
            for k in 0 ..< 8 { #expect(r[k].bitPattern == values[start + k].squareRoot().bitPattern) }
        }
    }

    @Test("exp8 is the correctly rounded e^x (double exp rounded once) on a dense grid, with ±∞/0 at the ends")
    func vectorExp() {
        var xs: [Float] = [0, 1, -1, 88.72, 88.73, 89, 1000, -87.3, -103.9, -104, -1000, .infinity, -.infinity,
                           log(Float(1e-4)), log(Float(1e-3)), log(Float(1e-2))]
        for k in 0 ..< 200_000 { xs.append(-104 + Float(k) * (193 / 200_000)) }
        while xs.count % 8 != 0 { xs.append(0) }
        var mismatches = 0
        for start in stride(from: 0, to: xs.count, by: 8) {
            let y = exp8(V8(xs[start ..< start + 8]))
            for k in 0 ..< 8 where y[k].bitPattern != Float(exp(Double(xs[start + k]))).bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(stepSizeFromLog(0) == 1)
        #expect(stepSizeFromLog(89) == .infinity)
        #expect(stepSizeFromLog(-200) == 0)
    }

    @Test("sign of 0 is 0 and of ±x is ±1 (both Lion rules)")
    func signOfZero() {
        let s = sign8(V8(0, -0.0, 1e-30, -1e-30, 5, -5, 0, 0))
        #expect(s == V8(0, 0, 1, -1, 1, -1, 0, 0))
    }

    @Test("standard AdamW (κ = 0) equals torch.optim.AdamW steps 1–2 (numpy reference)")
    func standardAdamW() throws {
        // numpy: w ← w − lr·wd·w; m ← 0.9m + 0.1g; v ← 0.999v + 0.001g²; w ← w − lr·m̂/(sqrt(v̂) + 1e-8)
        Self.expectClose(try Self.twoSteps(base: .adamw), [
            [0.4900000012235173, -0.2900000126444463, 0.7900000141444459],
            [0.48733663122338744, -0.28067821705434126, 0.7815587622009113],
        ])
    }

    @Test("standard AdamW with weight decay 0.1 equals torch.optim.AdamW(weight_decay=0.1) (numpy reference)")
    func standardAdamWDecay() throws {
        Self.expectClose(try Self.twoSteps(base: .adamw, weightDecay: 0.1), [
            [0.48950000123469317, -0.2897000126392309, 0.7892000141504063],
            [0.4863471312442698, -0.28008851704296195, 0.7799695622103613],
        ])
    }

    @Test("standard SGDm equals torch.optim.SGD(momentum=0.9) (numpy reference)")
    func standardSGDm() throws {
        Self.expectClose(try Self.twoSteps(base: .sgdm), [
            [0.4990000000074506, -0.29800001193583014, 0.7995000119246543],
            [0.4986000000104308, -0.29520001195669177, 0.796050011875853],
        ])
    }

    @Test("standard RMSProp equals torch.optim.RMSprop(alpha=0.999, eps=1e-8) (numpy reference)")
    func standardRMSProp() throws {
        Self.expectClose(try Self.twoSteps(base: .rmsprop), [
            [0.18377324104820392, 0.016227247028476777, 0.48377425295960885],
            [0.3252507963103898, 0.1577050024499337, 0.17184522181918044],
        ], tolerance: 1e-6)
    }

    @Test("standard SGD is w − α·g, unchanged from faithful mode")
    func standardSGD() throws {
        let out = try Self.twoSteps(base: .sgd)
        for i in 0 ..< 3 {
            let expected = Double(Self.w0[i]) - Self.alpha * Double(Self.g1[i]) - Self.alpha * Double(Self.g2[i])
            #expect(abs(Double(out[1][i]) - expected) <= 1e-7)
        }
    }

    // MARK: meta rules on a given z sequence

    /// Runs a meta kernel over the z sequence on one group, returning β after each step.
    static func metaTrajectory(_ zs: [Float], beta0: Float, pass: (Int, MetaBuffers) -> Bool) -> [Float] {
        var beta: [Float] = [beta0], m: [Float] = [0], v: [Float] = [0]
        var out: [Float] = []
        for (t, z) in zs.enumerated() {
            var nb: [Float] = [0], nm: [Float] = [0], nv: [Float] = [0], na: [Float] = [0]
            let zz = [z]
            let ok = zz.withUnsafeBufferPointer { zp in
                beta.withUnsafeBufferPointer { bp in m.withUnsafeBufferPointer { mp in v.withUnsafeBufferPointer { vp in
                    nb.withUnsafeMutableBufferPointer { nbp in nm.withUnsafeMutableBufferPointer { nmp in
                        nv.withUnsafeMutableBufferPointer { nvp in na.withUnsafeMutableBufferPointer { nap in
                            pass(t + 1, MetaBuffers(
                                z: zp.baseAddress!, beta: bp.baseAddress!, s0: mp.baseAddress!, s1: vp.baseAddress!,
                                nextBeta: nbp.baseAddress!, nextS0: nmp.baseAddress!, nextS1: nvp.baseAddress!,
                                nextAlpha: nap.baseAddress!, count: 1))
                        } }
                    } }
                } } }
            }
            #expect(ok)
            #expect(na[0] == Float(exp(Double(nb[0]))))
            beta = nb; m = nm; v = nv
            out.append(beta[0])
        }
        return out
    }

    static let zs: [Float] = [0, -0.05, 0.02, -0.3]
    static let beta0 = float32LogStepSize(1e-2)

    @Test("standard Adam meta equals Adam on β (numpy reference, η = 1e-2)")
    func standardAdamMeta() {
        let common = MetaCommon(eta: 1e-2, metaWeightDecay: 0)
        let got = Self.metaTrajectory(Self.zs, beta0: Self.beta0) { t, b in
            runMetaPass(AdamMetaRule.Standard(common: common, rho: 0.9, lambda: 0.999, rhoPower: pow(0.9, Double(t)),
                                              lambdaPower: pow(0.999, Double(t))), b)
        }
        let want = [-4.605170249938965, -4.5977288838075046, -4.5947619879668276, -4.588612959239511]
        for t in 0 ..< 4 { #expect(abs(Double(got[t]) - want[t]) <= 1e-6, "step \(t + 1): \(got[t])") }
    }

    @Test("standard RMSProp meta equals RMSprop on β (numpy reference, η = 1e-2)")
    func standardRMSPropMeta() {
        let common = MetaCommon(eta: 1e-2, metaWeightDecay: 0)
        let got = Self.metaTrajectory(Self.zs, beta0: Self.beta0) { _, b in
            runMetaPass(RMSPropMetaRule.Standard(common: common, lambda: 0.999), b)
        }
        let want = [-4.605170249938965, -4.288944483909478, -4.406438492752526, -4.095176879698802]
        for t in 0 ..< 4 { #expect(abs(Double(got[t]) - want[t]) <= 1e-6, "step \(t + 1): \(got[t])") }
    }

    @Test("faithful MNM meta: m̄ ← ρ̄m̄ + z, v̄ ← λ̄v̄ + m̄², Δβ = −η·m̄/sqrt(μ̄v̄ + 1e-10) (hand transcription)")
    func faithfulMNMMeta() {
        let common = MetaCommon(eta: 1e-2, metaWeightDecay: 0)
        let got = Self.metaTrajectory(Self.zs, beta0: Self.beta0) { t, b in
            runMetaPass(MNMMetaRule.Lanes(common: common, rho: 0.9, lambda: 0.999,
                                          mu: (1 - 0.999) / (1 - pow(0.999, Double(t)))), b)
        }
        var beta = Double(Self.beta0), m = 0.0, v = 0.0
        for (t, z) in Self.zs.enumerated() {
            m = 0.9 * m + Double(z)
            v = 0.999 * v + m * m
            let mu = (1 - 0.999) / (1 - pow(0.999, Double(t + 1)))
            beta -= 1e-2 * m / (mu * v + 1e-10).squareRoot()
            #expect(abs(Double(got[t]) - beta) <= 1e-6, "step \(t + 1): \(got[t]) vs \(beta)")
        }
    }

    @Test("Lion meta uses the PREVIOUS momentum inside the sign, c̄ interpolates and ρ̄ is the EMA coefficient")
    func lionMetaOrder() {
        let common = MetaCommon(eta: 0.125, metaWeightDecay: 0)
        // c̄ = 0.9, ρ̄ = 0.5, z = 1, −1: step 1 sign(0.1) = +1; m̄ = 0.5; step 2 sign(0.45 − 0.1) = +1 → β falls twice.
        let got = Self.metaTrajectory([1, -1], beta0: 0) { _, b in
            runMetaPass(LionMetaRule.Lanes(common: common, interpolation: 0.9, rho: 0.5), b)
        }
        #expect(got == [-0.125, -0.25])
        // With the roles of c̄ and ρ̄ swapped the second sign flips: sign(0.5·0.1 − 0.5) = −1.
        let swapped = Self.metaTrajectory([1, -1], beta0: 0) { _, b in
            runMetaPass(LionMetaRule.Lanes(common: common, interpolation: 0.5, rho: 0.9), b)
        }
        #expect(swapped == [-0.125, 0])
        // Updated-momentum variant would give sign(0.9·0 + 0.1·(−1)) < 0 at step 2: excluded by the first check.
    }

    @Test("meta weight decay shrinks β toward 0: β ← (1 − η·κ̄)·β − η·z")
    func metaWeightDecay() {
        let common = MetaCommon(eta: 0.5, metaWeightDecay: 0.5)
        let got = Self.metaTrajectory([0, 1], beta0: -4) { _, b in runMetaPass(SGDMetaRule.Lanes(common: common), b) }
        #expect(got == [-3, -2.75])
    }

    @Test("meta pass reports non-finite new state instead of committing it")
    func metaPassDetectsOverflow() {
        var nb = [Float](repeating: 0, count: 9), nm = nb, nv = nb, na = nb
        let z = [Float](repeating: -1e30, count: 9), beta = [Float](repeating: 0, count: 9), zero = beta
        let ok = z.withUnsafeBufferPointer { zp in beta.withUnsafeBufferPointer { bp in zero.withUnsafeBufferPointer { op in
            nb.withUnsafeMutableBufferPointer { nbp in nm.withUnsafeMutableBufferPointer { nmp in
                nv.withUnsafeMutableBufferPointer { nvp in na.withUnsafeMutableBufferPointer { nap in
                    runMetaPass(SGDMetaRule.Lanes(common: MetaCommon(eta: 1e10, metaWeightDecay: 0)), MetaBuffers(
                        z: zp.baseAddress!, beta: bp.baseAddress!, s0: op.baseAddress!, s1: op.baseAddress!,
                        nextBeta: nbp.baseAddress!, nextS0: nmp.baseAddress!, nextS1: nvp.baseAddress!,
                        nextAlpha: nap.baseAddress!, count: 9))
                } }
            } }
        } } }
        #expect(!ok)
    }

    @Test("allFinite finds a single NaN or infinity anywhere, including the scalar tail")
    func allFiniteDetects() {
        for n in [1, 7, 8, 33, 100] {
            var values = (0 ..< n).map { Float($0) - 3 }
            #expect(values.withUnsafeBufferPointer { allFinite($0.baseAddress!, count: n) })
            for bad in [Float.nan, .infinity, -.infinity] {
                for position in [0, n / 2, n - 1] {
                    let saved = values[position]
                    values[position] = bad
                    #expect(!values.withUnsafeBufferPointer { allFinite($0.baseAddress!, count: n) })
                    values[position] = saved
                }
            }
        }
    }
}
