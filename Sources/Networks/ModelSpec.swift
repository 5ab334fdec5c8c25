/// Which network to build.
///
/// Text form (used on the command line and in configuration files; `description` round-trips through
/// `init(parsing:)`, and `Codable` uses the same single string):
/// - `linear`: multinomial logistic regression, one Linear layer input → classes (`fc.weight`, `fc.bias`).
/// - `mlp:H1,H2,…`: Linear + ReLU hidden layers of widths H1, H2, …, then a Linear output layer
///   (`layers.0.weight`, `layers.0.bias`, …, `layers.K.weight`, `layers.K.bias`; the output layer is last).
/// - `simple-cnn`: the paper's SimpleCNN (conv 3×3 pad 1 C→16, ReLU, max-pool 2, conv 3×3 pad 1 16→32, ReLU,
///   max-pool 2, flatten in C, H, W order, Linear → 128, ReLU, Linear → classes). Height and width must be
///   divisible by 4.
public enum ModelSpec: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    case linear
    case mlp(hidden: [Int])
    case simpleCNN

    /// Parses `linear`, `mlp:256,256` (one or more positive widths; spaces around them are ignored) or
    /// `simple-cnn`.
    public init(parsing text: String) throws(NetworkError) {
        let trimmed = text.trimmingWhitespace()
        if trimmed == "linear" {
            self = .linear
            return
        }
        if trimmed == "simple-cnn" {
            self = .simpleCNN
            return
        }
        if trimmed.hasPrefix("mlp:") {
            let list = trimmed.dropFirst(4)
            if list.isEmpty {
                throw .invalidSpec(text: text, reason: "mlp needs at least one hidden width, e.g. mlp:256,256")
            }
            var widths: [Int] = []
            for part in list.split(separator: ",", omittingEmptySubsequences: false) {
                guard let width = Int(part.trimmingWhitespace()), width > 0 else {
                    throw .invalidSpec(text: text, reason: "hidden width '\(part)' is not a positive integer")
                }
                widths.append(width)
            }
            self = .mlp(hidden: widths)
            return
        }
        if trimmed == "mlp" {
            throw .invalidSpec(text: text, reason: "mlp needs hidden widths, e.g. mlp:256,256")
        }
        throw .invalidSpec(text: text, reason: "expected 'linear', 'mlp:H1,H2,...' or 'simple-cnn'")
    }

    public var description: String {
        switch self {
        case .linear: return "linear"
        case .mlp(let hidden): return "mlp:" + hidden.map(String.init).joined(separator: ",")
        case .simpleCNN: return "simple-cnn"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Shape of one input sample, channel-first: a sample is `channels * height * width` Float32 values in
/// C, H, W order (row-major within a channel). Flat inputs (the linear model and MLPs) use the same count.
public struct InputShape: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// Number of Float32 values in one sample (C·H·W).
    public var count: Int { channels * height * width }

    /// `C×H×W`, e.g. `3×32×32`.
    public var description: String { "\(channels)×\(height)×\(width)" }
}

/// One named parameter tensor inside the network's contiguous parameter buffer.
///
/// Tensors appear in PyTorch `named_parameters()` order; `offset` is in Float32 elements from the start of
/// `Network.parameters` (and of `Network.gradients`, which has the same layout). Memory layout is PyTorch's:
/// row-major over `shape` (Linear weight [out, in], conv weight [out, in, 3, 3], bias [out]).
public struct ParameterInfo: Sendable, Equatable, Hashable {
    public let name: String
    public let shape: [Int]
    /// First element of this tensor in the parameter (and gradient) buffer.
    public let offset: Int
    /// PyTorch's fan-in of the layer owning the tensor (in_features, or in_channels·3·3 for a conv); the
    /// default initialisation draws from Uniform(−1/√fanIn, 1/√fanIn) for the weight and the bias alike.
    public let fanIn: Int

    /// Number of elements (product of `shape`).
    public var count: Int { shape.reduce(1, *) }
}

/// Errors of network construction and weight loading. Each description is one line.
public enum NetworkError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The model text could not be parsed.
    case invalidSpec(text: String, reason: String)
    /// A non-positive input dimension.
    case invalidInputShape(InputShape)
    /// simple-cnn needs height and width divisible by 4 (two 2×2 max-pools).
    case inputNotDivisibleBy4(InputShape)
    /// Fewer than 2 classes.
    case invalidClassCount(Int)
    /// maxBatchSize below 1.
    case invalidMaxBatchSize(Int)
    /// The diagonal Hessian is only available for the linear model.
    case diagonalHessianUnsupported(ModelSpec)
    /// Exact Hessian-vector products are implemented for `linear` and `mlp:…` only.
    case hessianVectorProductUnsupported(ModelSpec)
    /// A weights file does not match the network (missing, extra or mis-shaped tensor).
    case weightsMismatch(file: String, problem: String)

    public var description: String { oneLine(rawDescription) }

    private var rawDescription: String {
        switch self {
        case .invalidSpec(let text, let reason): return "model '\(text)': \(reason)"
        case .invalidInputShape(let shape): return "input shape \(shape): expected positive channels, height and width"
        case .inputNotDivisibleBy4(let shape):
            return "input shape \(shape): simple-cnn needs height and width divisible by 4, found \(shape.height)×\(shape.width)"
        case .invalidClassCount(let count): return "classes: expected at least 2, found \(count)"
        case .invalidMaxBatchSize(let size): return "maxBatchSize: expected at least 1, found \(size)"
        case .hessianVectorProductUnsupported(let spec):
            return "Hessian-vector products are implemented for 'linear' and 'mlp:…' only, found '\(spec)'"
        case .diagonalHessianUnsupported(let spec): return "computeDiagonalHessian: only available for the linear model, found '\(spec)'"
        case .weightsMismatch(let file, let problem): return "\(file): \(problem)"
        }
    }
}

/// Escapes line breaks and other control characters so that an error description stays on one line even when it
/// quotes user text (file names, tensor names, model texts).
func oneLine(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}":
            result += "\\u{\(String(scalar.value, radix: 16))}"
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var start = startIndex
        var end = endIndex
        while start < end, self[start].isWhitespace { start = index(after: start) }
        while end > start, self[index(before: end)].isWhitespace { end = index(before: end) }
        return String(self[start..<end])
    }
}
