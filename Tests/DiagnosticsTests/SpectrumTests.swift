import Testing
@testable import Diagnostics

/// An `n × n` Householder reflection I − 2vvᵀ/‖v‖² (orthogonal), row-major in Double.
func householder(_ v: [Double]) -> [Double] {
    let n = v.count, norm2 = v.reduce(0) { $0 + $1 * $1 }
    var h = [Double](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n { h[i * n + j] = (i == j ? 1 : 0) - 2 * v[i] * v[j] / norm2 } }
    return h
}

/// U · diag(sigma) · Vᵀ as a rows × columns Float32 matrix, U and V Householder reflections (so the singular values
/// are exactly `sigma`, padded with zeros, up to rounding).
func matrix(rows: Int, columns: Int, sigma: [Double]) -> [Float] {
    let u = householder((0..<rows).map { Double($0 % 5) - 1.5 })
    let v = householder((0..<columns).map { Double(($0 * 3) % 7) - 2.5 })
    var m = [Float](repeating: 0, count: rows * columns)
    for i in 0..<rows {
        for j in 0..<columns {
            var sum = 0.0
            for k in 0..<sigma.count { sum += u[i * rows + k] * sigma[k] * v[j * columns + k] }
            m[i * columns + j] = Float(sum)
        }
    }
    return m
}

struct SpectrumTests {
    @Test("a rotated rank-3 feature matrix (σ = 3, 2, 1): LAPACK finds 3, 2, 1 and zeros; effective rank 2.7495 (exp of the entropy of 1/2, 1/3, 1/6), approximate rank 3")
    func rankThree() throws {
        let m = matrix(rows: 40, columns: 8, sigma: [3, 2, 1])
        let sigma = try Spectrum.singularValues(m, rows: 40, columns: 8)
        #expect(sigma.count == 8)
        for (found, expected) in zip(sigma, [3.0, 2, 1, 0, 0, 0, 0, 0]) { #expect(abs(found - expected) < 1e-5) }
        // exp(−(1/2 ln 1/2 + 1/3 ln 1/3 + 1/6 ln 1/6)) = 2.749459274 (computed by hand/Python).
        #expect(abs(Spectrum.effectiveRank(sigma) - 2.749459274) < 1e-4)
        #expect(Spectrum.approximateRank(sigma) == 3)
    }

    @Test("approximate rank at 99 % of the squared spectrum: σ = 10, 1, 0.5 → 2 (100 + 1 ≥ 0.99 · 101.25), effective rank 1.6004")
    func approximateRankTwo() throws {
        let sigma = try Spectrum.singularValues(matrix(rows: 12, columns: 6, sigma: [10, 1, 0.5]), rows: 12, columns: 6)
        #expect(Spectrum.approximateRank(sigma) == 2)
        #expect(abs(Spectrum.effectiveRank(sigma) - 1.600371776) < 1e-4)
    }

    @Test("singular values of a wide matrix equal those of its transpose; all-zero matrix has rank 0")
    func wideAndZero() throws {
        let tall = matrix(rows: 9, columns: 5, sigma: [4, 1])
        var wide = [Float](repeating: 0, count: 45)
        for i in 0..<9 { for j in 0..<5 { wide[j * 9 + i] = tall[i * 5 + j] } }
        let a = try Spectrum.singularValues(tall, rows: 9, columns: 5)
        let b = try Spectrum.singularValues(wide, rows: 5, columns: 9)
        #expect(a.count == 5 && b.count == 5)
        for (x, y) in zip(a, b) { #expect(abs(x - y) < 1e-5) }
        let zero = try Spectrum.singularValues([Float](repeating: 0, count: 12), rows: 4, columns: 3)
        #expect(zero == [0, 0, 0])
        #expect(Spectrum.effectiveRank(zero) == 0 && Spectrum.approximateRank(zero) == 0)
    }

    @Test("a non-finite feature is reported, not passed to LAPACK")
    func nonFinite() {
        #expect(throws: DiagnosticsError.nonFinite) {
            _ = try Spectrum.singularValues([1, .nan, 0, 1], rows: 2, columns: 2)
        }
    }
}

struct GramSpectrumTests {
    @Test("singular values via the Gram matrix (dsyevd) equal dgesdd's on rotated rank-3 and full-rank matrices")
    func gramEqualsSVD() throws {
        for (rows, columns, sigma) in [(40, 8, [3.0, 2, 1]), (50, 13, (1...13).map { 1 / Double($0) }), (9, 9, [5.0, 1])] {
            let m = matrix(rows: rows, columns: columns, sigma: sigma)
            let direct = try Spectrum.singularValues(m, rows: rows, columns: columns)
            let gram = try m.withUnsafeBufferPointer { try Spectrum.singularValuesViaGram($0, rows: rows, columns: columns) }
            #expect(gram.count == direct.count)
            for (a, b) in zip(gram, direct) { #expect(abs(a - b) < 1e-5, "\(rows)×\(columns): \(gram) vs \(direct)") }
            #expect(abs(Spectrum.effectiveRank(gram) - Spectrum.effectiveRank(direct)) < 1e-4)
            #expect(Spectrum.approximateRank(gram) == Spectrum.approximateRank(direct))
        }
    }
}
