import Dispatch
import Logging
import QuarrySystemd

/// Tells systemd what quarryd is doing (Type=notify): READY=1 once the index is open and the
/// socket listens, RELOADING=1 (with MONOTONIC_USEC, as systemd asks) and READY=1 around each
/// generation swap, STATUS= lines, STOPPING=1 on shutdown, WATCHDOG=1 at half of WatchdogSec.
/// Outside systemd every message is dropped silently (sd_notify without NOTIFY_SOCKET).
public final class ServiceNotifier: @unchecked Sendable {
    private let logger: Logger
    private var timer: DispatchSourceTimer?
    private let queue = DispatchQueue(label: "quarry.notifier")

    public init(logger: Logger) {
        self.logger = logger
    }

    private func send(_ message: String) {
        Systemd.notify(message)
        logger.trace("sd_notify", metadata: ["message": "\(message.replacingOccurrences(of: "\n", with: " "))"])
    }

    /// READY=1 with a status line.
    public func ready(status: String) {
        send("READY=1\nSTATUS=\(status)")
    }

    /// RELOADING=1 and the monotonic clock, before a swap begins.
    public func reloading(status: String) {
        send("RELOADING=1\nMONOTONIC_USEC=\(Systemd.monotonicMicroseconds())\nSTATUS=\(status)")
    }

    /// A STATUS= line alone.
    public func status(_ text: String) {
        send("STATUS=\(text)")
    }

    /// STOPPING=1 when shutdown begins.
    public func stopping() {
        stopPeriodic()
        send("STOPPING=1\nSTATUS=stopping: finishing requests in flight")
    }

    /// Every `statusSeconds`, a fresh STATUS= line from `status()`; when WatchdogSec= is set,
    /// WATCHDOG=1 at half the interval (the timer then runs at that rate).
    public func startPeriodic(statusSeconds: Double = 10, status: @escaping @Sendable () -> String) {
        let watchdog = Systemd.watchdogIntervalMicroseconds()
        var interval = statusSeconds
        if let watchdog { interval = min(interval, Double(watchdog) / 2_000_000) }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        var lastStatus = Double(0)
        var elapsed = Double(0)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            elapsed += interval
            if watchdog != nil { self.send("WATCHDOG=1") }
            if elapsed - lastStatus >= statusSeconds - 0.001 {
                lastStatus = elapsed
                self.status(status())
            }
        }
        timer.resume()
        self.timer = timer
    }

    private func stopPeriodic() {
        timer?.cancel()
        timer = nil
    }
}
