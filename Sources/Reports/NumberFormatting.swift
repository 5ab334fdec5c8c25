import Foundation

/// Number formatting shared by tables and figures. Deterministic (no locale), never "-0".
public enum NumberFormatting {
    /// `x` with a fixed number of decimals ("nan", "inf", "-inf" for non-finite values).
    public static func fixed(_ x: Double, decimals: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        let d = max(0, min(decimals, 12))
        var s = String(format: "%.\(d)f", x)
        if s.hasPrefix("-"), s.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { s.removeFirst() }
        return s
    }

    /// `x` with up to `significant` significant digits and no trailing zeros: 3 → "3", 0.25 → "0.25".
    public static func compact(_ x: Double, significant: Int = 4) -> String {
        var s = fixed(x, decimals: decimals(forValue: x, significant: significant))
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// Decimals that show a standard error with two significant digits (0…8).
    static func decimals(forStandardError se: Double) -> Int {
        guard se.isFinite, se > 0 else { return 0 }
        return max(0, min(8, 1 - Int(Foundation.floor(Foundation.log10(se) + 1e-9))))
    }

    /// Decimals that show `x` with `significant` significant digits (0…8).
    static func decimals(forValue x: Double, significant: Int = 4) -> Int {
        guard x.isFinite, x != 0 else { return 0 }
        return max(0, min(8, significant - 1 - Int(Foundation.floor(Foundation.log10(Swift.abs(x)) + 1e-9))))
    }

    /// "mean ± se" with the mean rounded to the precision of the standard error's second significant digit
    /// (4 significant digits of the mean when se = 0, i.e. one seed or identical values). Both are multiplied by `scale` first
    /// (100 for percentages).
    /// `maxDecimals` caps the decimals (0 for throughput: "2001 ± 1").
    public static func estimate(_ e: Estimate?, scale: Double = 1, maxDecimals: Int = 8) -> String {
        guard let e else { return "–" }
        let mean = e.mean * scale, se = e.standardError * scale
        // A standard error at rounding-noise level (identical values) is shown as none.
        if se > 1e-9 * Swift.abs(mean), se.isFinite {
            let d = min(decimals(forStandardError: se), maxDecimals)
            return "\(fixed(mean, decimals: d)) ± \(fixed(se, decimals: d))"
        }
        return fixed(mean, decimals: min(decimals(forValue: mean), maxDecimals))
    }

    /// A difference with its combined standard error, signed ("+0.012 ± 0.004", "−0.031 ± 0.010").
    public static func signedEstimate(_ d: Double?, se: Double?) -> String {
        guard let d, let se else { return "–" }
        let decimals = se > 0 ? decimals(forStandardError: se) : decimals(forValue: d)
        let magnitude = fixed(Swift.abs(d), decimals: decimals)
        let zero = magnitude.allSatisfy { $0 == "0" || $0 == "." }
        let sign = zero ? "" : (d < 0 ? "−" : "+")
        return se > 0 ? "\(sign)\(magnitude) ± \(fixed(se, decimals: decimals))" : "\(sign)\(magnitude)"
    }

    /// Mantissa (rounded to 3 significant digits, trailing zeros dropped) and decimal exponent of x > 0.
    static func scientificParts(_ x: Double) -> (mantissa: String, exponent: Int)? {
        guard x.isFinite, x != 0 else { return nil }
        var exponent = Int(Foundation.floor(Foundation.log10(Swift.abs(x))))
        var m = (x / Foundation.pow(10, Double(exponent)) * 100).rounded() / 100
        if Swift.abs(m) >= 10 {
            exponent += 1
            m /= 10
        }
        var s = fixed(m, decimals: 2)
        while s.contains("."), s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return (s, exponent)
    }

    /// A step size in compact scientific notation for tables: 0.001 → "1e-3", 0.00025 → "2.5e-4", 0 → "0".
    public static func alpha(_ x: Double) -> String {
        guard x.isFinite else { return fixed(x, decimals: 0) }
        guard let (m, e) = scientificParts(x) else { return "0" }
        return "\(m)e\(e)"
    }

    /// Unicode superscript digits and minus for an integer exponent: −5 → "⁻⁵".
    public static func superscript(_ n: Int) -> String {
        let digits: [Character: Character] = ["0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵",
                                              "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻"]
        return String(String(n).map { digits[$0] ?? $0 })
    }

    /// A power of ten as text with a real superscript: 1e-5 → "10⁻⁵", 3e-4 → "3×10⁻⁴", 1 → "1", 10 → "10".
    public static func powerOfTen(_ x: Double) -> String {
        guard x.isFinite else { return fixed(x, decimals: 0) }
        guard let (m, e) = scientificParts(x) else { return "0" }
        if e == 0 { return m }
        if e == 1 && m == "1" { return "10" }
        return m == "1" ? "10\(superscript(e))" : (m == "-1" ? "−10\(superscript(e))" : "\(m)×10\(superscript(e))")
    }
}
