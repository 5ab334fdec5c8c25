import Foundation
import Testing

@testable import Datasets

@Suite("file helpers")
struct FileIOTests {
    @Test("read returns the exact bytes; missing and empty files are errors naming the file")
    func read() throws {
        try withTemporaryDirectory { folder in
            var random = TestRandom(seed: 8)
            let bytes = random.bytes(100_000)
            try writeFile(folder + "/f", bytes)
            #expect(try FileIO.read(folder + "/f") == bytes)
            expectError(expectDatasetError { _ = try FileIO.read(folder + "/none") }, .fileNotFound, naming: folder + "/none")
            try writeFile(folder + "/empty", [])
            expectError(expectDatasetError { _ = try FileIO.read(folder + "/empty") }, .emptyFile, naming: folder + "/empty")
            expectError(expectDatasetError { _ = try FileIO.read(folder) }, .readFailed, naming: folder)
        }
    }

    @Test("dropPrefix removes exactly the first bytes")
    func dropPrefix() {
        var bytes: [UInt8] = Array(0..<100)
        Datasets.dropPrefix(&bytes, 16)
        #expect(bytes == Array(16..<100))
    }

    @Test("folder listings are sorted and kinds are detected")
    func listing() throws {
        try withTemporaryDirectory { folder in
            for name in ["b", "a", "c"] { try writeFile(folder + "/" + name, [1]) }
            try FileManager.default.createDirectory(atPath: folder + "/d", withIntermediateDirectories: true)
            #expect(FileIO.contents(of: folder) == ["a", "b", "c", "d"])
            #expect(FileIO.kind(of: folder + "/a") == .file)
            #expect(FileIO.kind(of: folder + "/d") == .directory)
            #expect(FileIO.kind(of: folder + "/zz") == .missing)
            #expect(FileIO.size(of: folder + "/a") == 1)
        }
    }
}
