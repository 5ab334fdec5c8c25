import Foundation
import Testing
@testable import MetaOptimize

/// The testable properties of spec §7.1 (one test each), plus divergence, schedules and reporting.
@Suite("MetaOptimizer: spec §7.1 properties")
struct MetaOptimizerTests {
    // MARK: 1. step order

    @Test("§7.1.1 step order: α_t = exp(β_t) → z_t = Σ h_t·g_t (old trace) → base update → meta update")
    func stepOrder() throws {
        let config = OptimizerConfiguration(base: .sgd, alpha0: 0.1, meta: .sgd, metaStepSize: 0.5, gamma: 1)
        let optimizer = try MetaOptimizer(tensors: singleTensor(2), configuration: config, totalSteps: 3)
        let gs: [[Float]] = [[1, 2], [3, -1], [0.5, 0.5]]
        var w: [Float] = [0.3, -0.2]
        // Transcription of spec §3.2 in Double.
        var beta = Double(float32LogStepSize(0.1)), h = [0.0, 0.0], ww = [0.3, -0.2]
        // Wrong orders, for contrast: β updated before the base update, and z with the NEW trace.
        var betaMetaFirst = beta, hMetaFirst = h
        var betaNewTrace = beta, hNewTrace = h
        for g in gs {
            #expect(step(optimizer, &w, g))
            let a = exp(beta)
            let z = zip(h, g).map { $0 * Double($1) }.reduce(0, +)
            for i in 0 ..< 2 {
                ww[i] -= a * Double(g[i])
                h[i] -= a * Double(g[i])
            }
            beta -= 0.5 * z
            #expect(abs(Double(optimizer.metaGradients[0]) - z) <= 1e-6)
            #expect(abs(Double(optimizer.logStepSizes[0]) - beta) <= 1e-6)
            for i in 0 ..< 2 { #expect(abs(Double(w[i]) - ww[i]) <= 1e-6) }

            let zm = zip(hMetaFirst, g).map { $0 * Double($1) }.reduce(0, +)
            betaMetaFirst -= 0.5 * zm
            for i in 0 ..< 2 { hMetaFirst[i] -= exp(betaMetaFirst) * Double(g[i]) }
            for i in 0 ..< 2 { hNewTrace[i] -= exp(betaNewTrace) * Double(g[i]) }
            betaNewTrace -= 0.5 * zip(hNewTrace, g).map { $0 * Double($1) }.reduce(0, +)
        }
        // The wrong orders give clearly different β, so the check above discriminates.
        #expect(abs(betaMetaFirst - beta) > 1e-3)
        #expect(abs(betaNewTrace - beta) > 1e-3)
    }

    // MARK: 2. fixed

    @Test("§7.1.2 meta fixed: β ≡ log α0 bit-for-bit; logged α of 1e-4 is 9.99999901978299e-05 at every step")
    func fixedMeta() throws {
        // 1e-4: the spec's value. 1e-3, 1e-2: exp of the Float32 β in float64 (Python math.exp), rounded to the
        // nearest Float32 (a correctly rounded exp). numpy's float32 exp, which the official code calls, is 1 ulp
        // lower for 1e-2 (0.009999998845160007); the golden tolerances absorb that.
        let expected: [(Double, Double)] = [(1e-4, 9.99999901978299e-05), (1e-3, 0.0009999999310821295),
                                            (1e-2, 0.009999999776482582)]
        for (alpha0, logged) in expected {
            var config = ToyProblem.goldenConfiguration(base: .adamw, meta: .fixed)
            config.alpha0 = alpha0
            let optimizer = try MetaOptimizer(tensors: ToyProblem.tensors, configuration: config, totalSteps: 60)
            var w = ToyProblem.initialWeights()
            let beta0 = optimizer.logStepSize(group: 0)
            for t in 0 ..< 60 {
                let (x, label) = ToyProblem.sample(t % 20)
                let (loss, g) = ToyProblem.lossAndGradient(w, x: x, label: label)
                #expect(step(optimizer, &w, g, loss: loss))
                #expect(optimizer.logStepSize(group: 0).bitPattern == beta0.bitPattern)
                #expect(optimizer.stepSize(group: 0) == logged)
            }
        }
    }

    // MARK: 3. first step

    @Test("§7.1.3 first step: z_1 = 0 and β unchanged for every meta rule", arguments: MetaRule.allCases)
    func firstStepLeavesBeta(meta: MetaRule) throws {
        let granularity: Granularity = meta == .idbd ? .weightwise : .lastLayerAndOthers
        let base: BaseRule = meta == .idbd ? .sgd : .adamw
        let config = ToyProblem.goldenConfiguration(base: base, meta: meta, granularity: granularity)
        let optimizer = try MetaOptimizer(tensors: ToyProblem.tensors, configuration: config, totalSteps: 1,
                                          hasDiagonalHessian: meta == .idbd)
        let before = optimizer.logStepSizes
        var w = ToyProblem.initialWeights()
        let (x, label) = ToyProblem.sample(0)
        let (loss, g) = ToyProblem.lossAndGradient(w, x: x, label: label)
        #expect(step(optimizer, &w, g, loss: loss, hessian: meta == .idbd ? Array(repeating: 0.5, count: 43) : nil))
        #expect(optimizer.metaGradients.allSatisfy { $0 == 0 })
        #expect(optimizer.logStepSizes == before)
    }

    // MARK: 4. second step

    @Test("§7.1.4 second step, Adam or RMSProp meta: Δβ = −η·z_2/sqrt(z_2²/(1+λ̄) + 1e-10)",
          arguments: [(BaseRule.adamw, MetaRule.adam), (.adamw, .rmsprop), (.sgdm, .adam), (.sgd, .rmsprop)])
    func secondStep(base: BaseRule, meta: MetaRule) throws {
        let run = try ToyProblem.run(ToyProblem.goldenConfiguration(base: base, meta: meta), steps: 2)
        let z2 = Double(run.zs[1][0])
        let expected = -1e-2 * z2 / (z2 * z2 / 1.999 + 1e-10).squareRoot()
        #expect(abs(Double(run.betas[1][0] - run.betas[0][0]) - expected) <= 1e-6)
        if base == .adamw {
            #expect(abs(run.betas[1][0] - -4.5910316) <= 1e-6)  // golden −4.6051702 → −4.5910316
        }
        if base == .sgdm {
            #expect(abs(Double(run.betas[1][0] - run.betas[0][0]) - -0.0140853) <= 1e-6)  // ε effect
        }
    }

    @Test("§7.1.4 Lion meta moves β by exactly −η, 0 or +η every step (up to Float32 rounding of β)")
    func lionMetaSteps() throws {
        let run = try ToyProblem.run(ToyProblem.goldenConfiguration(base: .adamw, meta: .lion), steps: 20)
        var previous = float32LogStepSize(1e-2)
        for beta in run.betas.map({ $0[0] }) {
            let delta = abs(beta - previous)
            #expect(delta == 0 || abs(delta - 0.01) <= 2 * previous.ulp)
            previous = beta
        }
    }

    // MARK: 5. sign

    @Test("§7.1.5 sign: aligned gradients raise β, alternating gradients lower it; toy z_2 < 0 and β rises")
    func signConvention() throws {
        func finalBeta(_ gradients: (Int) -> Float) throws -> Float {
            let config = OptimizerConfiguration(base: .sgd, alpha0: 1e-2, meta: .adam, metaStepSize: 1e-2, gamma: 0.999)
            let optimizer = try MetaOptimizer(tensors: singleTensor(1), configuration: config, totalSteps: 10)
            var w: [Float] = [0]
            for t in 0 ..< 10 { step(optimizer, &w, [gradients(t)]) }
            return optimizer.logStepSize(group: 0)
        }
        let beta0 = float32LogStepSize(1e-2)
        #expect(try finalBeta { _ in 1 } > beta0)
        #expect(try finalBeta { $0 % 2 == 0 ? 1 : -1 } < beta0)
        let run = try ToyProblem.run(ToyProblem.goldenConfiguration(base: .adamw, meta: .adam), steps: 2)
        #expect(run.zs[1][0] < 0)
        #expect(run.betas[1][0] > run.betas[0][0])
    }

    // MARK: 6. γ = 0

    @Test("§7.1.6 γ = 0 (hypergradient): h equals the last weight change and z_{t+1} = ⟨Δw_t, g_{t+1}⟩")
    func hypergradientTrace() throws {
        for meta in [MetaRule.hypergradient, .sgd] {
            var config = ToyProblem.goldenConfiguration(base: .adamw, meta: meta)
            config.gamma = 0
            let optimizer = try MetaOptimizer(tensors: ToyProblem.tensors, configuration: config, totalSteps: 10)
            #expect(optimizer.configuration.gamma == 0)
            var w = ToyProblem.initialWeights()
            var lastChange: [Float]? = nil
            for t in 0 ..< 10 {
                let (x, label) = ToyProblem.sample(t)
                let (loss, g) = ToyProblem.lossAndGradient(w, x: x, label: label)
                let before = w
                step(optimizer, &w, g, loss: loss)
                if let lastChange {
                    let z = zip(lastChange, g).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                    #expect(abs(Double(optimizer.metaGradients[0]) - z) <= 1e-6 * max(1, abs(z)))
                }
                let change = zip(w, before).map { $0 - $1 }
                let h = optimizer.exportState().trace
                for i in 0 ..< 43 { #expect(abs(h[i] - change[i]) <= 1e-7, "h[\(i)] \(h[i]) vs Δw \(change[i])") }
                lastChange = change
            }
        }
    }

    @Test("§6.2 hypergradient with SGD base: β ← β + η·α_t·⟨g_t, g_{t+1}⟩ (log-space HD)")
    func hypergradientSGDFormula() throws {
        let config = OptimizerConfiguration(base: .sgd, alpha0: 0.05, meta: .hypergradient, metaStepSize: 0.1)
        let optimizer = try MetaOptimizer(tensors: singleTensor(2), configuration: config, totalSteps: 2)
        var w: [Float] = [1, 1]
        let g1: [Float] = [0.5, -1], g2: [Float] = [1, -2]
        step(optimizer, &w, g1)
        step(optimizer, &w, g2)
        let alpha = Double(exp(float32LogStepSize(0.05)))
        let expected = Double(float32LogStepSize(0.05)) + 0.1 * alpha * (0.5 * 1 + 1 * 2)
        #expect(abs(Double(optimizer.logStepSize(group: 0)) - expected) <= 1e-6)
    }

    // MARK: 7. trace decay

    @Test("§7.1.7 trace: with κ = 0, γ = 1 h is the running sum of weight updates; else h ← γ(1 − κα)h − δ")
    func traceDecay() throws {
        for (kappa, gamma) in [(0.0, 1.0), (0.1, 0.9)] {
            let config = OptimizerConfiguration(base: .adamw, alpha0: 1e-2, weightDecay: kappa, meta: .fixed,
                                                gamma: gamma)
            let optimizer = try MetaOptimizer(tensors: ToyProblem.tensors, configuration: config, totalSteps: 15)
            var w = ToyProblem.initialWeights()
            var expected = [Double](repeating: 0, count: 43)
            let a = Double(exp(float32LogStepSize(1e-2)))
            for t in 0 ..< 15 {
                let (x, label) = ToyProblem.sample(t)
                let (loss, g) = ToyProblem.lossAndGradient(w, x: x, label: label)
                let before = w
                step(optimizer, &w, g, loss: loss)
                for i in 0 ..< 43 {
                    let delta = Double(before[i]) - Double(w[i])
                    expected[i] = gamma * (1 - kappa * a) * expected[i] - delta
                }
            }
            let h = optimizer.exportState().trace
            for i in 0 ..< 43 { #expect(abs(Double(h[i]) - expected[i]) <= 1e-6) }
            if kappa == 0 {
                let w0 = ToyProblem.initialWeights()
                for i in 0 ..< 43 { #expect(abs(h[i] - (w[i] - w0[i])) <= 1e-6) }
            }
        }
    }

    // MARK: 8. base first steps

    @Test("§7.1.8 base first steps on the toy problem (κ = 0.1, α = 1e-2): w00 after step 1",
          arguments: [(BaseRule.adamw, Float(0.2621889)), (.rmsprop, 0.2621889), (.lion, 0.2621889),
                      (.sgdm, 0.2521888), (.sgd, 0.2532833)])
    func baseFirstStep(base: BaseRule, w00: Float) throws {
        let run = try ToyProblem.run(ToyProblem.goldenConfiguration(base: base, meta: .fixed), steps: 1)
        #expect(abs(run.w00[0] - w00) <= 1e-6)
        if base == .sgd {  // −α(g + κw) with g00 = −0.1094434, w00 = 0.2524413
            #expect(abs(Double(run.w00[0]) - (0.2524413 - 0.01 * (-0.1094434 + 0.1 * 0.2524413))) <= 1e-6)
        }
    }

    // MARK: 9. AdamW steady state

    @Test("§7.1.9 AdamW steady state: constant gradient ⇒ |Δw| → 10α (faithful) but α (standard)")
    func adamWSteadyState() throws {
        for (mode, factor) in [(OptimizerMode.faithful, 10.0), (.standard, 1.0)] {
            let config = OptimizerConfiguration(base: .adamw, alpha0: 1e-3, meta: .fixed, mode: mode)
            let optimizer = try MetaOptimizer(tensors: singleTensor(1), configuration: config, totalSteps: 400)
            var w: [Float] = [0]
            var change: Float = 0
            for _ in 0 ..< 400 {
                let before = w[0]
                step(optimizer, &w, [0.5])
                change = before - w[0]
            }
            let alpha = Double(exp(float32LogStepSize(1e-3)))
            #expect(abs(Double(change) / (factor * alpha) - 1) <= 1e-3, "\(mode): Δw = \(change)")
        }
    }

    // MARK: 10. Lion base

    @Test("§7.1.10 Lion base: sign of c·m_prev + (1−c)·g, then m ← ρm + (1−ρ)g (α = 1, one weight)")
    func lionBaseOrder() throws {
        func run(c: Double, rho: Double) throws -> Float {
            let config = OptimizerConfiguration(base: .lion, alpha0: 1, momentum: rho, lionInterpolation: c,
                                                meta: .fixed)
            let optimizer = try MetaOptimizer(tensors: singleTensor(1), configuration: config, totalSteps: 2)
            var w: [Float] = [0]
            step(optimizer, &w, [1])
            step(optimizer, &w, [-1])
            return w[0]
        }
        // c = 0.9, ρ = 0.5: step 1 sign(0.1) = +1, m = 0.5; step 2 sign(0.45 − 0.1) = +1 ⇒ w = −2.
        #expect(try run(c: 0.9, rho: 0.5) == -2)
        // Swapped roles: m = 0.1 after step 1, sign(0.05 − 0.5) = −1 ⇒ w = 0.
        #expect(try run(c: 0.5, rho: 0.9) == 0)
    }

    // MARK: 11. blockwise

    @Test("§7.1.11 blocks: z_j is the plain sum of the per-tensor inner products h·g over the block")
    func blockMetaGradient() throws {
        let config = ToyProblem.goldenConfiguration(base: .adamw, meta: .adam, granularity: .blocks([1, 2, 1]))
        let optimizer = try MetaOptimizer(tensors: ToyProblem.tensors, configuration: config, totalSteps: 2)
        var w = ToyProblem.initialWeights()
        var (x, label) = ToyProblem.sample(0)
        step(optimizer, &w, ToyProblem.lossAndGradient(w, x: x, label: label).gradient)
        let h = optimizer.exportState().trace
        (x, label) = ToyProblem.sample(1)
        let g = ToyProblem.lossAndGradient(w, x: x, label: label).gradient
        step(optimizer, &w, g)
        let ranges = [0 ..< 20, 20 ..< 40, 40 ..< 43]  // {W1}, {b1, W2}, {b2}
        for (j, range) in ranges.enumerated() {
            let expected = range.reduce(0.0) { $0 + Double(h[$1]) * Double(g[$1]) }
            #expect(abs(Double(optimizer.metaGradients[j]) - expected) <= 1e-7)
        }
    }

    @Test("§7.1.11 last-layer-and-others is blocks [N−2, 2]; golden Adam blocks equal at step 2, differ from step 3")
    func lastLayerBlocks() throws {
        let a = try ToyProblem.run(ToyProblem.goldenConfiguration(base: .adamw, meta: .adam,
                                                                  granularity: .lastLayerAndOthers))
        let b = try ToyProblem.run(ToyProblem.goldenConfiguration(base: .adamw, meta: .adam, granularity: .blocks([2, 2])))
        #expect(a.betas == b.betas)
        #expect(a.finalWeights == b.finalWeights)
        #expect(a.betas[1][0] == a.betas[1][1])
        #expect(a.betas[2][0] != a.betas[2][1])
        let lion = try ToyProblem.run(ToyProblem.goldenConfiguration(base: .lion, meta: .lion,
                                                                     granularity: .lastLayerAndOthers))
        for t in 0 ..< 5 { #expect(lion.betas[t][0] == lion.betas[t][1]) }
        #expect(lion.betas[9][0] != lion.betas[9][1])
    }

    // MARK: 12. logging

    @Test("§7.1.12 official logging points: after steps 1, 101, 201, … at x = 0, 100, 200, …")
    func officialLogging() {
        #expect(OfficialLogging.logPoint(completedSteps: 1) == 0)
        #expect(OfficialLogging.logPoint(completedSteps: 101) == 100)
        #expect(OfficialLogging.logPoint(completedSteps: 201) == 200)
        #expect(OfficialLogging.logPoint(completedSteps: 0) == nil)
        #expect(OfficialLogging.logPoint(completedSteps: 2) == nil)
        #expect(OfficialLogging.logPoint(completedSteps: 100) == nil)
    }

    // MARK: 13. alias

    @Test("§7.1.13 alias: meta 'AdamW' and 'Adam' give identical trajectories")
    func adamAlias() throws {
        var a = ToyProblem.goldenConfiguration(base: .adamw, meta: try MetaRule(parsing: "AdamW"))
        var b = ToyProblem.goldenConfiguration(base: .adamw, meta: try MetaRule(parsing: "adam"))
        let json = Data(#"{"meta": "adamw", "base": "adam", "alpha0": 0.01, "weightDecay": 0.1, "metaStepSize": 0.01}"#.utf8)
        let decoded = try JSONDecoder().decode(OptimizerConfiguration.self, from: json)
        #expect(decoded == a)
        a.granularity = .lastLayerAndOthers
        b.granularity = .lastLayerAndOthers
        let ra = try ToyProblem.run(a), rb = try ToyProblem.run(b)
        #expect(ra.betas == rb.betas)
        #expect(ra.finalWeights == rb.finalWeights)
    }

    // MARK: combinations

    @Test("every base × meta × mode runs 50 toy steps with finite weights and β",
          arguments: BaseRule.allCases, [OptimizerMode.faithful, .standard])
    func everyCombination(base: BaseRule, mode: OptimizerMode) throws {
        for meta in MetaRule.allCases where meta != .idbd {
            for granularity in [Granularity.scalar, .nodewise, .weightwise] {
                var config = ToyProblem.goldenConfiguration(base: base, meta: meta, granularity: granularity)
                config.mode = mode
                let (optimizer, w) = try runToy(config, steps: 50)
                #expect(optimizer.stepsTaken == 50, "\(base) \(meta) \(granularity) \(mode)")
                #expect(!optimizer.isDiverged)
                #expect(w.allSatisfy { $0.isFinite })
                #expect(optimizer.logStepSizes.allSatisfy { $0.isFinite })
                let state = optimizer.exportState()
                #expect((state.trace + state.firstMoment + state.secondMoment).allSatisfy { $0.isFinite })
            }
        }
    }

    // MARK: divergence

    @Test("divergence: a NaN loss refuses the step, marks it, leaves weights and state untouched")
    func nanLoss() throws {
        let (optimizer, w0) = try runToy(ToyProblem.goldenConfiguration(base: .adamw, meta: .adam), steps: 5)
        let before = optimizer.exportState()
        var w = w0
        let g = ToyProblem.lossAndGradient(w, x: ToyProblem.sample(5).x, label: ToyProblem.sample(5).label).gradient
        #expect(!step(optimizer, &w, g, loss: .nan))
        #expect(optimizer.divergedAtStep == 6)
        #expect(optimizer.divergenceReason == .nonFiniteLoss)
        #expect(w == w0)
        var after = optimizer.exportState()
        after.divergedAtStep = nil
        after.divergenceReason = nil
        #expect(after == before)
        // Later steps are refused too.
        #expect(!step(optimizer, &w, g, loss: 1))
        #expect(optimizer.stepsTaken == 5)
        #expect(optimizer.divergedAtStep == 6)
    }

    @Test("divergence: an infinite or NaN gradient refuses the step; β, α and all state stay finite")
    func nonFiniteGradient() throws {
        for bad in [Float.infinity, .nan] {
            let (optimizer, w0) = try runToy(ToyProblem.goldenConfiguration(base: .adamw, meta: .adam), steps: 3)
            let before = optimizer.exportState()
            var w = w0
            var g = [Float](repeating: 0.01, count: 43)
            g[42] = bad
            #expect(!step(optimizer, &w, g, loss: 0.5))
            #expect(optimizer.divergedAtStep == 4)
            #expect(optimizer.divergenceReason == .nonFiniteGradient)
            #expect(w == w0)
            #expect(optimizer.exportState().trace == before.trace)
            #expect(optimizer.stepSize(group: 0).isFinite)
            #expect(optimizer.stepSizeSummary(block: 0).meanLogStepSize.isFinite)
        }
    }

    @Test("divergence: a step size that overflows keeps the last finite β and marks the step")
    func stepSizeOverflow() throws {
        let config = OptimizerConfiguration(base: .sgd, alpha0: 1, meta: .sgd, metaStepSize: 1e30, gamma: 1)
        let optimizer = try MetaOptimizer(tensors: singleTensor(1), configuration: config, totalSteps: 3)
        var w: [Float] = [0]
        #expect(step(optimizer, &w, [1]))           // z = 0
        #expect(!step(optimizer, &w, [1]))          // z = −1 ⇒ β = 1e30 ⇒ α = ∞
        #expect(optimizer.divergedAtStep == 2)
        #expect(optimizer.divergenceReason == .nonFiniteStepSize)
        #expect(optimizer.logStepSize(group: 0) == 0)
        #expect(optimizer.stepSize(group: 0) == 1)
        #expect(w.allSatisfy { $0.isFinite })
        #expect(!step(optimizer, &w, [1]))
    }

    @Test("divergence: an overflowing meta-gradient marks the step; β and meta state keep their last finite values")
    func metaGradientOverflow() throws {
        let config = OptimizerConfiguration(base: .sgd, alpha0: 1e30, meta: .adam, gamma: 1)
        let optimizer = try MetaOptimizer(tensors: singleTensor(1), configuration: config, totalSteps: 3)
        var w: [Float] = [0]
        #expect(step(optimizer, &w, [1e10]))        // δ = 1e40 overflows: w and h become −∞ (z_1 = 0 still)
        let before = optimizer.exportState()
        #expect(!step(optimizer, &w, [1]))          // z_2 = h·g = −∞
        #expect(optimizer.divergedAtStep == 2 && optimizer.divergenceReason == .nonFiniteMetaGradient)
        #expect(optimizer.stepsTaken == 2)
        let after = optimizer.exportState()
        #expect(after.logStepSizes == before.logStepSizes)
        #expect(after.metaFirstMoment == before.metaFirstMoment && after.metaSecondMoment == before.metaSecondMoment)
        #expect(optimizer.stepSize(group: 0).isFinite)
    }

    // MARK: schedules and reporting

    @Test("the schedule multiplies α = exp(β): linear decay over T = 4 gives steps α·(1, 0.75, 0.5, 0.25)")
    func scheduleMultipliesStepSize() throws {
        let config = OptimizerConfiguration(base: .sgd, alpha0: 0.5, meta: .fixed, schedule: .linear)
        let optimizer = try MetaOptimizer(tensors: singleTensor(1), configuration: config, totalSteps: 4)
        let alpha = Float(exp(Double(float32LogStepSize(0.5))))  // correctly rounded e^β
        var w: [Float] = [0]
        for factor: Float in [1, 0.75, 0.5, 0.25] {
            #expect(optimizer.stepSize(group: 0) == Double(alpha * factor))
            let before = w[0]
            step(optimizer, &w, [1])
            #expect(before - w[0] == alpha * factor)
        }
    }

    @Test("reporting: blocks and summaries per granularity; nodewise summary is mean/min/max of the tensor's β")
    func reporting() throws {
        let layerwise = try MetaOptimizer(tensors: ToyProblem.tensors,
                                          configuration: OptimizerConfiguration(granularity: .layerwise), totalSteps: 1)
        #expect(layerwise.blockNames == ["W1", "b1", "W2", "b2"])
        let last = try MetaOptimizer(tensors: ToyProblem.tensors,
                                     configuration: OptimizerConfiguration(granularity: .lastLayerAndOthers), totalSteps: 1)
        #expect(last.blockNames == ["others", "last-layer"])
        #expect(last.blocks[1].tensorNames == ["W2", "b2"])
        let (nodewise, _) = try runToy(ToyProblem.goldenConfiguration(base: .adamw, meta: .adam, granularity: .nodewise),
                                       steps: 10)
        #expect(nodewise.groupCount == 16)
        #expect(nodewise.groupName(5) == "b1[0]")
        let betas = nodewise.logStepSizes
        let summary = nodewise.stepSizeSummary(block: 0)  // W1: groups 0..<5
        let mean = betas[0 ..< 5].reduce(0.0) { $0 + Double($1) } / 5
        #expect(abs(summary.meanLogStepSize - mean) <= 1e-12)
        #expect(summary.minLogStepSize == betas[0 ..< 5].min())
        #expect(summary.maxLogStepSize == betas[0 ..< 5].max())
        #expect(abs(summary.stepSize - exp(mean)) <= 1e-12)
        var buffer = [Float](repeating: 0, count: 16)
        buffer.withUnsafeMutableBufferPointer { nodewise.logStepSizes(into: $0) }
        #expect(buffer == betas)
    }
}
