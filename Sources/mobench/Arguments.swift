import Foundation

/// Command-line preprocessing shared by every subcommand.
enum Arguments {
    /// Rewrites `--name -5` as `--name=-5`, so that a negative number after a long option is parsed as that
    /// option's value (and then refused or accepted by the option's range check) instead of as an unknown short
    /// option, which swift-argument-parser reports as "Missing value for '--name'". Only tokens that are
    /// negative decimal numbers (`-5`, `-0.5`, `-1e-3`, `-.5`, `-inf`) directly after a `--long` token without
    /// `=` are joined; nothing after `--` is touched. mobench has no short options named by digits, so the
    /// rewrite never changes the meaning of a valid command line.
    static func joiningNegativeValues(_ arguments: [String]) -> [String] {
        var out: [String] = []
        out.reserveCapacity(arguments.count)
        var index = 0
        while index < arguments.count {
            let token = arguments[index]
            if token == "--" {
                out += arguments[index...]
                break
            }
            if token.hasPrefix("--"), token.count > 2, !token.contains("="), index + 1 < arguments.count,
               isNegativeNumber(arguments[index + 1]) {
                out.append(token + "=" + arguments[index + 1])
                index += 2
                continue
            }
            out.append(token)
            index += 1
        }
        return out
    }

    /// True for `-` followed by a decimal literal (digits, optional fraction and exponent) or `inf`/`infinity`.
    static func isNegativeNumber(_ token: String) -> Bool {
        guard token.hasPrefix("-"), token.count > 1 else { return false }
        let body = token.dropFirst().lowercased()
        if body == "inf" || body == "infinity" { return true }
        var sawDigit = false, sawDot = false, sawExponent = false
        var previous: Character = "-"
        for ch in body {
            switch ch {
            case "0"..."9": sawDigit = true
            case "." where !sawDot && !sawExponent: sawDot = true
            case "e" where sawDigit && !sawExponent: sawExponent = true
            case "+", "-": if previous != "e" { return false }
            default: return false
            }
            previous = ch
        }
        return sawDigit && previous != "e" && previous != "+" && previous != "-"
    }
}
