import Foundation
import Testing
@testable import Networks

struct ModelSpecTests {
    @Test("the three model texts parse and description round-trips", arguments: [
        ("linear", ModelSpec.linear), ("mlp:256,256", .mlp(hidden: [256, 256])), ("mlp:10", .mlp(hidden: [10])),
        ("simple-cnn", .simpleCNN),
    ])
    func parsesAndRoundTrips(text: String, spec: ModelSpec) throws {
        #expect(try ModelSpec(parsing: text) == spec)
        #expect(spec.description == text)
        #expect(try ModelSpec(parsing: spec.description) == spec)
    }

    @Test("surrounding whitespace is ignored")
    func trimsWhitespace() throws {
        #expect(try ModelSpec(parsing: "  mlp:3,4\n") == .mlp(hidden: [3, 4]))
        #expect(try ModelSpec(parsing: "mlp:256, 128") == .mlp(hidden: [256, 128]))
    }

    @Test("invalid texts are invalidSpec errors with a one-line description quoting the text",
          arguments: ["", "mlp", "mlp:", "mlp:0", "mlp:2,,3", "mlp:a", "mlp:-4", "cnn", "Linear"])
    func invalidTexts(text: String) {
        do {
            _ = try ModelSpec(parsing: text)
            Issue.record("'\(text)' parsed")
        } catch {
            guard case .invalidSpec(let quoted, _) = error else { Issue.record("\(error)"); return }
            #expect(quoted == text)
            #expect(error.description.hasPrefix("model '\(text)': "))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("descriptions stay on one line even when the quoted text contains line breaks")
    func quotedLineBreaksAreEscaped() {
        do {
            _ = try ModelSpec(parsing: "cnn\nx")
            Issue.record("parsed")
        } catch {
            #expect(error.description == "model 'cnn\\nx': expected 'linear', 'mlp:H1,H2,...' or 'simple-cnn'")
        }
        let mismatch = NetworkError.weightsMismatch(file: "a\rb.safetensors", problem: "tensor 'x\u{1}'")
        #expect(mismatch.description == "a\\rb.safetensors: tensor 'x\\u{1}'")
    }

    @Test("Codable uses the text form: \"mlp:256,256\" encodes as that JSON string and decodes back")
    func codableAsString() throws {
        let data = try JSONEncoder().encode([ModelSpec.mlp(hidden: [256, 256]), .simpleCNN, .linear])
        #expect(String(decoding: data, as: UTF8.self) == #"["mlp:256,256","simple-cnn","linear"]"#)
        #expect(try JSONDecoder().decode([ModelSpec].self, from: data) == [.mlp(hidden: [256, 256]), .simpleCNN, .linear])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ModelSpec].self, from: Data(#"["mlp:x"]"#.utf8)) }
    }

    @Test("InputShape counts C·H·W, prints C×H×W and round-trips through JSON")
    func inputShape() throws {
        let shape = InputShape(channels: 3, height: 32, width: 32)
        #expect(shape.count == 3072)
        #expect(shape.description == "3×32×32")
        #expect(try JSONDecoder().decode(InputShape.self, from: JSONEncoder().encode(shape)) == shape)
    }

    @Test("ParameterInfo.count is the product of the shape")
    func parameterInfoCount() {
        #expect(ParameterInfo(name: "w", shape: [32, 16, 3, 3], offset: 0, fanIn: 144).count == 4608)
        #expect(ParameterInfo(name: "b", shape: [7], offset: 10, fanIn: 1).count == 7)
    }

    @Test("every NetworkError description is one line naming what was expected and found")
    func errorDescriptions() {
        let shape = InputShape(channels: 3, height: 30, width: 32)
        let errors: [NetworkError] = [
            .invalidSpec(text: "mlp:", reason: "r"), .invalidInputShape(shape), .inputNotDivisibleBy4(shape),
            .invalidClassCount(1), .invalidMaxBatchSize(0), .diagonalHessianUnsupported(.simpleCNN),
            .weightsMismatch(file: "f.safetensors", problem: "p"),
        ]
        for error in errors {
            #expect(!error.description.contains("\n") && !error.description.isEmpty)
        }
        #expect(NetworkError.inputNotDivisibleBy4(shape).description.contains("30×32"))
        #expect(NetworkError.invalidClassCount(1).description == "classes: expected at least 2, found 1")
    }
}
