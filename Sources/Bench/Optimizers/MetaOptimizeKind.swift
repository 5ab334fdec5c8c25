import MetaOptimize
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
            do {
                return try MetaOptimizer(tensors: context.tensors, configuration: context.configuration.optimizer,
                                         totalSteps: context.totalSteps, diagonalHessian: context.diagonalHessian)
            } catch let error as OptimizerError {
                throw SettingError.invalid(error.description)
            }
        })
}
