import RuleKernels

/// Which weights share one log step size β (spec §5). N = number of parameter tensors, in canonical order.
///
/// Text form (also the Codable form): `scalar`, `layerwise`, `nodewise`, `weightwise`, `last-layer-and-others`,
/// `blocks:6,2`.
public enum Granularity: TextCodable, Sendable, Equatable, Hashable {
    /// One β for the whole model.
    case scalar
    /// One β per parameter tensor (a layer's weight and bias have separate β's): N groups.
    case layerwise
    /// One β per output index of each tensor: a weight `[out, …]` gets `out` β's (one per row of incoming weights
    /// or output channel), a bias `[out]` one β per element.
    case nodewise
    /// One β per weight element (IDBD style).
    case weightwise
    /// Two blocks: every tensor except the last two, and the last two (output layer weight and bias) = blocks [N−2, 2].
    case lastLayerAndOthers
    /// Consecutive blocks of tensors: block k takes the next `counts[k]` tensors; the counts must sum to N.
    case blocks([Int])

    /// Parses the text form (case-insensitive; `last_layer_and_others` is accepted too).
    public init(parsing text: String) throws {
        let key = text.lowercased().trimmingWhitespace()
        switch key {
        case "scalar": self = .scalar
        case "layerwise": self = .layerwise
        case "nodewise": self = .nodewise
        case "weightwise": self = .weightwise
        case "last-layer-and-others", "last_layer_and_others": self = .lastLayerAndOthers
        default:
            guard key.hasPrefix("blocks:") else {
                throw OptimizerError.unknownName(
                    field: "granularity", found: text,
                    expected: ["scalar", "layerwise", "nodewise", "weightwise", "last-layer-and-others", "blocks:N1,N2,…"])
            }
            let parts = key.dropFirst("blocks:".count).split(separator: ",", omittingEmptySubsequences: false)
            var counts: [Int] = []
            for part in parts {
                guard let n = Int(String(part).trimmingWhitespace()), n >= 1 else {
                    throw OptimizerError.invalidValue(
                        field: "granularity", expected: "blocks:N1,N2,… with every count an integer >= 1",
                        found: "'\(text)'")
                }
                counts.append(n)
            }
            self = .blocks(counts)
        }
    }

    public var description: String {
        switch self {
        case .scalar: return "scalar"
        case .layerwise: return "layerwise"
        case .nodewise: return "nodewise"
        case .weightwise: return "weightwise"
        case .lastLayerAndOthers: return "last-layer-and-others"
        case .blocks(let counts): return "blocks:" + counts.map(String.init).joined(separator: ",")
        }
    }

}

/// A reporting unit for step sizes: what a result file gets one column (or one summary) for.
///
/// Scalar: one block "all". Blocks / last-layer-and-others: one block per block of tensors. Layerwise, nodewise and
/// weightwise: one block per tensor (named after it), whose β's are summarised (mean, min, max).
public struct StepSizeBlock: Codable, Sendable, Equatable {
    /// Column label: "all", "others"/"last-layer", "block0"…, or the tensor's name.
    public var name: String
    /// Names of the tensors whose weights use this block's β's.
    public var tensorNames: [String]
    /// Indices of this block's β entries (step-size groups).
    public var groups: Range<Int>
}

/// How the flat parameter buffer maps to step-size groups.
struct StepSizeLayout {
    let groupCount: Int
    let parameterCount: Int
    /// One segment per group, in buffer order (empty when `elementwise`).
    let segments: [Segment]
    /// Weightwise: group index = element index.
    let elementwise: Bool
    let blocks: [StepSizeBlock]
    /// First element offset of every tensor, plus the total at the end.
    let tensorOffsets: [Int]
    /// First group index of every tensor (only for nodewise / weightwise / layerwise; else the block's group).
    let tensorFirstGroup: [Int]

    init(tensors: [TensorDescriptor], granularity: Granularity) throws {
        try OptimizerConfiguration.validateTensors(tensors)
        var offsets = [0]
        for t in tensors { offsets.append(offsets.last! + t.count) }
        tensorOffsets = offsets
        parameterCount = offsets.last!
        let n = tensors.count

        func blockLayout(_ counts: [Int], names: [String]?) -> ([Segment], [StepSizeBlock], [Int]) {
            var segments: [Segment] = []
            var blocks: [StepSizeBlock] = []
            var firstGroup: [Int] = []
            var tensor = 0
            for (k, c) in counts.enumerated() {
                let start = offsets[tensor], end = offsets[tensor + c]
                segments.append(Segment(start ..< end, group: k))
                blocks.append(StepSizeBlock(name: names?[k] ?? "block\(k)",
                                            tensorNames: tensors[tensor ..< tensor + c].map(\.name), groups: k ..< k + 1))
                firstGroup += Array(repeating: k, count: c)
                tensor += c
            }
            return (segments, blocks, firstGroup)
        }

        switch granularity {
        case .scalar:
            (segments, blocks, tensorFirstGroup) = blockLayout([n], names: ["all"])
            groupCount = 1
            elementwise = false
        case .blocks(let counts):
            guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }) else {
                throw OptimizerError.invalidValue(field: "granularity", expected: "blocks:N1,N2,… with every count >= 1",
                                                  found: granularity.description)
            }
            let sum = counts.reduce(0) { $0 &+ $1 }
            guard sum == n else {
                throw OptimizerError.blocksDoNotSumToTensorCount(blocks: counts, sum: sum, tensorCount: n)
            }
            (segments, blocks, tensorFirstGroup) = blockLayout(counts, names: nil)
            groupCount = counts.count
            elementwise = false
        case .lastLayerAndOthers:
            guard n >= 3 else {
                throw OptimizerError.invalidValue(
                    field: "granularity",
                    expected: "at least 3 parameter tensors for last-layer-and-others (= blocks [N-2, 2])",
                    found: "\(n) tensors")
            }
            (segments, blocks, tensorFirstGroup) = blockLayout([n - 2, 2], names: ["others", "last-layer"])
            groupCount = 2
            elementwise = false
        case .layerwise:
            (segments, blocks, tensorFirstGroup) = blockLayout(Array(repeating: 1, count: n), names: tensors.map(\.name))
            groupCount = n
            elementwise = false
        case .nodewise:
            var segs: [Segment] = []
            var blks: [StepSizeBlock] = []
            var first: [Int] = []
            var group = 0
            for (i, t) in tensors.enumerated() {
                let rows = t.outputCount
                let rowLength = t.count / rows
                first.append(group)
                for r in 0 ..< rows {
                    let start = offsets[i] + r * rowLength
                    segs.append(Segment(start ..< start + rowLength, group: group + r))
                }
                blks.append(StepSizeBlock(name: t.name, tensorNames: [t.name], groups: group ..< group + rows))
                group += rows
            }
            segments = segs
            blocks = blks
            tensorFirstGroup = first
            groupCount = group
            elementwise = false
        case .weightwise:
            segments = []
            blocks = tensors.enumerated().map { i, t in
                StepSizeBlock(name: t.name, tensorNames: [t.name], groups: offsets[i] ..< offsets[i + 1])
            }
            tensorFirstGroup = Array(offsets.dropLast())
            groupCount = parameterCount
            elementwise = true
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
