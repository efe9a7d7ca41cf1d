import Foundation
import QuarryAnalysis
import QuarrySystem

/// Options for one `quarry-index` run.
public struct BuildOptions: Sendable {
    /// Analyzer settings recorded in the index.
    public var analyzer: AnalyzerSettings = .default
    /// Any bad record fails the run (non-zero exit, nothing published).
    public var strict = false
    /// Input limits (largest record).
    public var inputLimits: InputLimits = .default
    /// Memory budget for in-memory postings and per-document tables (see IndexWriter).
    public var memoryBytes = 512 << 20
    /// Analysis threads (the reader and the inverter run beside them); 0 = one per core.
    /// Also the bisection's and the rewrite's threads when reordering.
    public var threads = 0
    /// Document reordering after the build, before publishing (default: none).
    public var reorder = ReorderOptions()
    public init() {}
}

/// Progress while building, reported every `BuildProgress.interval` documents.
public struct BuildProgress: Sendable {
    public static let interval = 10_000
    public var documents: Int
    public var badRecords: Int
    public var bytesRead: Int
    public var totalBytes: Int?
    public var seconds: Double
}

/// What a build did.
public struct BuildSummary: Sendable {
    public var generation: String
    public var documents: Int
    public var badRecords: Int
    public var seconds: Double
    public var fileBytes: [String: Int]
    public var storedRawBytes: Int
    public var storedCompressedBytes: Int
    public var published: Bool
    public var removedGenerations: [String]
    /// Sorted runs spilled to disk and merged (0 when everything fit in the budget).
    public var runs: Int
    /// Analysis threads used.
    public var threads: Int
    /// Input bytes read (compressed size for .gz/.zst sources).
    public var bytesRead: Int
    /// The most bytes the memory budget accounted at once.
    public var peakAccountedBytes: Int
    /// What reordering did (nil when the documents kept input order).
    public var reorder: ReorderSummary?
}

/// The whole indexer run: lock, read every source, write a generation, publish it atomically.
public enum IndexBuilder {
    /// Builds and publishes a new generation from `sources` into the index directory `path`.
    ///
    /// Bad records go to `onBadRecord` and are skipped; with `options.strict` any bad record
    /// makes the build throw `IndexError(.badRecords)` after reading everything, and CURRENT is
    /// left untouched. An error of any kind leaves the previous generation live.
    public static func build(sources: [String], indexPath: String, options: BuildOptions,
                             onBadRecord: (BadRecord) -> Void = { _ in },
                             onProgress: (BuildProgress) -> Void = { _ in },
                             onReorderProgress: (ReorderProgress) -> Void = { _ in }) throws -> BuildSummary {
        let start = Date()
        let directory = IndexDirectory(path: indexPath)
        let lock = try directory.lockForWriting()
        defer { lock.release() }
        // A crashed earlier build may have left a generation newer than CURRENT: remove it.
        try directory.removeUnusedGenerations()
        let number = (try directory.generations().last?.number ?? 0) + 1
        let name = IndexDirectory.generationName(number)
        let generationPath = directory.generationPath(name)
        // Large buffers (pool pages, a big term's arrays) go back to the kernel when freed.
        ProcessMemory.mapAllocations(atLeast: 256 << 10)
        let threads = options.threads > 0 ? options.threads : max(1, ProcessInfo.processInfo.activeProcessorCount)
        var analyzers: [Analyzer] = []
        do {
            for _ in 0..<threads { analyzers.append(try Analyzer(settings: options.analyzer)) }
        } catch {
            throw IndexError(.io, "analyzer: \(error)")
        }
        let reader: DocumentReader
        do {
            reader = try DocumentReader(sources: sources, limits: options.inputLimits)
        } catch {
            throw IndexError(.io, "\(error)")
        }
        var published = false
        defer {
            if !published { try? FileSystem.removeTree(generationPath) }
        }
        let writer = try IndexWriter(directory: generationPath, generation: number, analyzerSettings: options.analyzer,
                                     memoryBytes: options.memoryBytes,
                                     // QUARRY_INDEX_ENCODERS: merge encoder threads, for experiments only.
                                     encoderThreads: ProcessInfo.processInfo.environment["QUARRY_INDEX_ENCODERS"].flatMap { Int($0) } ?? threads)
        defer { writer.removeTemporaryFiles() }
        let pipeline = IndexPipeline(reader: reader, analyzers: analyzers)
        analyzers = []
        pipeline.start()
        defer { pipeline.stop() }
        var badRecords = 0
        var seen = 0
        var sequence = 0
        while true {
            let batch = pipeline.next(after: sequence)
            sequence += 1
            for (index, record) in batch.records.enumerated() {
                seen += 1
                switch record {
                case .success(let document):
                    if try !writer.add(document, record: index, of: batch) {
                        badRecords += 1
                        onBadRecord(BadRecord(origin: document.origin, reason: "duplicate id '\(document.id)'"))
                    }
                case .failure(let bad):
                    badRecords += 1
                    onBadRecord(bad)
                }
                if seen % BuildProgress.interval == 0 {
                    onProgress(BuildProgress(documents: writer.docCount, badRecords: badRecords, bytesRead: batch.bytesRead,
                                             totalBytes: reader.totalBytes, seconds: Date().timeIntervalSince(start)))
                }
            }
            pipeline.release()
            if let error = batch.error {
                if let error = error as? IndexError { throw error }
                throw IndexError(.io, "\(error)")
            }
            if batch.isLast { break }
        }
        pipeline.stop()
        if options.strict && badRecords > 0 {
            throw IndexError(.badRecords, "\(badRecords) bad record\(badRecords == 1 ? "" : "s") and --strict: nothing published; \(directory.path)/CURRENT is unchanged")
        }
        let finishStart = Date()
        var meta = try writer.finish()
        if ProcessInfo.processInfo.environment["QUARRY_INDEX_TIMING"] != nil {
            FileHandle.standardError.write(Data("timing: read+invert \(finishStart.timeIntervalSince(start)) s, finish \(Date().timeIntervalSince(finishStart)) s\n".utf8))
        }
        var reorderSummary: ReorderSummary?
        if options.reorder.method != .none && meta.docs > 1 {
            var reorder = options.reorder
            reorder.bisection.threads = threads
            let result = try GenerationReorderer.reorder(generationPath: generationPath, name: name, options: reorder,
                                                         encoderThreads: threads,
                                                         chunkPositionCount: IndexWriter.chunkPositionCount(memoryBytes: options.memoryBytes),
                                                         progress: onReorderProgress)
            meta = result.0
            reorderSummary = result.1
        }
        try directory.publish(name)
        published = true
        let removed = (try? directory.removeUnusedGenerations()) ?? []
        return BuildSummary(generation: name, documents: meta.docs, badRecords: badRecords,
                            seconds: Date().timeIntervalSince(start),
                            fileBytes: meta.files.mapValues(\.bytes),
                            storedRawBytes: writer.storedByteCounts.raw,
                            storedCompressedBytes: writer.storedByteCounts.compressed,
                            published: true, removedGenerations: removed,
                            runs: writer.runCount, threads: threads, bytesRead: reader.bytesRead, peakAccountedBytes: writer.peakAccountedBytes,
                            reorder: reorderSummary)
    }
}
