import Foundation
import Testing
import RuleKernels
@testable import MetaOptimize

/// (granularity, number of β) for mlp 784-256-256-10; nodewise = 256 + 256 + 256 + 256 + 10 + 10.
let groupCountCases: [(Granularity, Int)] = [
    (.scalar, 1), (.layerwise, 6), (.nodewise, 1044), (.weightwise, 269_322), (.lastLayerAndOthers, 2),
    (.blocks([2, 2, 2]), 3),
]

@Suite("Granularity: parsing and step-size groups (spec §5)")
struct GranularityTests {
    @Test("text form parses and round-trips through description and JSON")
    func roundTrip() throws {
        let all: [Granularity] = [.scalar, .layerwise, .nodewise, .weightwise, .lastLayerAndOthers, .blocks([6, 2])]
        for g in all {
            #expect(try Granularity(parsing: g.description) == g)
            let data = try JSONEncoder().encode([g])
            #expect(try JSONDecoder().decode([Granularity].self, from: data) == [g])
        }
        #expect(try Granularity(parsing: "last_layer_and_others") == .lastLayerAndOthers)
        #expect(try Granularity(parsing: "blocks:3, 12,15") == .blocks([3, 12, 15]))
        #expect(Granularity.lastLayerAndOthers.description == "last-layer-and-others")
        for bad in ["blocks:", "blocks:2,0", "blocks:a", "rowwise", "blocks:2,,3"] {
            #expect(throws: OptimizerError.self) { try Granularity(parsing: bad) }
        }
    }

    @Test("number of β per granularity for mlp 784-256-256-10",
          arguments: groupCountCases)
    func groupCounts(granularity: Granularity, groups: Int) throws {
        let layout = try StepSizeLayout(tensors: mlpTensors, granularity: granularity)
        #expect(layout.groupCount == groups)
        #expect(layout.parameterCount == 269_322)
        if !layout.elementwise {
            // Segments tile the whole buffer, in order, one per group.
            #expect(layout.segments.count == groups)
            var offset = 0
            for (j, s) in layout.segments.enumerated() {
                #expect(s.offset == offset && s.group == j)
                offset += s.count
            }
            #expect(offset == 269_322)
        }
    }

    @Test("nodewise: one β per output row of a [out, in] weight (row of in weights) and per bias element")
    func nodewiseRows() throws {
        let layout = try StepSizeLayout(tensors: ToyProblem.tensors, granularity: .nodewise)
        #expect(layout.groupCount == 5 + 5 + 3 + 3)
        #expect(layout.segments[0] == Segment(0 ..< 4, group: 0))
        #expect(layout.segments[4] == Segment(16 ..< 20, group: 4))
        #expect(layout.segments[5] == Segment(20 ..< 21, group: 5))
        #expect(layout.segments[10] == Segment(25 ..< 30, group: 10))
        #expect(layout.blocks.map(\.groups) == [0 ..< 5, 5 ..< 10, 10 ..< 13, 13 ..< 16])
        // Conv weight [out, in, kh, kw]: one β per output channel over in·kh·kw weights.
        let conv = try StepSizeLayout(tensors: [TensorDescriptor(name: "conv1.weight", shape: [16, 3, 3, 3])],
                                      granularity: .nodewise)
        #expect(conv.groupCount == 16 && conv.segments.allSatisfy { $0.count == 27 })
    }

    @Test("blocks must sum to the tensor count; last-layer-and-others needs at least 3 tensors")
    func blockValidation() throws {
        #expect {
            try StepSizeLayout(tensors: ToyProblem.tensors, granularity: .blocks([3, 2]))
        } throws: { error in
            (error as? OptimizerError) == .blocksDoNotSumToTensorCount(blocks: [3, 2], sum: 5, tensorCount: 4)
        }
        #expect(throws: OptimizerError.self) {
            try StepSizeLayout(tensors: ToyProblem.tensors, granularity: .blocks([1, 2]))
        }
        #expect(throws: OptimizerError.self) { try StepSizeLayout(tensors: ToyProblem.tensors, granularity: .blocks([])) }
        let linear = [TensorDescriptor(name: "fc.weight", shape: [10, 784]), TensorDescriptor(name: "fc.bias", shape: [10])]
        #expect(throws: OptimizerError.self) { try StepSizeLayout(tensors: linear, granularity: .lastLayerAndOthers) }
        let description = OptimizerError.blocksDoNotSumToTensorCount(blocks: [3, 2], sum: 5, tensorCount: 4).description
        #expect(description.contains("granularity") && description.contains("blocks:3,2") && description.contains("4"))
    }

    @Test("weightwise z is h·g elementwise (bit-exact Float32 product with the previous step's trace)")
    func weightwiseMetaGradient() throws {
        let config = ToyProblem.goldenConfiguration(base: .adamw, meta: .adam, granularity: .weightwise)
        let optimizer = try MetaOptimizer(tensors: ToyProblem.tensors, configuration: config, totalSteps: 3)
        var w = ToyProblem.initialWeights()
        for t in 0 ..< 3 {
            let h = optimizer.exportState().trace
            let (x, label) = ToyProblem.sample(t)
            let g = ToyProblem.lossAndGradient(w, x: x, label: label).gradient
            step(optimizer, &w, g)
            #expect(optimizer.metaGradients == zip(h, g).map { $0 * $1 })
        }
        #expect(Set(optimizer.logStepSizes).count > 1)  // the β's have diverged from each other
    }

    @Test("nodewise z of a group is Σ h·g over that row only")
    func nodewiseMetaGradient() throws {
        let config = ToyProblem.goldenConfiguration(base: .sgdm, meta: .rmsprop, granularity: .nodewise)
        let optimizer = try MetaOptimizer(tensors: ToyProblem.tensors, configuration: config, totalSteps: 4)
        var w = ToyProblem.initialWeights()
        let layout = try StepSizeLayout(tensors: ToyProblem.tensors, granularity: .nodewise)
        for t in 0 ..< 4 {
            let h = optimizer.exportState().trace
            let (x, label) = ToyProblem.sample(t)
            let g = ToyProblem.lossAndGradient(w, x: x, label: label).gradient
            step(optimizer, &w, g)
            for s in layout.segments {
                let expected = (s.offset ..< s.offset + s.count).reduce(0.0) { $0 + Double(h[$1]) * Double(g[$1]) }
                #expect(abs(Double(optimizer.metaGradients[s.group]) - expected) <= 1e-8)
            }
        }
    }

    @Test("layerwise equals blocks of one tensor each, bit for bit")
    func layerwiseIsBlocksOfOne() throws {
        let a = try ToyProblem.run(ToyProblem.goldenConfiguration(base: .rmsprop, meta: .adam, granularity: .layerwise))
        let b = try ToyProblem.run(ToyProblem.goldenConfiguration(base: .rmsprop, meta: .adam,
                                                                  granularity: .blocks([1, 1, 1, 1])))
        #expect(a.betas == b.betas && a.finalWeights == b.finalWeights)
    }
}
