import MetaOptimize
import Networks
import Reports

extension OptimizerKind {
    /// MetaOptimize around a base rule (`--base`, `--meta`, `--granularity`, …); with `--meta fixed` the fixed
    /// step-size baseline, with a schedule the scheduled baseline, with `--meta hypergradient` hypergradient descent.
    static let metaOptimize = OptimizerKind(
        name: "metaoptimize",
        summary: "MetaOptimize: a base rule whose log step sizes a meta rule learns (also fixed α, schedules, hypergradient, IDBD)",
        settings: [],
        methodKind: { v in
            let o = v.optimizer
            if !o.meta.learnsStepSize { return o.schedule == .constant ? .fixed : .schedule }
            if o.meta == .hypergradient || (o.meta == .sgd && o.gamma == 0) { return .hypergradient }
            if o.meta.usesDiagonalHessian { return .other }
            return .metaOptimize
        },
        family: { $0.optimizer.base.rawValue },
        needsDiagonalHessian: { $0.optimizer.meta.usesDiagonalHessian },
        make: { context in
            if context.configuration.hessian == .exact { return try makeExactHessian(context) }
            do {
                return try MetaOptimizer(tensors: context.tensors, configuration: context.configuration.optimizer,
                                         totalSteps: context.totalSteps, diagonalHessian: context.diagonalHessian)
            } catch let error as OptimizerError {
                throw SettingError.invalid(error.description)
            }
        })
}

extension OptimizerKind {
    /// MetaOptimize with the exact-Hessian trace (`hessian: exact`): Hessian-vector products of the network's last
    /// `trainStep` on the runner's current batch.
    static func makeExactHessian(_ context: OptimizerContext) throws -> ExactHessianMetaOptimizer {
        let v = context.configuration
        let products: HessianVectorProduct
        do { products = try HessianVectorProduct(network: context.network) } catch {
            throw SettingError.invalid("--hessian exact: \(error)")
        }
        let batch = context.hessianBatch
        do {
            let optimizer = try ExactHessianMetaOptimizer(
                tensors: context.tensors, configuration: v.optimizer, approximation: v.approximation,
                totalSteps: context.totalSteps, modelName: "model \(v.model)",
                oracle: { vector, result in
                    products.product(inputs: batch.inputs, batchSize: batch.batchSize, vector: vector, into: result)
                })
            // Batch 1 (the runner's fused path): the products of the linear layers' weights stay factored.
            let factored = try HessianVectorProduct(network: context.network, columns: optimizer.groupCount)
            optimizer.useFactoredProducts(FactoredHessianVectorProducts(blocks: factored.tangentBlocks) { vector, j, result in
                factored.factoredProduct(inputs: batch.inputs, vector: vector, column: j, into: result)
            })
            return optimizer
        } catch let error as OptimizerError {
            throw SettingError.invalid("--hessian exact: \(error)")
        }
    }
}
