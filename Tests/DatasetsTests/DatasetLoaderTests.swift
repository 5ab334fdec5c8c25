import Foundation
import Testing

@testable import Datasets

@Suite("dataset resolution")
struct DatasetLoaderTests {
    let noEnvironment: [String: String] = [:]

    @Test("a dataset name resolves to data/<name> found by walking up from a nested working directory")
    func nameFromNestedDirectory() throws {
        try withTemporaryDirectory { repo in
            try writeIDXDataset(repo + "/data/mnist-like", gzip: true)
            let nested = repo + "/Sources/Deep/er"
            try FileManager.default.createDirectory(atPath: nested, withIntermediateDirectories: true)
            let dataset = try DatasetLoader.load(
                "mnist-like", split: .test, workingDirectory: nested, environment: noEnvironment)
            #expect(dataset.count == 7)
            #expect(dataset.name == "mnist-like")
            #expect(dataset.source == repo + "/data/mnist-like")
        }
    }

    @Test("cifar-10 / cifar10 / cifar-100 / cifar100 name the official folder or archive")
    func cifarNames() throws {
        try withTemporaryDirectory { repo in
            try writeCIFARFolder(repo + "/data/cifar-10-batches-bin", .cifar10)
            try writeCIFARArchive(repo + "/data/cifar-100-binary.tar.gz", .cifar100, directory: "cifar-100-binary")
            for name in ["cifar-10", "cifar10", "CIFAR-10"] {
                let location = try DatasetLoader.resolve(name, workingDirectory: repo, environment: noEnvironment)
                #expect(location == DatasetLocation(format: .cifar10, path: repo + "/data/cifar-10-batches-bin", isArchive: false))
            }
            for name in ["cifar-100", "cifar100"] {
                let location = try DatasetLoader.resolve(name, workingDirectory: repo, environment: noEnvironment)
                #expect(location.path == repo + "/data/cifar-100-binary.tar.gz")
                #expect(location.isArchive)
            }
            #expect(try DatasetLoader.load("cifar100", workingDirectory: repo, environment: noEnvironment).classes == 100)
        }
    }

    @Test("MOBENCH_DATA_DIR is searched first")
    func environmentRoot() throws {
        try withTemporaryDirectory { root in
            try writeIDXDataset(root + "/elsewhere/digits", gzip: false)
            try FileManager.default.createDirectory(atPath: root + "/work", withIntermediateDirectories: true)
            let dataset = try DatasetLoader.load(
                "digits", workingDirectory: root + "/work", environment: ["MOBENCH_DATA_DIR": root + "/elsewhere"])
            #expect(dataset.source == root + "/elsewhere/digits")
        }
    }

    @Test("an unknown name is one error line listing every folder searched")
    func unknownName() throws {
        try withTemporaryDirectory { root in
            let error = expectDatasetError {
                _ = try DatasetLoader.load(
                    "no-such-set", workingDirectory: root, environment: ["MOBENCH_DATA_DIR": "/opt/sets"])
            }
            expectError(error, .unknownDataset, naming: "no-such-set")
            #expect(error?.description.contains("/opt/sets") == true)
            #expect(error?.description.contains(root + "/data") == true)
            #expect(error?.description.contains("/data") == true)
        }
    }

    @Test("paths: a folder, the parent of a folder or archive, an archive, one IDX file; relative to the working directory")
    func paths() throws {
        try withTemporaryDirectory { root in
            try writeIDXDataset(root + "/sets/fmnist", gzip: true)
            try writeCIFARArchive(root + "/dl/cifar-10-binary.tar.gz", .cifar10, directory: "cifar-10-batches-bin")
            try writeIDXDataset(root + "/emnist", prefix: "emnist-letters-", gzip: true)
            try writeIDXDataset(root + "/emnist", prefix: "emnist-digits-", gzip: true)

            #expect(try DatasetLoader.resolve("sets/fmnist", workingDirectory: root).path == root + "/sets/fmnist")
            #expect(try DatasetLoader.resolve("./sets/fmnist/", workingDirectory: root).path == root + "/sets/fmnist")
            #expect(try DatasetLoader.resolve(root + "/sets").path == root + "/sets/fmnist")  // parent folder
            #expect(try DatasetLoader.resolve(root + "/dl").path == root + "/dl/cifar-10-binary.tar.gz")
            #expect(try DatasetLoader.load(root + "/dl", split: .test).format == .cifar10)

            // Several EMNIST subsets in one folder: ambiguous, unless one file picks the prefix.
            expectError(expectDatasetError { _ = try DatasetLoader.resolve(root + "/emnist") }, .ambiguousReference, naming: root + "/emnist")
            let letters = try DatasetLoader.load(root + "/emnist/emnist-letters-train-images-idx3-ubyte.gz", split: .test)
            #expect(letters.name == "emnist-letters")
            #expect(letters.count == 7)
        }
    }

