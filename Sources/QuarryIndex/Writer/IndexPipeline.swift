import Foundation
import QuarryAnalysis

/// The build's threads: one reader, `workerCount` analysis workers, and the inverter (the
/// caller's thread), joined by bounded queues.
///
///     reader thread   DocumentReader -> batches of up to `batchRecordCount` records or
///                     `batchByteCount` text bytes, numbered 0, 1, 2…
///     workers (W)     each owns an Analyzer; batch -> AnalyzedBatch (distinct terms per field,
///                     hashed, with positions)
///     inverter        takes batches strictly by number (a reorder buffer), so doc ids, runs and
///                     every output byte are the same whatever W and the thread timing
///
/// At most `inFlightLimit` batches exist at once (a ticket taken by the reader, returned by the
/// inverter), which bounds the queues and the reorder buffer: part of the documented constant.
final class IndexPipeline {
    static let batchRecordCount = 256
    static let batchByteCount = 1 << 20

    private let reader: DocumentReader
    private var analyzers: [Analyzer]
    private let inFlightLimit: Int
    private let tickets: DispatchSemaphore
    private let condition = NSCondition()
    /// Batches read, waiting for a worker (guarded by `condition`).
    private var toAnalyze: [AnalyzedBatch] = []
    /// Batches analyzed, by sequence number (guarded by `condition`).
    private var analyzed: [Int: AnalyzedBatch] = [:]
    private var cancelled = false
    private var readingDone = false
    private let group = DispatchGroup()

    init(reader: DocumentReader, analyzers: [Analyzer]) {
        self.reader = reader
        self.analyzers = analyzers
        inFlightLimit = 2 * analyzers.count + 2
        tickets = DispatchSemaphore(value: inFlightLimit)
    }

    /// Starts the reader and worker threads.
    func start() {
        spawn(name: "quarry-reader") { [self] in readLoop() }
        for (index, analyzer) in analyzers.enumerated() {
            spawn(name: "quarry-analyze-\(index)") { [self] in workLoop(BatchAnalyzer(analyzer: analyzer)) }
        }
        analyzers = [] // each worker owns its analyzer: the caches go when the threads end
    }

    private func spawn(name: String, _ body: @escaping () -> Void) {
        group.enter()
        let thread = Thread { [group] in
            body()
            group.leave()
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The next analyzed batch in order (blocks); its `isLast` marks the end.
    func next(after sequence: Int) -> AnalyzedBatch {
        condition.lock()
        defer { condition.unlock() }
        while analyzed[sequence] == nil { condition.wait() }
        return analyzed.removeValue(forKey: sequence)!
    }

    /// The inverter is done with a batch: lets the reader make another.
    func release() {
        tickets.signal()
    }

    /// Stops every thread (after an error or at the end) and waits for them.
    func stop() {
        condition.lock()
        cancelled = true
        toAnalyze.removeAll()
        analyzed.removeAll()
        condition.broadcast()
        condition.unlock()
        for _ in 0..<inFlightLimit { tickets.signal() }
        group.wait()
    }

    private var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    private func readLoop() {
        var sequence = 0
        var finished = false
        while !finished {
            tickets.wait()
            if isCancelled { return }
            let batch = AnalyzedBatch(sequence: sequence)
            sequence += 1
            var textBytes = 0
            do {
                while batch.records.count < Self.batchRecordCount && textBytes < Self.batchByteCount {
                    guard let record = try reader.next() else { finished = true; break }
                    if case .success(let document) = record { textBytes += document.title.utf8.count + document.body.utf8.count }
                    batch.records.append(record)
                }
            } catch {
                batch.error = error
                finished = true
            }
            batch.isLast = finished
            batch.bytesRead = reader.bytesRead
            condition.lock()
            toAnalyze.append(batch)
            if finished { readingDone = true }
            condition.broadcast()
            condition.unlock()
        }
    }

    private func workLoop(_ analyzer: BatchAnalyzer) {
        while true {
            condition.lock()
            while toAnalyze.isEmpty && !cancelled && !readingDone { condition.wait() }
            if cancelled || toAnalyze.isEmpty {
                condition.unlock()
                return
            }
            let batch = toAnalyze.removeFirst()
            condition.unlock()
            analyzer.analyze(batch)
            condition.lock()
            if !cancelled { analyzed[batch.sequence] = batch }
            condition.broadcast()
            condition.unlock()
        }
    }
}
