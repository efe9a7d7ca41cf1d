#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Durable file-system operations: the pieces of "publish" (write, fsync, rename, directory fsync),
/// plus directory listing and creation. Every call names its path in a thrown `SystemError`.
public enum FileSystem {
    /// Creates `path` and any missing parents with `mode`; existing directories are fine.
    public static func createDirectory(_ path: String, mode: mode_t = 0o755) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, mode) != 0 {
                let code = errno
                if code != EEXIST { throw SystemError(errno: code, call: "mkdir", path: prefix) }
            }
            prefix += "/"
        }
    }

    /// True when `path` exists (any type).
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// True when `path` is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Size in bytes of a regular file.
    public static func fileSize(_ path: String) throws -> Int {
        var info = stat()
        try retryingEINTR("stat", path: path) { stat(path, &info) }
        return Int(info.st_size)
    }

    /// Names in a directory, without "." and "..", sorted.
    public static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw SystemError(errno: errno, call: "opendir", path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Reads a whole (small) file.
    public static func readFile(_ path: String) throws -> [UInt8] {
        let fd = try retryingEINTR("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = try chunk.withUnsafeMutableBytes { buffer in
                try retryingEINTR("read", path: path) { read(fd, buffer.baseAddress, buffer.count) }
            }
            if got == 0 { break }
            result.append(contentsOf: chunk[0..<got])
        }
        return result
    }

    /// Writes `bytes` to `path` (created or truncated) and fsyncs it.
    public static func writeFileDurably(_ path: String, _ bytes: [UInt8]) throws {
        let file = try OutputFile(creating: path)
        try file.write(bytes)
        try file.finish()
    }

    /// fsync on a directory, so that a rename or a newly created entry inside it is durable.
    public static func syncDirectory(_ path: String) throws {
        let fd = try retryingEINTR("open", path: path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        try retryingEINTR("fsync", path: path) { fsync(fd) }
    }

    /// rename(2): atomically replaces `to` with `from`.
    public static func rename(_ from: String, to: String) throws {
        try retryingEINTR("rename", path: "\(from) -> \(to)") { Glibc.rename(from, to) }
    }

    /// Removes a file; a missing file is not an error.
    public static func removeFile(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw SystemError(errno: errno, call: "unlink", path: path) }
    }

    /// Removes a directory tree (files and subdirectories). A missing path is not an error.
    public static func removeTree(_ path: String) throws {
        guard isDirectory(path) else { try removeFile(path); return }
        for name in try listDirectory(path) { try removeTree(path + "/" + name) }
        if rmdir(path) != 0 && errno != ENOENT { throw SystemError(errno: errno, call: "rmdir", path: path) }
    }

    /// Resident-set high-water mark of this process in KiB (VmHWM), or nil if unreadable.
    public static func peakResidentKiB() -> Int? {
        guard let bytes = try? readFile("/proc/self/status") else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ").dropFirst().first { !$0.isEmpty } ?? "")
        }
        return nil
    }
}

/// A file being written: buffered writes, then `finish()` = flush + fsync + close.
///
/// Contract: after `finish()` returns, the bytes are on stable storage (the directory entry is
/// durable only after `FileSystem.syncDirectory` on the parent).
public final class OutputFile {
    /// The path being written.
    public let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private static let bufferLimit = 1 << 20 // 1 MiB: large sequential writes, small memory
    /// Bytes written so far (buffered or not).
    public private(set) var byteCount = 0

    /// Creates (or truncates) `path` with mode 0644.
    public init(creating path: String) throws {
        self.path = path
        fd = try retryingEINTR("open", path: path) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        buffer.reserveCapacity(Self.bufferLimit)
    }

    /// Appends bytes.
    public func write<C: Collection>(_ bytes: C) throws where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        byteCount += bytes.count
        if buffer.count >= Self.bufferLimit { try flush() }
    }

    /// Appends raw bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        byteCount += bytes.count
        if buffer.count >= Self.bufferLimit { try flush() }
    }

    private func flush() throws {
        var offset = 0
        let path = self.path
        let fd = self.fd
        try buffer.withUnsafeBytes { raw in
            while offset < raw.count {
                let wrote = try retryingEINTR("write", path: path) {
                    Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                }
                offset += wrote
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the buffered bytes to the kernel (no fsync): a `RandomAccessFile` on the same
    /// path then sees everything written so far.
    public func flushBuffer() throws {
        try flush()
    }

    /// Flushes and closes without fsync: for temporary files that never outlive the process's
    /// own use of them (spilled runs), where durability buys nothing.
    public func closeWithoutSync() throws {
        try flush()
        close(fd)
        fd = -1
    }

    /// Flushes, fsyncs and closes the file.
    public func finish() throws {
        try flush()
        let fd = self.fd
        try retryingEINTR("fsync", path: path) { fsync(fd) }
        close(fd)
        self.fd = -1
    }

    deinit {
        if fd >= 0 { close(fd) }
    }
}

/// An exclusive advisory lock (`flock(LOCK_EX | LOCK_NB)`) on a lock file, held until released
/// or the process exits (the kernel drops it even after SIGKILL).
public final class FileLock {
    private var fd: Int32
    /// The lock file's path.
    public let path: String

    /// Takes the lock or throws `SystemError` with EWOULDBLOCK when another process holds it.
    public init(path: String) throws {
        self.path = path
        fd = try retryingEINTR("open", path: path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        let fd = self.fd
        do {
            try retryingEINTR("flock", path: path) { flock(fd, LOCK_EX | LOCK_NB) }
        } catch {
            close(fd)
            self.fd = -1
            throw error
        }
    }

    /// Releases the lock.
    public func release() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    deinit { release() }
}

/// A file opened read-only for positioned reads (`pread`), e.g. temporary files the indexer reads
/// back while it is still writing them. Closed on deinit.
public final class RandomAccessFile {
    public let path: String
    private var fd: Int32

    public init(path: String) throws {
        self.path = path
        fd = try retryingEINTR("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
    }

    /// Reads exactly `buffer.count` bytes at `offset`; throws on a short read (end of file).
    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let got = try retryingEINTR("pread", path: path) {
                pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            }
            if got == 0 { throw SystemError(errno: EIO, call: "pread (short read at \(offset + done))", path: path) }
            done += got
        }
    }

    deinit { if fd >= 0 { close(fd) } }
}

/// glibc malloc tuning for processes whose memory must track a budget (the indexer).
public enum ProcessMemory {
    /// Allocations of `byteCount` or more get their own mmap and go back to the kernel when
    /// freed. glibc otherwise raises this threshold after each large free (up to 32 MiB), so
    /// freed buffers of up to 32 MiB stay resident in the heap and count in the peak RSS.
    public static func mapAllocations(atLeast byteCount: Int) {
        #if canImport(Glibc)
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD, <malloc.h> */, Int32(clamping: byteCount))
        #endif
    }

    /// Returns the heap's free pages to the kernel (`malloc_trim(0)`); a few ms on a large heap.
    public static func trim() {
        #if canImport(Glibc)
        _ = glibcMallocTrim(0)
        #endif
    }
}

#if canImport(Glibc)
// <malloc.h> is not part of the Glibc module: declared here with glibc's C signatures.
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
