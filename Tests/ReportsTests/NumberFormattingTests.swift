import Testing
@testable import Reports

/// Table and tick number formats.
struct NumberFormattingTests {
    @Test func estimateRoundsToTheStandardErrorsSecondDigit() {
        #expect(NumberFormatting.estimate(Estimate(mean: 0.41234, standardError: 0.0051, n: 3)) == "0.4123 ± 0.0051")
        #expect(NumberFormatting.estimate(Estimate(mean: 85.14, standardError: 1.2, n: 3)) == "85.1 ± 1.2")
        #expect(NumberFormatting.estimate(Estimate(mean: 1234.4, standardError: 12, n: 3)) == "1234 ± 12")
        #expect(NumberFormatting.estimate(Estimate(mean: 0.8512, standardError: 0.0123, n: 3), scale: 100)
            == "85.1 ± 1.2")
        #expect(NumberFormatting.estimate(nil) == "–")
    }

    @Test func singleSeedShowsFourSignificantDigits() {
        #expect(NumberFormatting.estimate(Estimate(mean: 0.123456, standardError: 0, n: 1)) == "0.1235")
        #expect(NumberFormatting.estimate(Estimate(mean: 2001.4, standardError: 0.6, n: 3), maxDecimals: 0)
            == "2001 ± 1")
    }

    @Test func signedDifferenceUsesATrueMinus() {
        #expect(NumberFormatting.signedEstimate(-0.0213, se: 0.0071) == "−0.0213 ± 0.0071")
        #expect(NumberFormatting.signedEstimate(0.5, se: 0.1) == "+0.50 ± 0.10")
        #expect(NumberFormatting.signedEstimate(nil, se: 0.1) == "–")
    }

    @Test func alphaIsCompactScientific() {
        #expect(NumberFormatting.alpha(0.001) == "1e-3")
        #expect(NumberFormatting.alpha(0.00025) == "2.5e-4")
        #expect(NumberFormatting.alpha(0.1) == "1e-1")
        #expect(NumberFormatting.alpha(3) == "3e0")
        #expect(NumberFormatting.alpha(0) == "0")
    }

    @Test func powersOfTenUseSuperscripts() {
        #expect(NumberFormatting.powerOfTen(1e-5) == "10⁻⁵")
        #expect(NumberFormatting.powerOfTen(3e-4) == "3×10⁻⁴")
        #expect(NumberFormatting.powerOfTen(1) == "1")
        #expect(NumberFormatting.powerOfTen(10) == "10")
        #expect(NumberFormatting.powerOfTen(1e12) == "10¹²")
        #expect(NumberFormatting.superscript(-10) == "⁻¹⁰")
    }

    @Test func fixedNeverPrintsNegativeZero() {
        #expect(NumberFormatting.fixed(-0.0001, decimals: 2) == "0.00")
        #expect(NumberFormatting.fixed(.nan, decimals: 2) == "nan")
        #expect(NumberFormatting.compact(3) == "3")
        #expect(NumberFormatting.compact(0.25) == "0.25")
    }
}
