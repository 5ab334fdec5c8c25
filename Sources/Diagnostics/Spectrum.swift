import CLapack
import Foundation

/// Singular values and the ranks derived from them. The singular values come from LAPACK (`dgesdd`, through
/// LAPACKE), computed in Double.
public enum Spectrum {
    /// The singular values, in descending order, of the `rows × columns` matrix `matrix` (row-major Float32).
    /// Returns min(rows, columns) values. Throws when the matrix holds a non-finite value or LAPACK fails.
    public static func singularValues(_ matrix: UnsafeBufferPointer<Float>, rows: Int, columns: Int)
        throws(DiagnosticsError) -> [Double]
    {
        precondition(rows >= 0 && columns >= 0 && matrix.count >= rows * columns, "matrix: need \(rows)×\(columns) values")
        if rows == 0 || columns == 0 { return [] }
        var a = [Double](repeating: 0, count: rows * columns)
        for i in 0..<(rows * columns) {
            let value = matrix[i]
            guard value.isFinite else { throw .nonFinite }
            a[i] = Double(value)
        }
        var s = [Double](repeating: 0, count: min(rows, columns))
        // jobz 'N': values only, U and Vᵀ are not referenced; LAPACKE's row-major checks still want their leading
        // dimensions at least the matrix's.
        let info = a.withUnsafeMutableBufferPointer { pa in
            s.withUnsafeMutableBufferPointer { ps in
                LAPACKE_dgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "N")), Int32(rows), Int32(columns),
                               pa.baseAddress, Int32(columns), ps.baseAddress, nil, Int32(max(rows, columns)), nil,
                               Int32(max(rows, columns)))
            }
        }
        guard info == 0 else { throw .lapack(routine: "dgesdd", info: Int(info)) }
        return s
    }

    /// The singular values, in descending order, of a tall `rows × columns` matrix (rows ≥ columns), as the square
    /// roots of the eigenvalues of its Gram matrix MᵀM (formed in Double; eigenvalues from LAPACK's `dsyevd`,
    /// negative rounding residues clamped to 0). Several times faster than `dgesdd` on a 1,000 × 128 probe matrix
    /// with the reference LAPACK; accurate to about 1e-8 · σ_max in absolute terms (below the Float32 features'
    /// own precision of about 1e-7 · σ_max).
    public static func singularValuesViaGram(_ matrix: UnsafeBufferPointer<Float>, rows: Int, columns n: Int)
        throws(DiagnosticsError) -> [Double]
    {
        precondition(rows >= n && n >= 0 && matrix.count >= rows * n, "matrix: need a tall \(rows)×\(n) matrix")
        if n == 0 { return [] }
        let padded = (n + 3) & ~3
        // Four sample rows at a time (zero rows past the end), so each Gram entry is loaded and stored once per four.
        var block = [Double](repeating: 0, count: 4 * padded)
        var gram = [Double](repeating: 0, count: n * padded)
        try block.withUnsafeMutableBufferPointer { (r) throws(DiagnosticsError) in
            try gram.withUnsafeMutableBufferPointer { (g) throws(DiagnosticsError) in
                var i = 0
                while i < rows {
                    for k in 0..<4 {
                        for j in 0..<n {
                            let value: Float = i + k < rows ? matrix[(i + k) * n + j] : 0
                            guard value.isFinite else { throw .nonFinite }
                            r[k * padded + j] = Double(value)
                        }
                    }
                    let base = UnsafeRawPointer(r.baseAddress!)
                    for a in 0..<n {
                        let (x0, x1, x2, x3) = (r[a], r[padded + a], r[2 * padded + a], r[3 * padded + a])
                        if x0 == 0 && x1 == 0 && x2 == 0 && x3 == 0 { continue }
                        let s0 = SIMD4<Double>(repeating: x0), s1 = SIMD4<Double>(repeating: x1)
                        let s2 = SIMD4<Double>(repeating: x2), s3 = SIMD4<Double>(repeating: x3)
                        let ga = UnsafeMutableRawPointer(g.baseAddress! + a * padded)
                        // Row a of the lower triangle, b in 0…a, four at a time (the padding is zero).
                        var b = 0
                        while b <= a {
                            let o = b * 8, stride = padded * 8
                            var sum = ga.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
                            sum = sum.addingProduct(s0, base.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self))
                            sum = sum.addingProduct(s1, base.loadUnaligned(fromByteOffset: o + stride, as: SIMD4<Double>.self))
                            sum = sum.addingProduct(s2, base.loadUnaligned(fromByteOffset: o + 2 * stride, as: SIMD4<Double>.self))
                            sum = sum.addingProduct(s3, base.loadUnaligned(fromByteOffset: o + 3 * stride, as: SIMD4<Double>.self))
                            ga.storeBytes(of: sum, toByteOffset: o, as: SIMD4<Double>.self)
                            b += 4
                        }
                    }
                    i += 4
                }
            }
        }
        var eigenvalues = [Double](repeating: 0, count: n)
        let info = gram.withUnsafeMutableBufferPointer { g in
            eigenvalues.withUnsafeMutableBufferPointer { w in
                LAPACKE_dsyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "L")), Int32(n),
                               g.baseAddress, Int32(padded), w.baseAddress)
            }
        }
        guard info == 0 else { throw .lapack(routine: "dsyevd", info: Int(info)) }
        return eigenvalues.reversed().map { max(0, $0).squareRoot() }
    }

    /// Array convenience for `singularValues(_:rows:columns:)`.
    public static func singularValues(_ matrix: [Float], rows: Int, columns: Int) throws(DiagnosticsError) -> [Double] {
        var result: Result<[Double], DiagnosticsError> = .success([])
        matrix.withUnsafeBufferPointer { m in
            do throws(DiagnosticsError) { result = .success(try singularValues(m, rows: rows, columns: columns)) } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    /// Effective rank (Roy & Vetterli 2007, as in Dohare et al. 2024): exp(−Σ p_k log p_k) with
    /// p_k = σ_k / Σ_j σ_j, terms with p_k = 0 contributing 0. 0 when every singular value is 0.
    public static func effectiveRank(_ singularValues: [Double]) -> Double {
        let total = singularValues.reduce(0) { $0 + abs($1) }
        guard total > 0 else { return 0 }
        var entropy = 0.0
        for sigma in singularValues {
            let p = abs(sigma) / total
            if p > 0 { entropy -= p * log(p) }
        }
        return exp(entropy)
    }

    /// Approximate rank (Dohare et al. 2024): the fewest singular values, largest first, whose squares sum to at
    /// least `mass` (default 0.99) of the sum of all squares. 0 when every singular value is 0.
    public static func approximateRank(_ singularValues: [Double], mass: Double = 0.99) -> Int {
        let squares = singularValues.map { $0 * $0 }.sorted(by: >)
        let total = squares.reduce(0, +)
        guard total > 0 else { return 0 }
        var cumulative = 0.0
        for (k, square) in squares.enumerated() {
            cumulative += square
            if cumulative >= mass * total { return k + 1 }
        }
        return squares.count
    }
}

/// Why a diagnostic could not be computed. Each description is one line.
public enum DiagnosticsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The matrix holds NaN or ±infinity (e.g. after divergence).
    case nonFinite
    /// A LAPACK routine returned a non-zero `info`.
    case lapack(routine: String, info: Int)

    public var description: String {
        switch self {
        case .nonFinite: return "the feature matrix holds a non-finite value"
        case .lapack(let routine, let info): return "LAPACK \(routine) failed (info \(info))"
        }
    }
}
