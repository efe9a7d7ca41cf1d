#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: which call, on which path, and the errno it returned.
///
/// Every syscall in Quarry goes through `retryingEINTR(_:path:_:)`, so a failure always
/// names the call and the path: `fsync(/var/lib/quarry/index/gen-000003/postings): No space left on device`.
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The errno value.
    public var errno: Int32
    /// The system call that failed, e.g. "open", "fsync".
    public var call: String
    /// The path involved, if any.
    public var path: String?

    public init(errno: Int32, call: String, path: String? = nil) {
        self.errno = errno
        self.call = call
        self.path = path
    }

    /// The same, arguments in the order of the message ("call path: reason").
    public init(call: String, path: String, errno: Int32) {
        self.init(errno: errno, call: call, path: path)
    }

    /// The C library's text for `errno`.
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String {
        if let path { return "\(call)(\(path)): \(reason)" }
        return "\(call): \(reason)"
    }
}

/// Runs `body` until it returns something other than -1 with EINTR; throws `SystemError` on -1.
@discardableResult
@inline(__always)
public func retryingEINTR<T: FixedWidthInteger>(_ call: String, path: String? = nil,
                                               _ body: () -> T) throws -> T {
    while true {
        let result = body()
        if result == -1 {
            let code = errno
            if code == EINTR { continue }
            throw SystemError(errno: code, call: call, path: path)
        }
        return result
    }
}
