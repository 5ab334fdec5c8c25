import AllocationCounter
import Bench
import Competitors
import Foundation
import MetaOptimize
import Networks
import Streams

/// Batch-1 training throughput on one core: forward + loss + backward + optimizer step on a fixed random input,
/// the work of one online step without the stream. Like the runner, cases hand the linear layers' weight gradients
/// to the optimizer as outer products unless `denseGradient` (the materialised gradient, for comparison).
struct TrainingCase {
    enum Part { case full, networkOnly, optimizerOnly }
    var name: String
    var part: Part = .full
    var denseGradient = false
    var model: ModelSpec
    var input: InputShape
    var classes: Int
    var optimizer: OptimizerConfiguration
    /// `.exact`: ExactHessianMetaOptimizer with the network's Hessian-vector products (factored in the pass unless
    /// `denseGradient`).
    var hessian: HessianMode = .free
    var approximation: HessianApproximation = .twoByTwo
    /// A learning-rate-free competitor instead of MetaOptimize (at the spec's comparison settings).
    var competitor: CompetitorMethod? = nil
}

struct Measurement: Codable {
    var name: String
    var stepsPerSecondMedian: Double
    var stepsPerSecondSamples: [Double]
    var allocationsPerStep: Double
    /// Set when the optimizer diverged during the measurement (its later steps were refused: the rate is not the
    /// rate of real steps).
    var divergedAtStep: Int? = nil

    enum CodingKeys: String, CodingKey {
        case name, stepsPerSecondMedian = "steps_per_second_median", stepsPerSecondSamples = "steps_per_second_samples"
        case allocationsPerStep = "allocations_per_step", divergedAtStep = "diverged_at_step"
    }
}

enum TrainingBenchmarks {
    static func optimizer(base: BaseRule, meta: MetaRule, granularity: Granularity = .scalar,
                          metaStepSize: Double = 1e-3) -> OptimizerConfiguration {
        var o = OptimizerConfiguration()
        o.metaStepSize = metaStepSize
        o.base = base
        o.meta = meta
        o.alpha0 = 1e-4
        o.weightDecay = 0.1
        o.granularity = granularity
        return o.resolved()
    }

