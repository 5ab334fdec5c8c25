import Foundation
@testable import Networks

// Shared helpers for the Networks tests: a deterministic generator and an independent Double-precision reference
// implementation of the three models written with plain loops (no code shared with the kernels).

/// SplitMix64 (Steele, Lea & Flood 2014), used only to make test data.
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    mutating func uniform(_ lo: Float, _ hi: Float) -> Float {
        lo + (hi - lo) * Float(next() >> 40) * 0x1p-24
    }
    mutating func uniforms(_ count: Int, _ lo: Float, _ hi: Float) -> [Float] {
        (0..<count).map { _ in uniform(lo, hi) }
    }
    mutating func index(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Plain-loop Double reference of `Network` (same canonical parameter layout, PyTorch semantics).
struct ReferenceModel {
    let spec: ModelSpec
    let input: InputShape
    let classes: Int

    /// Mean cross-entropy over the batch and the logits ([batch][classes]).
    func loss(parameters p: [Double], inputs: [Double], labels: [Int32]) -> (mean: Double, logits: [[Double]]) {
        let batch = labels.count
        let n = input.count
        var total = 0.0
        var allLogits: [[Double]] = []
        for b in 0..<batch {
            let x = Array(inputs[(b * n)..<((b + 1) * n)])
            let z = logits(p, x)
            allLogits.append(z)
            let m = z.max()!
            let lse = m + log(z.map { exp($0 - m) }.reduce(0, +))
            total += lse - z[Int(labels[b])]
        }
        return (total / Double(batch), allLogits)
    }

    func logits(_ p: [Double], _ x: [Double]) -> [Double] {
        switch spec {
        case .linear:
            return linear(p, weightAt: 0, biasAt: classes * x.count, x, out: classes)
        case .mlp(let hidden):
            var a = x
            var offset = 0
            let widths = hidden + [classes]
            for (layer, width) in widths.enumerated() {
                let weightAt = offset
                let biasAt = offset + width * a.count
                offset = biasAt + width
                a = linear(p, weightAt: weightAt, biasAt: biasAt, a, out: width)
                if layer < widths.count - 1 { a = a.map { max($0, 0) } }
            }
            return a
        case .simpleCNN:
            let (c, h, w) = (input.channels, input.height, input.width)
            var offset = 0
            let w1 = offset; offset += 16 * c * 9
            let b1 = offset; offset += 16
            let w2 = offset; offset += 32 * 16 * 9
            let b2 = offset; offset += 32
            var a = conv3x3(p, weightAt: w1, biasAt: b1, x, inChannels: c, outChannels: 16, height: h, width: w)
            a = maxPool2(a.map { max($0, 0) }, channels: 16, height: h, width: w)
            a = conv3x3(p, weightAt: w2, biasAt: b2, a, inChannels: 16, outChannels: 32, height: h / 2, width: w / 2)
            a = maxPool2(a.map { max($0, 0) }, channels: 32, height: h / 2, width: w / 2)
            let flat = a.count  // C, H, W order: exactly the memory order of `a`
            let w3 = offset; offset += 128 * flat
            let b3 = offset; offset += 128
            a = linear(p, weightAt: w3, biasAt: b3, a, out: 128).map { max($0, 0) }
            let w4 = offset; offset += classes * 128
            let b4 = offset
            return linear(p, weightAt: w4, biasAt: b4, a, out: classes)
        }
    }

    func linear(_ p: [Double], weightAt: Int, biasAt: Int, _ x: [Double], out: Int) -> [Double] {
        var y = [Double](repeating: 0, count: out)
        for o in 0..<out {
            var s = p[biasAt + o]
            for i in 0..<x.count { s += p[weightAt + o * x.count + i] * x[i] }
            y[o] = s
        }
        return y
    }

    func conv3x3(
        _ p: [Double], weightAt: Int, biasAt: Int, _ x: [Double],
        inChannels: Int, outChannels: Int, height: Int, width: Int
    ) -> [Double] {
        referenceConv3x3(
            weight: Array(p[weightAt..<(weightAt + outChannels * inChannels * 9)]),
            bias: Array(p[biasAt..<(biasAt + outChannels)]),
            x, inChannels: inChannels, outChannels: outChannels, height: height, width: width)
    }
}

/// Direct 3×3 convolution, stride 1, zero padding 1; weight [out][in][3][3].
func referenceConv3x3(
    weight: [Double], bias: [Double], _ x: [Double], inChannels: Int, outChannels: Int, height: Int, width: Int
) -> [Double] {
    var y = [Double](repeating: 0, count: outChannels * height * width)
    for o in 0..<outChannels {
        for r in 0..<height {
            for c in 0..<width {
                var s = bias[o]
                for i in 0..<inChannels {
                    for ky in 0..<3 {
                        for kx in 0..<3 {
                            let rr = r + ky - 1, cc = c + kx - 1
                            if rr < 0 || rr >= height || cc < 0 || cc >= width { continue }
                            s += weight[((o * inChannels + i) * 3 + ky) * 3 + kx] * x[(i * height + rr) * width + cc]
                        }
                    }
                }
                y[(o * height + r) * width + c] = s
            }
        }
    }
    return y
}

/// 2×2 max-pool, stride 2.
func maxPool2(_ x: [Double], channels: Int, height: Int, width: Int) -> [Double] {
    let ph = height / 2, pw = width / 2
    var y = [Double](repeating: 0, count: channels * ph * pw)
    for c in 0..<channels {
        for r in 0..<ph {
            for q in 0..<pw {
                let base = c * height * width
                y[(c * ph + r) * pw + q] = max(
                    max(x[base + 2 * r * width + 2 * q], x[base + 2 * r * width + 2 * q + 1]),
                    max(x[base + (2 * r + 1) * width + 2 * q], x[base + (2 * r + 1) * width + 2 * q + 1]))
            }
        }
    }
    return y
}

extension Network {
    var parameterArray: [Float] { Array(parameters) }
    var gradientArray: [Float] { Array(gradients) }

    func setParameters(_ values: [Float]) {
        precondition(values.count == parameterCount)
        for i in 0..<parameterCount { parameters[i] = values[i] }
    }
}

/// Central finite difference of `f` at `x` along coordinate `index`.
func centralDifference(_ f: ([Double]) -> Double, at x: [Double], index: Int, step: Double) -> Double {
    var plus = x, minus = x
    plus[index] += step
    minus[index] -= step
    return (f(plus) - f(minus)) / (2 * step)
}

func temporaryPath(_ name: String) -> String {
    let directory = FileManager.default.temporaryDirectory.path
    return "\(directory)/networks-tests-\(getpid())-\(UInt64.random(in: 0...UInt64.max))-\(name)"
}

/// A heap buffer with a stable address for passing to kernels (freed with the object).
final class Scratch<T> {
    let buffer: UnsafeMutableBufferPointer<T>

    init(_ values: [T]) {
        buffer = .allocate(capacity: max(values.count, 1))
        _ = buffer.initialize(from: values)
    }

    convenience init(repeating value: T, count: Int) {
        self.init([T](repeating: value, count: count))
    }

    var pointer: UnsafeMutablePointer<T> { buffer.baseAddress! }
    var array: [T] { Array(buffer) }

    deinit { buffer.deallocate() }
}
