import Foundation
import NIOCore
import QuarryProtocol

/// Counters shared by all connections: queries, errors, recent latencies. Thread-safe.
final class ServerStats: @unchecked Sendable {
    /// Latency percentiles cover this many most recent searches (a ring buffer: O(1) per query,
    /// a sort of 1024 ints per status request).
    static let latencyWindow = 1024

    private let lock = NSLock()
    private let startedAt = NIODeadline.now()
    private var queries = 0
    private var errors = 0
    private var latencies: [Int] = []
    private var nextLatencySlot = 0

    /// One search answered (successfully or not), `micros` from request to response.
    func recordSearch(micros: Int) {
        lock.lock(); defer { lock.unlock() }
        queries += 1
        if latencies.count < ServerStats.latencyWindow {
            latencies.append(micros)
        } else {
            latencies[nextLatencySlot] = micros
            nextLatencySlot = (nextLatencySlot + 1) % ServerStats.latencyWindow
        }
    }

    /// Searches answered and errors so far.
    var counts: (queries: Int, errors: Int) {
        lock.lock(); defer { lock.unlock() }
        return (queries, errors)
    }

    /// One request answered with an error.
    func recordError() {
        lock.lock(); defer { lock.unlock() }
        errors += 1
    }

    /// Fills the server's fields of a status the backend produced.
    func complete(_ status: StatusInfo, connections: Int) -> StatusInfo {
        lock.lock()
        let queries = self.queries
        let errors = self.errors
        let recent = latencies
        lock.unlock()
        var status = status
        status.uptimeSeconds = Double((NIODeadline.now() - startedAt).nanoseconds) / 1e9
        status.queries = queries
        status.errors = errors
        status.connections = connections
        if !recent.isEmpty {
            let sorted = recent.sorted()
            func percentile(_ fraction: Double) -> Int {
                sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))]
            }
            status.latency = LatencySummary(samples: sorted.count, p50Micros: percentile(0.5),
                                            p90Micros: percentile(0.9), p99Micros: percentile(0.99),
                                            maxMicros: sorted[sorted.count - 1])
        }
        return status
    }
}
