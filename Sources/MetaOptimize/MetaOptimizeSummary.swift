extension OptimizerConfiguration {
    /// The one-line summary of a MetaOptimize optimizer, shared by the Hessian-free and exact variants:
    /// "`name`: adamw base (faithful), adam meta, scalar, α0 = 1e-05, η = 0.001, γ = 0.999", or for fixed step
    /// sizes "adamw (faithful) with fixed α = …, schedule …, scalar" followed by `fixedSuffix`.
    func metaOptimizeSummary(name: String, fixedSuffix: String = "") -> String {
        guard meta.learnsStepSize else {
            return "\(base) (\(mode)) with fixed α = \(alpha0), schedule \(schedule), \(granularity)\(fixedSuffix)"
        }
        return "\(name): \(base) base (\(mode)), \(meta) meta, \(granularity), α0 = \(alpha0), "
            + "η = \(metaStepSize), γ = \(gamma)"
    }
}