    @Test("a folder and an archive of the same dataset count once (the folder is used); different datasets are ambiguous")
    func parentWithSeveral() throws {
        try withTemporaryDirectory { root in
            try writeCIFARFolder(root + "/cifar-10-batches-bin", .cifar10)
            try writeCIFARArchive(root + "/cifar-10-binary.tar.gz", .cifar10, directory: "cifar-10-batches-bin")
            #expect(try DatasetLoader.resolve(root).path == root + "/cifar-10-batches-bin")
            try writeCIFARFolder(root + "/cifar-100-binary", .cifar100)
            let error = expectDatasetError { _ = try DatasetLoader.resolve(root) }
            expectError(error, .ambiguousReference, naming: root)
            #expect(error?.description.contains("cifar-100-binary") == true)
        }
    }

    @Test("paths that do not exist or hold no dataset are refused")
    func badPaths() throws {
        try withTemporaryDirectory { root in
            expectError(expectDatasetError { _ = try DatasetLoader.resolve(root + "/missing") }, .fileNotFound, naming: root + "/missing")
            expectError(expectDatasetError { _ = try DatasetLoader.resolve("./missing", workingDirectory: root) }, .fileNotFound, naming: root + "/missing")
            try writeFile(root + "/notes.txt", Array("hello".utf8))
            expectError(expectDatasetError { _ = try DatasetLoader.resolve(root + "/notes.txt") }, .unrecognizedFormat, naming: root + "/notes.txt")
            expectError(expectDatasetError { _ = try DatasetLoader.resolve(root) }, .unrecognizedFormat, naming: root)
        }
    }

    @Test("the format is verified from the contents: an archive named cifar-100 holding CIFAR-10 is refused")
    func verifiedFromContents() throws {
        try withTemporaryDirectory { root in
            let archive = root + "/cifar-100-binary.tar.gz"
            try writeCIFARArchive(archive, .cifar10, directory: "cifar-10-batches-bin")
            expectError(expectDatasetError { _ = try DatasetLoader.load(archive) }, .unrecognizedFormat, naming: archive)
            // An archive with an unhelpful name is recognised from its members.
            let other = root + "/download.tgz"
            try writeCIFARArchive(other, .cifar100, directory: "x")
            #expect(try DatasetLoader.load(other).format == .cifar100)
            // A file named like IDX that holds something else fails on its magic number.
            let fake = root + "/fake/train-images-idx3-ubyte"
            try writeFile(fake, Array("not an idx file at all".utf8))
            try writeFile(root + "/fake/train-labels-idx1-ubyte", idxFile(dimensions: [1], data: [0]))
            expectError(expectDatasetError { _ = try DatasetLoader.load(root + "/fake") }, .wrongMagic, naming: fake)
        }
    }

    @Test("real data: the name fashion-mnist resolves from a subfolder of the repository")
    func realNameFromRepositorySubfolder() throws {
        let dataset = try DatasetLoader.load(
            "fashion-mnist", split: .test, workingDirectory: repositoryRoot + "/Tests/DatasetsTests",
            environment: noEnvironment)
        #expect(dataset.count == 10_000)
        #expect(dataset.name == "fashion-mnist")
        #expect(dataset.source == repositoryRoot + "/data/fashion-mnist")
    }

    @Test("lexical path normalisation")
    func normalize() {
        #expect(DatasetLoader.normalize("/a/./b//c/../d/") == "/a/b/d")
        #expect(DatasetLoader.normalize("/..") == "/")
        #expect(DatasetLoader.absolute("x/y", from: "/w") == "/w/x/y")
        #expect(DatasetLoader.absolute("/x", from: "/w") == "/x")
    }
}
