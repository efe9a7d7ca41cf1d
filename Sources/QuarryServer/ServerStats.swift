import Foundation
import NIOCore
import QuarryProtocol

/// Counters shared by all connections: queries, errors, a latency histogram. Thread-safe.
final class ServerStats: @unchecked Sendable {
    private let lock = NSLock()
    private let startedAt = NIODeadline.now()
    private var queries = 0
    private var errors = 0
    private var latencies = LatencyHistogram()

    /// One search answered (successfully or not), `micros` from request to response.
    func recordSearch(micros: Int) {
        lock.lock(); defer { lock.unlock() }
        queries += 1
        latencies.record(micros)
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
        let histogram = latencies
        lock.unlock()
        var status = status
        status.uptimeSeconds = Double((NIODeadline.now() - startedAt).nanoseconds) / 1e9
        status.queries = queries
        status.errors = errors
        status.connections = connections
        if histogram.total > 0 {
            status.latency = LatencySummary(samples: Int(histogram.total),
                                            p50Micros: Int(histogram.percentile(0.5)),
                                            p90Micros: Int(histogram.percentile(0.9)),
                                            p99Micros: Int(histogram.percentile(0.99)),
                                            p999Micros: Int(histogram.percentile(0.999)),
                                            maxMicros: Int(histogram.maximum))
        }
        return status
    }
}
