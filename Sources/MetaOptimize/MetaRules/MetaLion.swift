import RuleKernels
import SIMDSupport

enum LionMetaRule: MetaRuleDefinition {
    static let info = RuleInfo(name: "lion",
                               summary: "lion, c̄ and ρ̄: β ← (1 − ηκ̄)β − η·sign(c̄m̄ + (1−c̄)z), then m̄ ← ρ̄m̄ + (1−ρ̄)z",
                               reads: [.init(\.metaMomentum, default: 0.99), .init(\.metaLionInterpolation, default: 0.9)])
    typealias Faithful = Lanes
    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ common: MetaCommon,
                     _ powers: inout BiasCorrectionPowers, _ b: MetaBuffers) -> Bool {
        return runMetaPass(Lanes(common: common, interpolation: c.metaLionInterpolation!, rho: c.metaMomentum!), b)
    }

    /// β ← (1 − η·κ̄)·β − η·sign(c̄·m̄ + (1−c̄)·z) with the previous m̄; then m̄ ← ρ̄·m̄ + (1−ρ̄)·z.
    struct Lanes: MetaLanes {
        static var state: StateLayout { .one("metaFirstMoment") }
        let common: MetaCommon
        let c: V8, oneMinusC: V8, rho: V8, oneMinusRho: V8
        init(common: MetaCommon, interpolation: Double, rho: Double) {
            self.common = common
            c = V8(repeating: Float(interpolation))
            oneMinusC = V8(repeating: Float(1 - interpolation))
            self.rho = V8(repeating: Float(rho))
            oneMinusRho = V8(repeating: Float(1 - rho))
        }
        @inline(__always) func update(z: V8, beta: V8, s0 m: inout V8, s1: inout V8) -> V8 {
            let next = common.shrink * beta - common.eta * sign8(c * m + oneMinusC * z)
            m = rho * m + oneMinusRho * z
            return next
        }
    }
}

extension MetaRule {
    /// Lion on β with interpolation c̄ (`metaLionInterpolation`, default 0.9) and momentum ρ̄ (default 0.99).
    public static let lion = MetaRule(definition: LionMetaRule.self)
}
