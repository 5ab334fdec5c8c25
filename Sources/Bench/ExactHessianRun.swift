import Foundation
import MetaOptimize
import Networks

/// What the runner reads from a MetaOptimize variant (``MetaOptimizer`` or ``ExactHessianMetaOptimizer``);
/// to be replaced by the common optimizer protocol of the settings redesign.
public protocol RunnableOptimizer: AnyObject {
    var configuration: OptimizerConfiguration { get }
    var groupCount: Int { get }
    var logStepSizes: [Float] { get }
    func groupName(_ group: Int) -> String
    func stepSize(group: Int) -> Double
    func logStepSizes(into buffer: UnsafeMutableBufferPointer<Float>)
    /// z of the last completed step (the meta-gradient fed to the meta rule), one per group.
    func metaGradients(into buffer: UnsafeMutableBufferPointer<Float>)
}

extension MetaOptimizer: RunnableOptimizer {}
extension ExactHessianMetaOptimizer: RunnableOptimizer {}

/// The batch the exact optimizer's Hessian-vector products are taken on (set by the run loop before each step).
final class HessianBatch {
    var inputs = UnsafeBufferPointer<Float>(start: nil, count: 0)
    var batchSize = 1
}

extension Run {
    /// The exact-Hessian optimizer with an oracle on `network`'s last `trainStep` (batch in `batch`).
    static func makeExactOptimizer(network: Network, validated: ValidatedConfiguration, tensors: [TensorDescriptor],
                                   totalSteps: Int, batch: HessianBatch) throws -> ExactHessianMetaOptimizer {
        let products: HessianVectorProduct
        do { products = try HessianVectorProduct(network: network) } catch {
            throw SettingError.invalid("--hessian exact: \(error)")
        }
        do {
            return try ExactHessianMetaOptimizer(
                tensors: tensors, configuration: validated.optimizer, approximation: validated.approximation,
                totalSteps: totalSteps, modelName: "model \(validated.model)",
                oracle: { vector, result in
                    products.product(inputs: batch.inputs, batchSize: batch.batchSize, vector: vector, into: result)
                })
        } catch let error as OptimizerError {
            throw SettingError.invalid("--hessian exact: \(error)")
        }
    }
}

/// Checkpoint arrays and scalars of the exact optimizer (tensors `optimizer.<array>`, scalars as JSON).
enum ExactCheckpoint {
    static func parts(_ optimizer: ExactHessianMetaOptimizer) throws -> (tensors: [(name: String, shape: [Int], values: [Float])], json: String) {
        var state = optimizer.exportState()
        let tensors = state.arrays.keys.sorted().map { name in
            (name: "optimizer.\(name)", shape: [state.arrays[name]!.count], values: state.arrays[name]!)
        }
        for name in state.arrays.keys { state.arrays[name] = [] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (tensors, String(decoding: try encoder.encode(state), as: UTF8.self))
    }

    static func restore(_ optimizer: ExactHessianMetaOptimizer, json: String, tensors byName: [String: [Float]],
                        path: String) throws {
        guard var state = try? JSONDecoder().decode(ExactHessianMetaOptimizer.State.self, from: Data(json.utf8)) else {
            throw OutputError.checkpoint("\(path): checkpoint metadata is malformed")
        }
        for name in state.arrays.keys {
            guard let values = byName["optimizer.\(name)"] else {
                throw OutputError.checkpoint("\(path): checkpoint lacks optimizer.\(name)")
            }
            state.arrays[name] = values
        }
        do { try optimizer.restore(state) } catch {
            throw OutputError.checkpoint("\(path): optimizer state does not fit this run: \(error)")
        }
    }
}

extension Run {
    /// Whether the Hessian-free optimizer's last step formed the outer-product gradients in its pass.
    var lastStepFormedOuterProducts: Bool { (optimizer as? MetaOptimizer)?.lastStepFormedOuterProducts ?? false }
}
