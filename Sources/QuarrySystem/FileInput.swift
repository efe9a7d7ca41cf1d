// Reading input files: open, sequential read, stat and directory listing over Glibc.
// The indexer's document reader (QuarryIndex/Input) uses these so that only this module
// talks to the kernel. Every call retries EINTR and reports errno with the call and the path.

import Glibc


/// What `stat` says about a path.
public struct FileStatus: Sendable, Equatable {
    /// The kinds of file the input layer distinguishes.
    public enum Kind: Sendable, Equatable { case regular, directory, other }
    /// Regular file, directory, or anything else (pipe, device, socket).
    public var kind: Kind
    /// `st_size`; meaningful for regular files only.
    public var byteCount: Int

    /// Stats `path`, following symbolic links.
    public init(path: String) throws {
        var st = stat()
        let rc = path.withCString { stat($0, &st) }
        if rc != 0 { throw SystemError(call: "stat", path: path, errno: Glibc.errno) }
        self.init(st)
    }

    init(_ st: stat) {
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        default: kind = .other
        }
        byteCount = Int(st.st_size)
    }

    /// True when `path` itself (not what it points to) is a symbolic link.
    public static func isSymbolicLink(path: String) -> Bool {
        var st = stat()
        let rc = path.withCString { lstat($0, &st) }
        return rc == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }
}

/// A file descriptor opened for sequential reading; closed on `close()` or deinit.
/// Standard input is wrapped without being owned: it is never closed.
public final class InputFile {
    /// The path it was opened with ("<stdin>" for standard input).
    public let path: String
    private var descriptor: Int32
    private let ownsDescriptor: Bool

    private init(path: String, descriptor: Int32, ownsDescriptor: Bool) {
        self.path = path
        self.descriptor = descriptor
        self.ownsDescriptor = ownsDescriptor
    }

    /// Opens `path` read-only and hints the kernel that it will be read sequentially.
    public static func open(path: String) throws -> InputFile {
        var fd: Int32
        repeat {
            fd = path.withCString { Glibc.open($0, O_RDONLY | O_CLOEXEC) }
        } while fd < 0 && Glibc.errno == EINTR
        if fd < 0 { throw SystemError(call: "open", path: path, errno: Glibc.errno) }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        return InputFile(path: path, descriptor: fd, ownsDescriptor: true)
    }

    /// Standard input (fd 0), not owned.
    public static func standardInput() -> InputFile {
        InputFile(path: "<stdin>", descriptor: STDIN_FILENO, ownsDescriptor: false)
    }

    /// Wraps an already open descriptor (e.g. the read end of a pipe); closed on deinit when `owned`.
    public static func wrapping(descriptor: Int32, path: String, owned: Bool) -> InputFile {
        InputFile(path: path, descriptor: descriptor, ownsDescriptor: owned)
    }

    /// Reads up to `buffer.count` bytes; returns 0 at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        if descriptor < 0 { throw SystemError(call: "read", path: path, errno: EBADF) }
        while true {
            let n = Glibc.read(descriptor, base, buffer.count)
            if n >= 0 { return n }
            if Glibc.errno != EINTR { throw SystemError(call: "read", path: path, errno: Glibc.errno) }
        }
    }

    /// Hints the kernel that the file will be read once and need not stay cached
    /// (`POSIX_FADV_DONTNEED` over what was read so far); harmless if ignored.
    public func dropCachedPages() {
        if descriptor >= 0 { _ = posix_fadvise(descriptor, 0, 0, Int32(POSIX_FADV_DONTNEED)) }
    }

    /// `fstat` of the open descriptor.
    public func status() throws -> FileStatus {
        var st = stat()
        if fstat(descriptor, &st) != 0 { throw SystemError(call: "fstat", path: path, errno: Glibc.errno) }
        return FileStatus(st)
    }

    /// Closes the descriptor if owned; idempotent. Errors from close on a read-only fd are ignored.
    public func close() {
        if ownsDescriptor && descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    deinit { close() }
}

/// One entry of a directory listing.
public struct DirectoryEntry: Sendable, Equatable {
    /// The entry's name within its directory (no slashes).
    public var name: String
    /// What the entry is, following a symbolic link to a file; a link to a directory is `.other`
    /// so that walkers never descend through links (and so never loop).
    public var kind: FileStatus.Kind
    /// Size in bytes for regular files, else 0.
    public var byteCount: Int
}

/// Lists `path` (without "." and ".."), in no particular order.
public func listDirectory(path: String) throws -> [DirectoryEntry] {
    guard let dir = path.withCString({ opendir($0) }) else {
        throw SystemError(call: "opendir", path: path, errno: Glibc.errno)
    }
    defer { closedir(dir) }
    var entries: [DirectoryEntry] = []
    while true {
        Glibc.errno = 0
        guard let entry = readdir(dir) else {
            if Glibc.errno != 0 { throw SystemError(call: "readdir", path: path, errno: Glibc.errno) }
            break
        }
        let name = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
            tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
                String(cString: $0)
            }
        }
        if name == "." || name == ".." { continue }
        let full = path.hasSuffix("/") ? path + name : path + "/" + name
        let kind: FileStatus.Kind
        var byteCount = 0
        if FileStatus.isSymbolicLink(path: full) {
            // Follow links to files; never to directories.
            guard let target = try? FileStatus(path: full) else { continue }   // dangling link
            kind = target.kind == .regular ? .regular : .other
            byteCount = target.byteCount
        } else {
            guard let st = try? FileStatus(path: full) else { continue }   // removed meanwhile
            kind = st.kind
            byteCount = st.kind == .regular ? st.byteCount : 0
        }
        entries.append(DirectoryEntry(name: name, kind: kind, byteCount: byteCount))
    }
    return entries
}
