#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif


/// A blocking client connection on a Unix stream socket: what the `quarry` client needs, and
/// nothing more. Writes never raise SIGPIPE (MSG_NOSIGNAL); EINTR is retried.
public final class UnixSocketConnection {
    public let path: String
    private let descriptor: Int32
    private var buffered: [UInt8] = []

    /// Connects to `path`. `timeoutSeconds` bounds each blocking read and write (0 = none).
    public init(path: String, timeoutSeconds: Int = 0) throws {
        self.path = path
        let maxPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1
        guard path.utf8.count <= maxPathBytes else {
            throw SystemError(call: "connect", path: path, errno: ENAMETOOLONG)
        }
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw SystemError(call: "socket", path: path, errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            // Safe: path.utf8.count <= raw.count - 1 was checked above; the rest stays NUL.
            raw.copyBytes(from: Array(path.utf8))
        }
        var result: Int32
        repeat {
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        } while result != 0 && errno == EINTR
        guard result == 0 else {
            let code = errno
            close(fd)
            throw SystemError(call: "connect", path: path, errno: code)
        }
        descriptor = fd
        if timeoutSeconds > 0 {
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    deinit {
        close(descriptor)
    }

    /// Writes every byte.
    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { raw -> Int in
                #if canImport(Glibc)
                return send(descriptor, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL))
                #else
                return send(descriptor, raw.baseAddress, raw.count, 0)
                #endif
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw SystemError(call: "write", path: path, errno: errno)
            }
            offset += written
        }
    }

    /// Reads up to and including the next "\n"; returns the line without it. Returns nil when
    /// the peer closed the connection before a complete line (partial bytes are dropped).
    /// Throws when the line exceeds `maxBytes` or on a read error (timeouts: EAGAIN).
    public func readLine(maxBytes: Int) throws -> [UInt8]? {
        var scanned = 0
        while true {
            if let newline = buffered[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffered[..<newline])
                buffered.removeFirst(newline + 1)
                return line
            }
            scanned = buffered.count
            if buffered.count > maxBytes {
                throw SystemError(call: "read", path: path, errno: EMSGSIZE)
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { raw in read(descriptor, raw.baseAddress, raw.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError(call: "read", path: path, errno: errno)
            }
            if count == 0 { return nil }
            buffered.append(contentsOf: chunk[..<count])
        }
    }
}

/// Process facts the client needs, kept beside the socket code so the client has one door to
/// the C library.
public enum ProcessFacts {
    /// True when `fileDescriptor` is a terminal (isatty).
    public static func isTerminal(_ fileDescriptor: Int32) -> Bool {
        isatty(fileDescriptor) == 1
    }

    /// The real user id (for /tmp/quarry-$UID).
    public static var userID: UInt32 {
        UInt32(getuid())
    }
}
