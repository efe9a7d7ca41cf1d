import Foundation
import NIOCore

/// The threads that run searches off the event loops.
///
/// Like NIOThreadPool, with one difference that matters for latency: after finishing a job, one
/// worker at a time keeps polling for the next one for `spinMicroseconds` before it parks. A
/// parked thread wakes on a cold core (caches and TLB taken by whatever ran meanwhile); with a
/// client that sends its next query a few tens of microseconds after the last answer, the
/// spinning worker picks it up hot. Measured on the medium corpus through the socket, the
/// engine's own time (`took_us`) was about twice the in-process time of the same queries while
/// workers parked between requests. At most one worker spins, so on a 2-core machine the event
/// loop always has a core; the cost is at most `spinMicroseconds` of CPU after each request.
final class SearchWorkerPool: @unchecked Sendable {
    /// How long the spinning worker polls before parking.
    static let spinMicroseconds: UInt64 = 200

    let numberOfThreads: Int
    private let condition = NSCondition()
    private var jobs = CircularBuffer<() -> Void>()
    private var active = false
    private var stopping = false
    private var spinning = 0
    private var running = 0
    private var onStopped: [(Error?) -> Void] = []

    struct Inactive: Error, CustomStringConvertible {
        var description: String { "the search workers have stopped" }
    }

    init(numberOfThreads: Int) {
        self.numberOfThreads = max(1, numberOfThreads)
    }

    func start() {
        condition.lock()
        guard !active && !stopping else { condition.unlock(); return }
        active = true
        running = numberOfThreads
        condition.unlock()
        for index in 0..<numberOfThreads {
            let thread = Thread { [self] in work() }
            thread.name = "quarry-search-\(index)"
            thread.start()
        }
    }

    /// Runs `body` on a worker; the future fails with `Inactive` once the pool is stopping.
    func runIfActive<T>(eventLoop: EventLoop, _ body: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        let promise = eventLoop.makePromise(of: T.self)
        condition.lock()
        guard active else {
            condition.unlock()
            promise.fail(Inactive())
            return promise.futureResult
        }
        jobs.append {
            do { promise.succeed(try body()) } catch { promise.fail(error) }
        }
        condition.signal()
        condition.unlock()
        return promise.futureResult
    }

    /// Stops accepting jobs, runs the ones queued, then calls `callback` once every thread exited.
    func shutdownGracefully(_ callback: @escaping (Error?) -> Void) {
        condition.lock()
        active = false
        stopping = true
        if running == 0 {
            condition.unlock()
            callback(nil)
            return
        }
        onStopped.append(callback)
        condition.broadcast()
        condition.unlock()
    }

    func shutdownGracefully() async throws {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            shutdownGracefully { _ in continuation.resume() }
        }
    }

    private func monotonicMicroseconds() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds / 1000
    }

    private func work() {
        while true {
            condition.lock()
            if let job = jobs.popFirst() {
                condition.unlock()
                job()
                // Spin for the next job if no other worker does.
                condition.lock()
                let mayspin = spinning == 0 && !stopping
                if mayspin { spinning += 1 }
                condition.unlock()
                if mayspin {
                    let deadline = monotonicMicroseconds() + Self.spinMicroseconds
                    while monotonicMicroseconds() < deadline {
                        condition.lock()
                        let ready = !jobs.isEmpty || stopping
                        condition.unlock()
                        if ready { break }
                    }
                    condition.lock()
                    spinning -= 1
                    condition.unlock()
                }
                continue
            }
            if stopping {
                running -= 1
                let callbacks = running == 0 ? onStopped : []
                if running == 0 { onStopped = [] }
                condition.unlock()
                for callback in callbacks { callback(nil) }
                return
            }
            condition.wait()
            condition.unlock()
        }
    }
}
