/// Every way an optimizer configuration, a tensor layout or a checkpoint can be rejected.
///
/// Each description is one line naming the field, what was expected and what was found.
public enum OptimizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A rule, granularity or schedule name that is not known.
    case unknownName(field: String, found: String, expected: [String])
    /// A hyper-parameter or setting outside its allowed range or malformed.
    case invalidValue(field: String, expected: String, found: String)
    /// Explicit blocks whose tensor counts do not add up to the number of parameter tensors.
    case blocksDoNotSumToTensorCount(blocks: [Int], sum: Int, tensorCount: Int)
    /// A tensor descriptor that is malformed (index in canonical order).
    case invalidTensor(index: Int, name: String, expected: String, found: String)
    /// A combination of settings that the selected rule cannot run with (e.g. IDBD without base SGD).
    case incompatible(field: String, expected: String, found: String)
    /// A checkpoint that does not belong to this optimizer (different tensors, configuration or sizes).
    case stateMismatch(field: String, expected: String, found: String)

    public var description: String {
        switch self {
        case let .unknownName(field, found, expected):
            return "optimizer configuration: field '\(field)': expected one of \(expected.joined(separator: ", ")), found '\(found)'"
        case let .invalidValue(field, expected, found): return "optimizer configuration: field '\(field)': expected \(expected), found \(found)"
        case let .blocksDoNotSumToTensorCount(blocks, sum, tensorCount):
            let list = blocks.map(String.init).joined(separator: ",")
            return "optimizer configuration: field 'granularity': expected block sizes summing to the model's \(tensorCount) parameter tensors, found blocks:\(list) summing to \(sum)"
        case let .invalidTensor(index, name, expected, found):
            return "optimizer tensors: tensor \(index) '\(name)': expected \(expected), found \(found)"
        case let .incompatible(field, expected, found): return "optimizer configuration: field '\(field)': expected \(expected), found \(found)"
        case let .stateMismatch(field, expected, found): return "optimizer state: field '\(field)': expected \(expected), found \(found)"
        }
    }
}