    static var cases: [TrainingCase] {
        let mnist = InputShape(channels: 1, height: 28, width: 28)
        let cifar = InputShape(channels: 3, height: 32, width: 32)
        let mlp = ModelSpec.mlp(hidden: [256, 256])
        return [
            TrainingCase(name: "mlp-784-256-256-10/adamw+adam/scalar", model: mlp, input: mnist, classes: 10,
                         optimizer: optimizer(base: .adamw, meta: .adam)),
            TrainingCase(name: "mlp-784-256-256-10/adamw+adam/scalar/dense-gradient", denseGradient: true, model: mlp,
                         input: mnist, classes: 10, optimizer: optimizer(base: .adamw, meta: .adam)),
            TrainingCase(name: "mlp-784-256-256-10/adamw+fixed", model: mlp, input: mnist, classes: 10,
                         optimizer: optimizer(base: .adamw, meta: .fixed)),
            TrainingCase(name: "mlp-784-256-256-10/sgd+fixed", model: mlp, input: mnist, classes: 10,
                         optimizer: optimizer(base: .sgd, meta: .fixed)),
            TrainingCase(name: "mlp-784-256-256-10/lion+lion/scalar", model: mlp, input: mnist, classes: 10,
                         optimizer: optimizer(base: .lion, meta: .lion)),
            TrainingCase(name: "mlp-784-256-256-10/adamw+adam/last-layer-and-others", model: mlp, input: mnist, classes: 10,
                         optimizer: optimizer(base: .adamw, meta: .adam, granularity: .lastLayerAndOthers)),
            // Exact Hessian-vector products (one per step size per step), same model and rules as the first case;
            // like the runner at batch 1, gradient and products of the linear layers formed in the pass.
            TrainingCase(name: "mlp-784-256-256-10/adamw+adam/scalar/exact-2x2", model: mlp,
                         input: mnist, classes: 10, optimizer: optimizer(base: .adamw, meta: .adam), hessian: .exact),
            TrainingCase(name: "mlp-784-256-256-10/adamw+adam/scalar/exact-l", model: mlp,
                         input: mnist, classes: 10, optimizer: optimizer(base: .adamw, meta: .adam), hessian: .exact,
                         approximation: .l),
            // The same with the gradient and the products materialised (the path of batches > 1).
            TrainingCase(name: "mlp-784-256-256-10/adamw+adam/scalar/exact-2x2/dense", denseGradient: true, model: mlp,
                         input: mnist, classes: 10, optimizer: optimizer(base: .adamw, meta: .adam), hessian: .exact),
            TrainingCase(name: "mlp-784-256-256-10/sgd+adam/scalar", model: mlp, input: mnist, classes: 10,
                         optimizer: optimizer(base: .sgd, meta: .adam)),
            TrainingCase(name: "mlp-784-256-256-10/sgd+adam/scalar/exact-2x2", model: mlp,
                         input: mnist, classes: 10, optimizer: optimizer(base: .sgd, meta: .adam), hessian: .exact),
            // η = 1e-5: with 1e-3 this case diverges within the benchmark's steps (the cost does not depend on η).
            TrainingCase(name: "mlp-784-256-256-10/adamw+adam/last-layer-and-others/exact-2x2/eta-1e-5",
                         model: mlp, input: mnist, classes: 10,
                         optimizer: optimizer(base: .adamw, meta: .adam, granularity: .lastLayerAndOthers,
                                              metaStepSize: 1e-5),
                         hessian: .exact),
            TrainingCase(name: "simple-cnn-3x32x32/adamw+adam/scalar", model: .simpleCNN, input: cifar, classes: 10,
                         optimizer: optimizer(base: .adamw, meta: .adam)),
            TrainingCase(name: "simple-cnn-3x32x32/adamw+adam/scalar/dense-gradient", denseGradient: true,
                         model: .simpleCNN, input: cifar, classes: 10, optimizer: optimizer(base: .adamw, meta: .adam)),
            TrainingCase(name: "simple-cnn-3x32x32/adamw+fixed", model: .simpleCNN, input: cifar, classes: 10,
                         optimizer: optimizer(base: .adamw, meta: .fixed)),
            TrainingCase(name: "simple-cnn-3x32x32/sgd+fixed", model: .simpleCNN, input: cifar, classes: 10,
                         optimizer: optimizer(base: .sgd, meta: .fixed)),
            // Breakdown of the first case: forward + loss + backward alone, and the optimizer step alone.
            TrainingCase(name: "part/mlp-784-256-256-10/network-only", part: .networkOnly, model: mlp, input: mnist,
                         classes: 10, optimizer: optimizer(base: .adamw, meta: .adam)),
            TrainingCase(name: "part/mlp-784-256-256-10/adamw+adam-optimizer-only", part: .optimizerOnly, model: mlp,
                         input: mnist, classes: 10, optimizer: optimizer(base: .adamw, meta: .adam)),
            TrainingCase(name: "part/simple-cnn-3x32x32/network-only", part: .networkOnly, model: .simpleCNN,
                         input: cifar, classes: 10, optimizer: optimizer(base: .adamw, meta: .adam)),
        ] + CompetitorMethod.allCases.map {
            // The competitors against fixed AdamW (`mlp-784-256-256-10/adamw+fixed`): ratio printed by `training`.
            TrainingCase(name: "mlp-784-256-256-10/\($0.rawValue)", model: mlp, input: mnist, classes: 10,
                         optimizer: optimizer(base: .adamw, meta: .fixed), competitor: $0)
        }
    }

    /// One case ready to run: its network, optimizer and inputs, allocated once.
    final class Prepared {
        let trainingCase: TrainingCase
        let network: Network
        /// Through the interface the runner uses (``ExactHessianMetaOptimizer`` for `hessian: .exact`).
        let optimizer: any Optimizer
        let products: HessianVectorProduct?
        let outerProducts: [OuterProductGradient]
        let inputs: UnsafeMutableBufferPointer<Float>
        let label: UnsafeMutableBufferPointer<Int32>
        let size: Int
        var index = 0
        /// The input of the current step, for the Hessian-vector products.
        final class CurrentInput { var inputs = UnsafeBufferPointer<Float>(start: nil, count: 0) }
        let current: CurrentInput?

