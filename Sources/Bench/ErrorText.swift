import Foundation

/// One line describing `error` for a person: the error's own description when it has one (every mobench error
/// names its file and problem), otherwise, for Foundation file errors, "PATH: cause" with the operating system's
/// reason (e.g. "No space left on device") instead of the `NSError` dump, and otherwise the localized description.
/// Never a type name or a multi-line dump.
public func oneLineDescription(_ error: Error) -> String {
    let text: String
    if error is CocoaError || type(of: error) is NSError.Type {
        text = foundationDescription(error as NSError)
    } else {
        text = String(describing: error)   // the error's own `description` when it has one
    }
    return text.split(whereSeparator: \.isNewline).joined(separator: " ")
}

/// The operating system's reason for a failed file operation: strerror of the POSIX code inside `error`, if any.
public func systemReason(_ error: Error) -> String {
    let ns = error as NSError
    if let code = posixCode(ns) { return String(cString: strerror(code)) }
    if ns.domain == NSCocoaErrorDomain {
        let codes: [CocoaError.Code: Int32] = [
            .fileWriteOutOfSpace: ENOSPC, .fileReadNoSuchFile: ENOENT, .fileNoSuchFile: ENOENT,
            .fileReadNoPermission: EACCES, .fileWriteNoPermission: EACCES, .fileWriteVolumeReadOnly: EROFS,
            .fileWriteFileExists: EEXIST,
        ]
        if let code = codes[CocoaError.Code(rawValue: ns.code)] { return String(cString: strerror(code)) }
    }
    return ns.localizedDescription
}

private func posixCode(_ error: NSError) -> Int32? {
    if error.domain == NSPOSIXErrorDomain { return Int32(error.code) }
    if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError { return posixCode(underlying) }
    return nil
}

private func foundationDescription(_ error: NSError) -> String {
    let path = (error.userInfo[NSFilePathErrorKey] as? String)
        ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
    let reason = systemReason(error)
    return path.map { "\($0): \(reason)" } ?? reason
}

/// Writes all of `bytes` to the open descriptor `fd`, retrying short writes and EINTR; the error names `path`
/// and the system's reason (disk full: "No space left on device").
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
    var done = 0
    while done < bytes.count {
        let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            throw OutputError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        done += n
    }
}
