import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Calls a handler when a file named `fileName` appears in (is created in, renamed into, or
/// closed after writing in) `directory`: inotify on the directory, since CURRENT is replaced by
/// rename(2) and a watch on the file itself would follow the old inode.
///
/// The watch runs on its own thread, polling with a timeout so that `stop()` returns promptly.
/// If the directory does not exist yet, the thread retries once a second until it does.
public final class DirectoryWatcher: @unchecked Sendable {
    public let directory: String
    public let fileName: String
    private let handler: @Sendable () -> Void
    private let lock = DispatchQueue(label: "quarry.watcher.state")
    private var stopped = false
    private var thread: Thread?

    public init(directory: String, fileName: String, handler: @escaping @Sendable () -> Void) {
        self.directory = directory
        self.fileName = fileName
        self.handler = handler
    }

    /// Starts watching (idempotent).
    public func start() {
        guard thread == nil else { return }
        let thread = Thread { [weak self] in self?.loop() }
        thread.name = "quarry-inotify"
        self.thread = thread
        thread.start()
    }

    /// Stops watching; the thread exits within the poll timeout.
    public func stop() {
        lock.sync { stopped = true }
    }

    private var isStopped: Bool { lock.sync { stopped } }

    private func loop() {
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else { return }
        defer { close(fd) }
        var watch: Int32 = -1
        let mask = UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !isStopped {
            if watch < 0 {
                watch = inotify_add_watch(fd, directory, mask)
                if watch < 0 { sleepMilliseconds(1000); continue }
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 250)
            guard ready > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { continue }
            var fired = false
            var ignored = false
            buffer.withUnsafeBytes { raw in
                var offset = 0
                let headerSize = MemoryLayout<inotify_event>.size
                while offset + headerSize <= count {
                    let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let nameLength = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameStart = offset + headerSize
                    if nameLength > 0, nameStart + nameLength <= count {
                        let bytes = raw[nameStart..<(nameStart + nameLength)].prefix { $0 != 0 }
                        if String(decoding: bytes, as: UTF8.self) == fileName { fired = true }
                    }
                    if mask & UInt32(IN_IGNORED) != 0 { ignored = true }
                    offset = nameStart + nameLength
                }
            }
            if ignored { watch = -1 }  // the directory went away; watch it again when it is back
            if fired { handler() }
        }
    }
}

/// Sleeps the calling thread.
public func sleepMilliseconds(_ milliseconds: Int) {
    var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
    var remaining = timespec()
    while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
}
