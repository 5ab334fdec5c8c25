import Foundation

/// Finds a dataset from what a user typed (`--data PATH`) and loads one split of it.
///
/// A reference is, in this order:
/// 1. an existing path (absolute, or relative to the working directory):
///    - a folder holding the files: IDX files (`train-images-idx3-ubyte[.gz]`, …, any prefix), CIFAR-10 batches
///      (`data_batch_1.bin` …) or CIFAR-100 files (`train.bin`, `test.bin`);
///    - an archive (`*.tar.gz`, `*.tgz`, `*.tar`), e.g. the official `cifar-10-binary.tar.gz`, read in memory;
///    - the parent folder of either (exactly one dataset below it; a folder is preferred over an archive of the
///      same dataset);
///    - one IDX file (its folder and file prefix are used, e.g. to pick one EMNIST split out of several);
/// 2. otherwise a dataset name, looked up as `<root>/<name>` in the search roots: `$MOBENCH_DATA_DIR` (if set),
///    then `data/` in the working directory and in each of its ancestors (so names work from any subfolder of the
///    repository). `cifar-10`/`cifar10` stand for `cifar-10-batches-bin` or `cifar-10-binary.tar.gz`, and
///    `cifar-100`/`cifar100` for `cifar-100-binary` or `cifar-100-binary.tar.gz`.
///
/// The format is detected from the file names and then verified from the contents (IDX magic numbers, CIFAR
/// record sizes and labels, tar headers); any mismatch is a `DatasetError`.
public enum DatasetLoader {
    /// The environment variable naming an extra folder to search for dataset names.
    public static let dataDirectoryVariable = "MOBENCH_DATA_DIR"

