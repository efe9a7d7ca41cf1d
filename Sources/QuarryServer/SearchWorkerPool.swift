import Foundation
import NIOCore

/// The threads that run pipelined searches, status and reload requests off the event loops.
///
/// Like NIOThreadPool, except that a graceful shutdown still runs the jobs already queued.
///
/// Workers park as soon as the queue is empty. (They used to poll for the next job for 200 µs
/// first, so that a client's next query found a hot worker; since a lone request now runs on the
/// event loop that read it, the poll only took a core from the event loop and the client: with it,
/// intersection round trips through the socket were p50 ~150 µs, without it ~95 µs, 2 cores.)
final class SearchWorkerPool: @unchecked Sendable {
    let numberOfThreads: Int
    private let condition = NSCondition()
    private var jobs = CircularBuffer<() -> Void>()
    private var active = false
    private var stopping = false
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

    private func work() {
        while true {
            condition.lock()
            if let job = jobs.popFirst() {
                condition.unlock()
                job()
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
