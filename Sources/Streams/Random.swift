/// The suite's documented random number generation. Every random draw of a run (stream order, permutations,
/// augmentation, weight initialisation) comes from a `SplitMix64` generator whose 64-bit state is a key derived
/// from the run's seed and the purpose of the draw (`RandomKey`), so any draw can be regenerated independently,
/// in any language, from the description below.
///
/// - `mix64(x)`: z = x &+ 0x9E3779B97F4A7C15; z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9;
///   z = (z ^ (z >> 27)) &* 0x94D049BB133111EB; return z ^ (z >> 31)   (the SplitMix64 output function).
/// - `SplitMix64.next()`: state = state &+ 0x9E3779B97F4A7C15; return mix64(state &- 0x9E3779B97F4A7C15)
///   (i.e. Vigna's SplitMix64: increment, then the output function of the new state).
/// - `RandomKey.derive(seed, domain, a, b)` = mix64(mix64(mix64(mix64(seed) ^ domain) ^ a) ^ b).
/// - `uniform(below: n)`: unbiased rejection: t = (2^64 − n) mod n; draw r = next() until r ≥ t; return r mod n.
/// - `shuffle`: Fisher–Yates from the top: for i = n−1 down to 1: j = uniform(below: i+1); swap(a[i], a[j]).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.finalize(state)
    }

    @inline(__always)
    static func finalize(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The SplitMix64 output function applied to `x + 0x9E3779B97F4A7C15`.
    @inline(__always)
    public static func mix64(_ x: UInt64) -> UInt64 { finalize(x &+ 0x9E37_79B9_7F4A_7C15) }

    /// Unbiased integer in `0..<n` by rejection (see the type's documentation). `n` must be positive.
    @inline(__always)
    public mutating func uniform(below n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        let threshold = (0 &- bound) % bound
        while true {
            let r = next()
            if r >= threshold { return Int(r % bound) }
        }
    }

    /// Fisher–Yates shuffle from the top, as documented.
    public mutating func shuffle<T>(_ buffer: UnsafeMutableBufferPointer<T>) {
        var i = buffer.count - 1
        while i > 0 {
            let j = uniform(below: i + 1)
            buffer.swapAt(i, j)
            i -= 1
        }
    }

    public mutating func shuffle<T>(_ array: inout [T]) {
        array.withUnsafeMutableBufferPointer { shuffle($0) }
    }
}

/// Purposes of random draws; the raw value is the `domain` of `RandomKey.derive`.
public enum RandomDomain: UInt64, Sendable {
    /// Input permutation of task `a`.
    case inputPermutation = 1
    /// Label permutation of task `a`.
    case labelPermutation = 2
    /// Sample order of pass `b` of task `a` (iid streams: a = 0, b = global pass).
    case sampleOrder = 3
    /// Augmentation of the sample at stream position `a`.
    case augmentation = 4
    /// Weight initialisation (a = 0, b = 0).
    case initialisation = 5
}

public enum RandomKey {
    /// mix64(mix64(mix64(mix64(seed) ^ domain) ^ a) ^ b)
    public static func derive(seed: UInt64, domain: RandomDomain, a: UInt64 = 0, b: UInt64 = 0) -> UInt64 {
        let m = SplitMix64.mix64
        return m(m(m(m(seed) ^ domain.rawValue) ^ a) ^ b)
    }

    public static func generator(seed: UInt64, domain: RandomDomain, a: UInt64 = 0, b: UInt64 = 0) -> SplitMix64 {
        SplitMix64(state: derive(seed: seed, domain: domain, a: a, b: b))
    }
}

/// The 32-bit Mersenne Twister MT19937 seeded like NumPy's legacy `RandomState(seed)` for an integer seed
/// (`init_genrand`), used only to reproduce the official code's class order
/// `numpy.random.RandomState(seed).permutation(classes)`.
public struct MersenneTwister19937: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    public init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            var value = state[(i + 397) % 624] ^ (y >> 1)
            if y & 1 != 0 { value ^= 0x9908_B0DF }
            state[i] = value
        }
        index = 0
    }

    /// NumPy legacy `random_interval(max)`: smallest all-ones mask ≥ max, draw 32-bit values & mask until ≤ max.
    mutating func interval(_ max: UInt32) -> UInt32 {
        if max == 0 { return 0 }
        var mask = max
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16
        while true {
            let value = nextUInt32() & mask
            if value <= max { return value }
        }
    }

    /// `numpy.random.RandomState(seed).permutation(n)`: shuffle of 0..<n, for i = n−1 down to 1 swapping with
    /// `interval(i)`.
    public static func numpyLegacyPermutation(seed: UInt32, count: Int) -> [Int] {
        var generator = MersenneTwister19937(seed: seed)
        var values = Array(0..<count)
        var i = count - 1
        while i > 0 {
            let j = Int(generator.interval(UInt32(i)))
            values.swapAt(i, j)
            i -= 1
        }
        return values
    }
}

/// FNV-1a 64 (offset 0xcbf29ce484222325, prime 0x100000001b3) of the UTF-8 bytes of `text`, as 16 lowercase hex
/// digits. Used for stream fingerprints and suite digests.
public func fnv1a64Hex(_ text: String) -> String {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