    /// Loads one split of the dataset `reference` names (see the type's documentation).
    /// - Parameters:
    ///   - labelKind: for CIFAR-100, which label to use (ignored for the other formats).
    ///   - workingDirectory: where relative paths and the `data/` search start (default: the process's).
    ///   - environment: where `MOBENCH_DATA_DIR` is read from (default: the process's).
    public static func load(
        _ reference: String, split: Split = .train, labelKind: CIFAR100LabelKind = .fine,
        workingDirectory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(DatasetError) -> Dataset {
        let location = try resolve(reference, workingDirectory: workingDirectory, environment: environment)
        return try location.load(split: split, labelKind: labelKind)
    }

    /// Resolves a reference to a dataset location without reading the data.
    public static func resolve(
        _ reference: String, workingDirectory: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(DatasetError) -> DatasetLocation {
        let cwd = normalize(workingDirectory ?? FileManager.default.currentDirectoryPath)
        let asPath = absolute(reference, from: cwd)
        if !reference.isEmpty && FileIO.kind(of: asPath) != .missing {
            return try locate(asPath)
        }
        if reference.isEmpty || reference.contains("/") || reference.hasPrefix(".") {
            throw .fileNotFound(path: asPath)
        }
        var roots: [String] = []
        if let variable = environment[dataDirectoryVariable], !variable.isEmpty {
            roots.append(absolute(variable, from: cwd))
        }
        var directory = cwd
        while true {
            roots.append(directory == "/" ? "/data" : directory + "/data")
            if directory == "/" { break }
            directory = parent(of: directory)
        }
        for root in roots {
            for candidate in candidateNames(reference) {
                let path = root + "/" + candidate
                if FileIO.kind(of: path) != .missing { return try locate(path) }
            }
        }
        throw .unknownDataset(name: reference, searched: roots)
    }

    /// Folder and archive names a dataset name may stand for.
    static func candidateNames(_ name: String) -> [String] {
        switch name.lowercased() {
        case "cifar-10", "cifar10": ["cifar-10-batches-bin", "cifar-10-binary.tar.gz", name]
        case "cifar-100", "cifar100": ["cifar-100-binary", "cifar-100-binary.tar.gz", name]
        default: [name]
        }
    }

    // MARK: - Detection

    private static let archiveSuffixes = [".tar.gz", ".tgz", ".tar"]

    private static func isArchiveName(_ name: String) -> Bool {
        archiveSuffixes.contains { name.lowercased().hasSuffix($0) }
    }

    /// Decides what an existing path holds.
    static func locate(_ path: String) throws(DatasetError) -> DatasetLocation {
        switch FileIO.kind(of: path) {
        case .missing:
            throw .fileNotFound(path: path)
        case .file:
            let fileName = baseName(path)
            if let prefix = IDX.prefix(ofFileName: fileName) {
                return DatasetLocation(format: .idx, path: parent(of: path), isArchive: false, idxPrefix: prefix)
            }
            if isArchiveName(fileName) {
                return DatasetLocation(format: archiveFormatGuess(fileName), path: path, isArchive: true)
            }
            if fileName.hasSuffix(".bin"), let found = try classifyFolder(parent(of: path)) {
                return found
            }
            throw .unrecognizedFormat(
                path: path, reason: "expected an IDX file, a .bin batch file or a .tar.gz/.tgz/.tar archive")
        case .directory:
            if let found = try classifyFolder(path) { return found }
            var candidates: [DatasetLocation] = []
            for child in FileIO.contents(of: path) {
                let childPath = path + "/" + child
                switch FileIO.kind(of: childPath) {
                case .directory:
                    if let found = try classifyFolder(childPath) { candidates.append(found) }
                case .file where isArchiveName(child):
                    candidates.append(DatasetLocation(format: archiveFormatGuess(child), path: childPath, isArchive: true))
                default:
                    break
                }
            }
            // A folder and an archive of the same dataset count once (the folder wins: no decompression).
            let folders = candidates.filter { !$0.isArchive }
            let archives = candidates.filter { $0.isArchive }
            var distinct = folders
            for archive in archives
            where archive.format == nil || !folders.contains(where: { $0.format == archive.format }) {
                distinct.append(archive)
            }
            if distinct.count == 1 { return distinct[0] }
            if distinct.isEmpty {
                throw .unrecognizedFormat(
                    path: path,
                    reason: "no IDX files, CIFAR-10/100 .bin files or archives in it or in its subfolders")
            }
            throw .ambiguousReference(path: path, candidates: distinct.map(\.path))
        case .other:
            throw .unrecognizedFormat(path: path, reason: "not a regular file or folder")
        }
    }

    /// A folder that directly holds a dataset's files, or nil.
    static func classifyFolder(_ folder: String) throws(DatasetError) -> DatasetLocation? {
        let names = Set(FileIO.contents(of: folder))
        if names.contains("data_batch_1.bin") || names.contains("test_batch.bin") {
            return DatasetLocation(format: .cifar10, path: folder, isArchive: false)
        }
        if names.contains("train.bin") || names.contains("test.bin") {
            return DatasetLocation(format: .cifar100, path: folder, isArchive: false)
        }
        let prefixes = IDX.prefixes(in: folder)
        if prefixes.count == 1 {
            return DatasetLocation(format: .idx, path: folder, isArchive: false, idxPrefix: prefixes[0])
        }
        if prefixes.count > 1 {
            throw .ambiguousReference(
                path: folder, candidates: prefixes.map { folder + "/" + $0 + "train-images-idx3-ubyte[.gz]" })
        }
        return nil
    }

    /// The format an archive's name suggests (verified from its members when it is read).
    static func archiveFormatGuess(_ fileName: String) -> DatasetFormat? {
        let name = fileName.lowercased()
        if name.contains("cifar-100") || name.contains("cifar100") { return .cifar100 }
        if name.contains("cifar-10") || name.contains("cifar10") { return .cifar10 }
        return nil
    }

    // MARK: - Paths (lexical, no symlink resolution)

    static func absolute(_ path: String, from directory: String) -> String {
        normalize(path.hasPrefix("/") ? path : directory + "/" + path)
    }

    /// Removes `.`, empty components and `..` (lexically); keeps the path absolute.
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

/// A dataset found on disk: its folder or archive, and its format.
public struct DatasetLocation: Sendable, Equatable {
    /// The format; for an archive, what its name suggests (nil if it says nothing) until its members are read.
    public let format: DatasetFormat?
    /// The folder or archive, absolute.
    public let path: String
    /// True for a tar archive (optionally gzipped), read in memory.
    public let isArchive: Bool
    /// For IDX files, the file-name prefix (`""`, or e.g. `emnist-letters-`).
    public var idxPrefix: String = ""

    /// The dataset's short name: the IDX prefix without its trailing separator, else the folder name or the
    /// archive name without `.tar.gz`/`.tgz`/`.tar`.
    public var name: String {
        var prefix = idxPrefix
        while let last = prefix.last, "-_.".contains(last) { prefix.removeLast() }
        if !prefix.isEmpty { return prefix }
        var name = DatasetLoader.baseName(path)
        for suffix in [".tar.gz", ".tgz", ".tar"] where name.lowercased().hasSuffix(suffix) {
            name.removeLast(suffix.count)
            break
        }
        return name
    }

    /// Reads one split.
    public func load(split: Split, labelKind: CIFAR100LabelKind = .fine) throws(DatasetError) -> Dataset {
        if !isArchive {
            switch format {
            case .idx?: return try IDX.load(folder: path, prefix: idxPrefix, split: split, name: name)
            case .cifar10?, .cifar100?:
                return try CIFAR.load(
                    .folder(path), format: format!, split: split, labelKind: labelKind, name: name, source: path)
            case nil:
                throw .unrecognizedFormat(path: path, reason: "no dataset files found")
            }
        }
        let raw = try FileIO.read(path)
        let tarBytes = Gzip.isGzip(raw) ? try Gzip.decompress(raw, file: path) : raw
        if tarBytes.isEmpty { throw .emptyFile(path: path) }
        let archive = try TarArchive(bytes: tarBytes, path: path)
        // Detect the format from the members: CIFAR-10 batches or CIFAR-100 train/test files.
        func directory(containing file: String) -> String? {
            guard let member = archive.members.first(where: { DatasetLoader.baseName($0.name) == file }) else {
                return nil
            }
            return member.name.contains("/") ? DatasetLoader.parent(of: member.name) : ""
        }
        let detected: (DatasetFormat, String)
        if let directory = directory(containing: "data_batch_1.bin") ?? directory(containing: "test_batch.bin") {
            detected = (.cifar10, directory)
        } else if let directory = directory(containing: "train.bin") ?? directory(containing: "test.bin") {
            detected = (.cifar100, directory)
        } else {
            throw .unrecognizedFormat(
                path: path,
                reason: "archive has no CIFAR-10 batches (data_batch_1.bin, test_batch.bin) or CIFAR-100 files "
                    + "(train.bin, test.bin) among its \(archive.members.count) files")
        }
        if let format, format != detected.0 {
            throw .unrecognizedFormat(
                path: path, reason: "named like \(format.rawValue) but holds \(detected.0.rawValue) files")
        }
        return try CIFAR.load(
            .archive(archive, directory: detected.1), format: detected.0, split: split, labelKind: labelKind,
            name: name, source: path)
    }
}
