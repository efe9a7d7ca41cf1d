import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// The service manager's interfaces, through libsystemd: readiness notification
/// (`sd_notify`), socket activation (`sd_listen_fds`) and the watchdog (`sd_watchdog_enabled`).
/// Outside systemd (no NOTIFY_SOCKET, no LISTEN_FDS) every call is a harmless no-op.
public enum Systemd {
    /// Sends `state` ("READY=1\nSTATUS=…") to $NOTIFY_SOCKET. Returns false when not under a
    /// service manager or when sending failed (notifications are best effort by design).
    @discardableResult
    public static func notify(_ state: String) -> Bool {
        sd_notify(0, state) > 0
    }

    /// The current CLOCK_MONOTONIC time in microseconds, as RELOADING=1 wants it.
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// The first descriptor systemd passes (SD_LISTEN_FDS_START = 3).
    public static let firstListenDescriptor: Int32 = 3

    /// Listening sockets passed by socket activation (LISTEN_FDS / LISTEN_PID), unsetting the
    /// variables so children do not inherit them. Empty outside socket activation.
    public static func listenDescriptors() -> [Int32] {
        let count = sd_listen_fds(1)
        guard count > 0 else { return [] }
        return (0..<count).map { firstListenDescriptor + $0 }
    }

    /// True when `descriptor` is a listening AF_UNIX stream socket.
    public static func isUnixStreamListener(_ descriptor: Int32) -> Bool {
        sd_is_socket_unix(descriptor, socketStreamType, 1, nil, 0) > 0
    }

    /// SOCK_STREAM on Linux (the Glibc constant is not visible beside sd-daemon.h).
    private static let socketStreamType: Int32 = 1

    /// The watchdog interval systemd asks for (WatchdogSec=), or nil when none.
    public static func watchdogIntervalMicroseconds() -> UInt64? {
        var usec: UInt64 = 0
        return sd_watchdog_enabled(0, &usec) > 0 && usec > 0 ? usec : nil
    }
}
