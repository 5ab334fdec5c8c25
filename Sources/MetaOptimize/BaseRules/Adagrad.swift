import RuleKernels
import SIMDSupport

/// Adagrad (Duchi, Hazan & Singer 2011).
/// - faithful: the official code's conventions for its RMSProp with λ = 1 and no bias correction: s ← s + g²,
///   d = g / sqrt(s + 1e-10) (ε inside the root);
/// - standard: `torch.optim.Adagrad(lr_decay=0, eps=1e-10, initial_accumulator_value=0)`: s ← s + g·g,
///   d = g / (sqrt(s) + 1e-10).
/// Both modes use the suite's decoupled weight decay δ = α·(d + κ·w) (PyTorch's Adagrad couples it into g instead;
/// with κ = 0 the two agree).
enum AdagradRule: BaseRuleDefinition {
    static let info = RuleInfo(name: "adagrad",
                               summary: "Adagrad: s ← s + g²; faithful d = g/√(s + 1e-10); standard (torch) d = g/(√s + 1e-10)")

    static func pass(_ mode: OptimizerMode, _ c: OptimizerConfiguration, _ powers: inout BiasCorrectionPowers,
                     _ step: BaseStep) {
        switch mode {
        case .faithful: step.run(Faithful())
        case .standard: step.run(Standard())
        }
    }

    struct Faithful: BaseLanes {
        static var state: StateLayout { .one("sumOfSquares") }
        let epsilon = V8(repeating: Float(1e-10))
        @inline(__always) func direction(g: V8, s0 s: inout V8, s1: inout V8) -> V8 {
            s = s + g * g
            return g / squareRoot8(s + epsilon)
        }
    }

    struct Standard: BaseLanes {
        static var state: StateLayout { .one("sumOfSquares") }
        let epsilon = V8(repeating: Float(1e-10))
        @inline(__always) func direction(g: V8, s0 s: inout V8, s1: inout V8) -> V8 {
            s = s + g * g
            return g / (squareRoot8(s) + epsilon)
        }
    }
}

extension BaseRule {
    /// Adagrad: the sum of squared gradients scales each weight's step (no hyper-parameters besides α and κ).
    public static let adagrad = BaseRule(definition: AdagradRule.self)
}
