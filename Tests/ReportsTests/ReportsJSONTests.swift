import Foundation
import Testing
@testable import Reports

/// JSON conventions and error messages.
struct ReportsJSONTests {
    @Test func keysAreSortedAndNonFiniteNumbersSurviveARoundTrip() throws {
        let e = Estimate(mean: .infinity, standardError: 0, n: 1)
        let text = try #require(String(data: try ReportsJSON.encode(e), encoding: .utf8))
        #expect(text.contains("\"inf\""))
        let mean = try #require(text.range(of: "\"mean\"")), n = try #require(text.range(of: "\"n\""))
        let se = try #require(text.range(of: "\"standard_error\""))
        #expect(mean.lowerBound < n.lowerBound && n.lowerBound < se.lowerBound)
        #expect(try ReportsJSON.decode(Estimate.self, from: Data(text.utf8), file: "x").mean == .infinity)
    }

    @Test func decodingErrorNamesTheFileAndTheMissingKey() {
        #expect {
            _ = try ReportsJSON.decode(Estimate.self, from: Data(#"{"mean": 1, "n": 2}"#.utf8), file: "s.json")
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("s.json:") && text.contains("standard_error") && !text.contains("\n")
        }
    }

    @Test func readingAMissingFileIsAnIOError() {
        #expect {
            _ = try ReportsJSON.read(Estimate.self, from: URL(fileURLWithPath: "/nonexistent/x.json"))
        } throws: { error in
            guard case ReportsError.io(let file, "read", _) = error else { return false }
            return file == "/nonexistent/x.json"
        }
    }

    @Test func writeIsReadBack() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("reports-json-\(UInt64.random(in: 0...UInt64.max)).json")
        defer { try? FileManager.default.removeItem(at: url) }
        let e = Estimate(mean: 1.25, standardError: 0.5, n: 4)
        try ReportsJSON.write(e, to: url)
        #expect(try ReportsJSON.read(Estimate.self, from: url) == e)
    }
}
