import Foundation

/// An advisory lock (`flock`) on a suite's output folder, held for the life of the process: the kernel releases
/// it when the process exits, however it exits (crash and `kill -9` included), so a stale lock never blocks.
///
/// A whole suite takes it exclusively; shards of a sharded suite (`--shard I/N`, disjoint run sets writing into
/// one shared folder) take it shared, so shards run side by side but never next to a whole-suite process on the
/// same folder. Each run's folder is locked the same way (exclusively) while a suite runs it, so two processes
/// that share the folder lock (two copies of one shard) never run the same run: the second reports it as taken.
/// The lock file is `DIR/.mobench.lock` (it holds the pid of the last locker, for the message).
public final class OutputLock {
    public enum Mode: Sendable { case exclusive, shared }

    private let descriptor: Int32
    public let path: String

    /// Takes the lock or throws `OutputError` naming the folder (and, when it can, the process holding it).
    public init(directory: String, mode: Mode, what: String = "suite") throws {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw OutputError.cannotCreateDirectory(directory)
        }
        path = (directory as NSString).appendingPathComponent(".mobench.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OutputError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        if flock(fd, (mode == .exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK else {
                // The filesystem cannot lock (some network filesystems: ENOLCK, EOPNOTSUPP): run unlocked rather
                // than refuse, as before locks existed.
                descriptor = fd
                return
            }
            var holder = ""
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            if n > 0, let pid = Int(String(decoding: buffer[0..<n], as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)) {
                holder = " (pid \(pid))"
            }
            Foundation.close(fd)
            throw OutputError.locked(what == "suite"
                ? "\(directory): another mobench suite\(holder) is writing into this folder; wait for it to finish or use another --out"
                : "\(directory): another mobench process\(holder) is running this \(what); it is left to that process")
        }
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
        descriptor = fd
    }

    deinit { Foundation.close(descriptor) }
}
