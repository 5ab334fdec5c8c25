import Testing
@testable import MetaOptimize

/// Spec §7.2: the golden table and the four full β trajectories, produced by the official implementation, on the
/// toy problem of `ToyProblem`. Tolerances: β and w00 1e-6; z, loss, Σw, Σw² 1e-5.
@Suite("Golden values (spec §7.2)")
struct GoldenTests {
    // MARK: sanity of the toy problem itself (spec "derived debugging aids")

    @Test("toy problem: labels for t = 0..19 are as listed in the spec")
    func labels() {
        let expected = [0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2, 2, 2, 0, 0, 1, 1, 2, 0]
        #expect((0 ..< 20).map { ToyProblem.sample($0).label } == expected)
    }

    @Test("toy problem: x at t = 0 is (0.8616154, 0.94443905, 0.6876253, 0.5008846)")
    func firstInput() {
        let x = ToyProblem.sample(0).x
        let expected: [Float] = [0.8616154, 0.94443905, 0.6876253, 0.5008846]
        for k in 0 ..< 4 { #expect(abs(x[k] - expected[k]) <= 1e-7) }
    }

    @Test("toy problem: initial Σw = 0.2118002 and Σw² = 1.6141124 over the 43 weights")
    func initialSums() {
        let w = ToyProblem.initialWeights()
        #expect(w.count == 43)
        #expect(abs(w.reduce(0.0) { $0 + Double($1) } - 0.2118002) <= 1e-6)
        #expect(abs(w.reduce(0.0) { $0 + Double($1) * Double($1) } - 1.6141124) <= 1e-6)
        #expect(abs(w[0] - 0.2524413) <= 1e-7)
    }

    @Test("toy problem: first-sample loss 0.975222 and ∂loss/∂W1[0][0] = −0.1094434")
    func firstLossAndGradient() {
        let (x, label) = ToyProblem.sample(0)
        let (loss, g) = ToyProblem.lossAndGradient(ToyProblem.initialWeights(), x: x, label: label)
        #expect(abs(loss - 0.975222) <= 1e-6)
        #expect(abs(g[0] - -0.1094434) <= 1e-7)
    }

    @Test("toy problem: backward pass agrees with central finite differences (Double-checked in Float)")
    func gradientMatchesFiniteDifferences() {
        let (x, label) = ToyProblem.sample(3)
        let w = ToyProblem.initialWeights()
        let g = ToyProblem.lossAndGradient(w, x: x, label: label).gradient
        for i in 0 ..< 43 {
            var plus = w, minus = w
            plus[i] += 1e-2
            minus[i] -= 1e-2
            let fd = (ToyProblem.lossAndGradient(plus, x: x, label: label).loss
                - ToyProblem.lossAndGradient(minus, x: x, label: label).loss) / 2e-2
            #expect(abs(fd - g[i]) <= 2e-3, "weight \(i): finite difference \(fd), backward \(g[i])")
        }
    }

    // MARK: the golden table

    struct Row: Sendable, CustomStringConvertible {
        var base: BaseRule
        var meta: MetaRule
        var granularity: Granularity
        /// β after steps 1, 2, 3, 5, 10, 20; one array per block.
        var beta: [[Float]]
        var z2: [Float]
        var w00: [Float]
        var loss20: Float
        var sumW: Double
        var sumW2: Double
        var description: String { "\(base), \(meta), \(granularity)" }
    }

    static let rows: [Row] = [
        Row(base: .sgd, meta: .fixed, granularity: .scalar,
            beta: [Array(repeating: -4.6051702, count: 6)], z2: [-0.0114507],
            w00: [0.2532833, 0.2540696, 0.2544737], loss20: 0.976424, sumW: 0.170080, sumW2: 1.561926),
        Row(base: .adamw, meta: .fixed, granularity: .scalar,
            beta: [Array(repeating: -4.6051702, count: 6)], z2: [-0.0503676],
            w00: [0.2621889, 0.2809042, 0.3069766], loss20: 0.069724, sumW: -1.330080, sumW2: 7.798890),
        Row(base: .adamw, meta: .adam, granularity: .scalar,
            beta: [[-4.6051702, -4.5910316, -4.5685339, -4.5035706, -4.3632326, -4.6160779]], z2: [-0.0503676],
            w00: [0.2621889, 0.2809042, 0.3073479], loss20: 0.067028, sumW: -1.812786, sumW2: 9.079979),
        Row(base: .adamw, meta: .adam, granularity: .lastLayerAndOthers,
            beta: [[-4.6051702, -4.5910316, -4.5677719, -4.5057263, -4.3440385, -4.5532355],
                   [-4.6051702, -4.5910316, -4.5690823, -4.5029836, -4.3799849, -4.6210923]],
            z2: [-0.019516, -0.0308516],
            w00: [0.2621889, 0.2809042, 0.3073479], loss20: 0.068096, sumW: -1.813979, sumW2: 9.270609),
        Row(base: .sgdm, meta: .adam, granularity: .scalar,
            beta: [[-4.6051702, -4.6192555, -4.6057410, -4.5518160, -4.4343538, -4.2896209]], z2: [0.000162405],
            w00: [0.2521888, 0.2520461, 0.2519966], loss20: 0.982669, sumW: 0.164263, sumW2: 1.555068),
        Row(base: .rmsprop, meta: .rmsprop, granularity: .scalar,
            beta: [[-4.6051702, -4.5910316, -4.5766668, -4.5456467, -4.5132794, -4.4919810]], z2: [-0.0503676],
            w00: [0.2621889, 0.2717334, 0.2788290], loss20: 0.710961, sumW: 0.207200, sumW2: 1.907127),
        Row(base: .lion, meta: .lion, granularity: .scalar,
            beta: [[-4.6051702, -4.5951700, -4.5851698, -4.5651693, -4.5351686, -4.5151682]], z2: [-0.0503676],
            w00: [0.2621889, 0.2719267, 0.2817525], loss20: 0.529258, sumW: -0.089468, sumW2: 2.322024),
        Row(base: .lion, meta: .lion, granularity: .lastLayerAndOthers,
            beta: [[-4.6051702, -4.5951700, -4.5851698, -4.5651693, -4.5151682, -4.5151682],
                   [-4.6051702, -4.5951700, -4.5851698, -4.5651693, -4.5351686, -4.5151682]],
            z2: [-0.019516, -0.0308516],
            w00: [0.2621889, 0.2719267, 0.2817525], loss20: 0.528290, sumW: -0.092759, sumW2: 2.327325),
        Row(base: .adamw, meta: .lion, granularity: .scalar,
            beta: [[-4.6051702, -4.5951700, -4.5851698, -4.5651693, -4.5551691, -4.5951700]], z2: [-0.0503676],
            w00: [0.2621889, 0.2809042, 0.3072387], loss20: 0.067805, sumW: -1.425186, sumW2: 8.116900),
        Row(base: .sgd, meta: .rmsprop, granularity: .scalar,
            beta: [[-4.6051702, -4.5910316, -4.5761147, -4.5445213, -4.5153761, -4.4982939]], z2: [-0.0114507],
            w00: [0.2532833, 0.2540696, 0.2544795], loss20: 0.974287, sumW: 0.169914, sumW2: 1.557444),
    ]

    @Test("golden table row reproduced: β at steps 1,2,3,5,10,20, z_2, w00, loss, Σw, Σw²", arguments: rows)
    func goldenRow(_ row: Row) throws {
        let config = ToyProblem.goldenConfiguration(base: row.base, meta: row.meta, granularity: row.granularity)
        let run = try ToyProblem.run(config)
        for (k, step) in [1, 2, 3, 5, 10, 20].enumerated() {
            for block in row.beta.indices {
                let got = run.betas[step - 1][block]
                let want = row.beta[block][k]
                #expect(abs(got - want) <= 1e-6, "β block \(block) after step \(step): \(got) vs \(want)")
            }
        }
        for block in row.z2.indices {
            #expect(abs(run.zs[1][block] - row.z2[block]) <= 1e-5, "z_2 block \(block): \(run.zs[1][block])")
        }
        for k in 0 ..< 3 {
            #expect(abs(run.w00[k] - row.w00[k]) <= 1e-6, "w00 after step \(k + 1): \(run.w00[k])")
        }
        #expect(abs(run.losses[19] - row.loss20) <= 1e-5, "loss at step 20: \(run.losses[19])")
        let sumW = run.finalWeights.reduce(0.0) { $0 + Double($1) }
        let sumW2 = run.finalWeights.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(abs(sumW - row.sumW) <= 1e-5, "Σw: \(sumW)")
        #expect(abs(sumW2 - row.sumW2) <= 1e-5, "Σw²: \(sumW2)")
    }

    // MARK: full trajectories

    static func checkTrajectory(_ run: ToyProblem.Run, _ expected: [Float]) {
        #expect(expected.count == 20)
        for t in 0 ..< 20 {
            #expect(abs(run.betas[t][0] - expected[t]) <= 1e-6, "β after step \(t + 1): \(run.betas[t][0]) vs \(expected[t])")
        }
    }

    @Test("full β trajectory and z_t of (AdamW, Adam, scalar) reproduced")
    func trajectoryAdamWAdam() throws {
        let run = try ToyProblem.run(ToyProblem.goldenConfiguration(base: .adamw, meta: .adam))
        Self.checkTrajectory(run, [
            -4.6051702, -4.5910316, -4.5685339, -4.5391641, -4.5035706, -4.4615803, -4.4445128, -4.4305830,
            -4.4016857, -4.3632326, -4.3774281, -4.3833604, -4.3830247, -4.3761039, -4.3849096, -4.4068937,
            -4.4459643, -4.5014219, -4.5618038, -4.6160779,
        ])
        let z: [Float] = [
            0, -0.0503676, -0.0989731, -0.176382, -0.278482, -0.359102, 0.370299, 0.0537832, -0.486033, -0.383928,
            1.83737, -0.429207, -0.341152, -0.379372, 0.885511, 0.892732, 1.55006, 2.91261, 1.04518, -0.140026,
        ]
        for t in 0 ..< 20 { #expect(abs(run.zs[t][0] - z[t]) <= 1e-5, "z_\(t + 1): \(run.zs[t][0]) vs \(z[t])") }
    }

    @Test("full β trajectory of (Lion, Lion, scalar) reproduced")
    func trajectoryLionLion() throws {
        let run = try ToyProblem.run(ToyProblem.goldenConfiguration(base: .lion, meta: .lion))
        Self.checkTrajectory(run, [
            -4.6051702, -4.5951700, -4.5851698, -4.5751696, -4.5651693, -4.5551691, -4.5651693, -4.5551691,
            -4.5451689, -4.5351686, -4.5451689, -4.5351686, -4.5251684, -4.5151682, -4.5051680, -4.4951677,
            -4.5051680, -4.5151682, -4.5251684, -4.5151682,
        ])
    }

    @Test("full β trajectory of (RMSProp, RMSProp, scalar) reproduced")
    func trajectoryRMSPropRMSProp() throws {
        let run = try ToyProblem.run(ToyProblem.goldenConfiguration(base: .rmsprop, meta: .rmsprop))
        Self.checkTrajectory(run, [
            -4.6051702, -4.5910316, -4.5766668, -4.5614958, -4.5456467, -4.5295396, -4.5413079, -4.5397396,
            -4.5323815, -4.5132794, -4.5269313, -4.5192428, -4.5105724, -4.4968739, -4.4957328, -4.4827299,
            -4.4994149, -4.5094309, -4.5124931, -4.4919810,
        ])
    }

    @Test("full β trajectory of (SGDm, Adam, scalar) reproduced")
    func trajectorySGDmAdam() throws {
        let run = try ToyProblem.run(ToyProblem.goldenConfiguration(base: .sgdm, meta: .adam))
        Self.checkTrajectory(run, [
            -4.6051702, -4.6192555, -4.6057410, -4.5824089, -4.5518160, -4.5144596, -4.4964404, -4.4947758,
            -4.4723096, -4.4343538, -4.4167805, -4.4060435, -4.3949494, -4.3850136, -4.3543463, -4.3077049,
            -4.2917361, -4.2993908, -4.3134274, -4.2896209,
        ])
    }
}
