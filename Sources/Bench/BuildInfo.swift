import Foundation

/// Facts about the running build, for result files.
public enum BuildInfo {
    /// `git rev-parse HEAD` of the checkout the executable was built in (with `-dirty` when it has uncommitted
    /// changes to tracked files), or nil outside a git checkout. `MOBENCH_GIT_COMMIT` overrides it.
    public static let gitCommit: String? = {
        if let value = ProcessInfo.processInfo.environment["MOBENCH_GIT_COMMIT"], !value.isEmpty { return value }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        let directory = executable.deletingLastPathComponent().path
        guard let head = git(["rev-parse", "HEAD"], in: directory), !head.isEmpty else { return nil }
        let dirty = git(["status", "--porcelain", "--untracked-files=no"], in: directory).map { !$0.isEmpty } ?? false
        return dirty ? head + "-dirty" : head
    }()

    private static func git(_ arguments: [String], in directory: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
