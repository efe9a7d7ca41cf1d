#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory (`mmap(PROT_READ, MAP_PRIVATE)`).
///
/// The mapping lives as long as this object; readers borrow its bytes through `bytes`, which
/// must not be used after the last reference to the `MappedFile` is gone. Index readers keep
/// the `MappedFile` alive in the generation object that every query pins.
public final class MappedFile: @unchecked Sendable {
    /// The file's path, for error messages.
    public let path: String
    /// The mapped bytes (an empty buffer for an empty file).
    public let bytes: UnsafeRawBufferPointer

    /// Access hint passed to `madvise`.
    public enum Advice: Sendable {
        case normal, random, sequential, willNeed
    }

    /// Maps `path` read-only. Throws `SystemError` naming the call and the path.
    public init(path: String, advice: Advice = .normal) throws {
        self.path = path
        let fd = try retryingEINTR("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var info = stat()
        try retryingEINTR("fstat", path: path) { fstat(fd, &info) }
        let byteCount = Int(info.st_size)
        if byteCount == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, byteCount, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw SystemError(errno: errno, call: "mmap", path: path)
        }
        bytes = UnsafeRawBufferPointer(start: base, count: byteCount)
        let flag: Int32
        switch advice {
        case .normal: flag = Int32(MADV_NORMAL)
        case .random: flag = Int32(MADV_RANDOM)
        case .sequential: flag = Int32(MADV_SEQUENTIAL)
        case .willNeed: flag = Int32(MADV_WILLNEED)
        }
        if flag != Int32(MADV_NORMAL) { _ = madvise(base, byteCount, flag) }
    }

    /// The mapped length in bytes.
    public var byteCount: Int { bytes.count }

    /// Unmaps the resident pages (`madvise(MADV_DONTNEED)`) so that they stop counting in the
    /// process's RSS; the bytes stay readable (the mapping is read-only and private, never
    /// written, so a later read maps the file's pages again from the page cache). For one pass
    /// over a large file, such as rewriting a generation; a hint: failure changes nothing.
    public func dropResidentPages() {
        dropResidentPages(in: 0..<bytes.count)
    }

    /// `dropResidentPages()` for the pages inside `range` (offsets from the start; the start is
    /// rounded down to a page, so a page shared with the bytes before is dropped too).
    public func dropResidentPages(in range: Range<Int>) {
        guard let base = bytes.baseAddress, !range.isEmpty, range.lowerBound >= 0, range.upperBound <= bytes.count else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound - range.lowerBound % max(page, 1)
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, Int32(MADV_DONTNEED))
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