        init(_ c: TrainingCase) throws {
            trainingCase = c
            network = try Network(spec: c.model, input: c.input, classes: c.classes, maxBatchSize: 1)
            var generator = RandomKey.generator(seed: 0, domain: .initialisation)
            network.initialize(using: &generator)
            outerProducts = network.outerProductBlocks
            let tensors = network.parameterInfo.map { TensorDescriptor(name: $0.name, shape: $0.shape) }
            size = c.input.channels * c.input.height * c.input.width
            if c.hessian == .exact {
                let products = try HessianVectorProduct(network: network)
                self.products = products
                let current = CurrentInput()
                self.current = current
                let exact = try ExactHessianMetaOptimizer(
                    tensors: tensors, configuration: c.optimizer, approximation: c.approximation, totalSteps: 1 << 40,
                    oracle: { vector, result in
                        products.product(inputs: current.inputs, batchSize: 1, vector: vector, into: result)
                    })
                let factored = try HessianVectorProduct(network: network, columns: exact.groupCount)
                exact.useFactoredProducts(FactoredHessianVectorProducts(blocks: factored.tangentBlocks) { v, j, r in
                    factored.factoredProduct(inputs: current.inputs, vector: v, column: j, into: r)
                })
                optimizer = exact
            } else if let method = c.competitor {
                var settings = CompetitorSettings()
                if method == .mechanic { settings.lr = 1 }  // spec §8: base lr 1.0
                // D-Adapt Lion at the package default lr 1 grows d until the loss of this fixed-input stream turns
                // non-finite (step ~630; at lr 0.1 step ~4,400), after which steps are refused and cost nothing; at
                // lr 0.01 every step of `make perf` (15,260) is a real one. The per-step work does not depend on lr.
                if method == .dadaptLion { settings.lr = 0.01 }
                optimizer = try makeCompetitor(method, tensors: tensors, settings: settings)
                products = nil
                current = nil
            } else {
                optimizer = try MetaOptimizer(tensors: tensors, configuration: c.optimizer, totalSteps: 1 << 40)
                products = nil
                current = nil
            }
            // A few distinct inputs so gradients vary from step to step.
            inputs = .allocate(capacity: 16 * size)
            var rng = SplitMix64(state: 1)
            for i in 0..<inputs.count { inputs[i] = Float(rng.next() >> 40) * 0x1p-24 }
            label = .allocate(capacity: 1)
        }

        deinit {
            inputs.deallocate()
            label.deallocate()
        }

        func step() {
            let c = trainingCase
            let x = UnsafeBufferPointer(rebasing: inputs[(index & 15) * size ..< ((index & 15) + 1) * size])
            label[0] = Int32(index % c.classes)
            var loss: Float = 1
            if c.part != .optimizerOnly || index < 16 {
                loss = network.trainStep(inputs: x, labels: UnsafeBufferPointer(label), batchSize: 1,
                                         weightGradients: c.denseGradient ? .dense : .outerProducts)
            }
            current?.inputs = x
            if c.part != .networkOnly {
                if c.denseGradient {
                    optimizer.step(weights: network.parameters, gradients: UnsafeBufferPointer(network.gradients),
                                   loss: loss)
                } else {
                    optimizer.step(weights: network.parameters, gradients: network.gradients,
                                   outerProducts: outerProducts, loss: loss)
                }
            }
            index += 1
        }
    }

    /// Median steps/s of each case over `repetitions` timed blocks of `steps` steps, after `warmup` steps. The
    /// cases run interleaved (round r times block r of every case), so a slow period of the machine (other tenants
    /// sharing the L3 cache and memory bandwidth of a cloud host) affects every case alike and ratios between
    /// cases stay meaningful. Allocations are counted over all timed steps of a case.
    static func measure(_ cases: [TrainingCase], steps: Int, repetitions: Int, warmup: Int,
                        progress: (Int) -> Void = { _ in }) throws -> [Measurement] {
        let prepared = try cases.map(Prepared.init)
        for p in prepared { for _ in 0..<warmup { p.step() } }
        var samples = [[Double]](repeating: [], count: cases.count)
        for k in samples.indices { samples[k].reserveCapacity(repetitions) }
        var allocations = [Int](repeating: 0, count: cases.count)
        let clock = ContinuousClock()
        for round in 0..<repetitions {
            for (k, p) in prepared.enumerated() {
                let allocationsBefore = allocation_counter_count()
                let start = clock.now
                for _ in 0..<steps { p.step() }
                let elapsed = clock.now - start
                allocations[k] += Int(allocation_counter_count() - allocationsBefore)
                samples[k].append(Double(steps) / elapsed.seconds)
            }
            progress(round + 1)
        }
        // A case whose optimizer diverged is reported with its step (its later steps were refused, so its rate is not
        // the step's cost), not dropped: the other cases' numbers stay usable.
        return cases.indices.map { k in
            Measurement(name: cases[k].name, stepsPerSecondMedian: median(samples[k]), stepsPerSecondSamples: samples[k],
                        allocationsPerStep: Double(allocations[k]) / Double(steps * repetitions),
                        divergedAtStep: prepared[k].optimizer.divergedAtStep)
        }
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
