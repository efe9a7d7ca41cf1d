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
                             onProgress: (BuildProgress) -> Void = { _ in }) throws -> BuildSummary {
        let start = Date()
        let directory = IndexDirectory(path: indexPath)
        let lock = try directory.lockForWriting()
        defer { lock.release() }
        // A crashed earlier build may have left a generation newer than CURRENT: remove it.
        try directory.removeUnusedGenerations()
        let number = (try directory.generations().last?.number ?? 0) + 1
        let name = IndexDirectory.generationName(number)
        let generationPath = directory.generationPath(name)
        let analyzer: Analyzer
        do {
            analyzer = try Analyzer(settings: options.analyzer)
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
        let writer = try IndexWriter(directory: generationPath, generation: number, analyzer: analyzer)
        var badRecords = 0
        var seen = 0
        while let next = try nextRecord(reader) {
            seen += 1
            switch next {
            case .success(let document):
                if try !writer.add(document) {
                    badRecords += 1
                    onBadRecord(BadRecord(origin: document.origin, reason: "duplicate id '\(document.id)'"))
                }
            case .failure(let bad):
                badRecords += 1
                onBadRecord(bad)
            }
            if seen % BuildProgress.interval == 0 {
                onProgress(BuildProgress(documents: writer.docCount, badRecords: badRecords, bytesRead: reader.bytesRead,
                                         totalBytes: reader.totalBytes, seconds: Date().timeIntervalSince(start)))
            }
        }
        if options.strict && badRecords > 0 {
            throw IndexError(.badRecords, "\(badRecords) bad record\(badRecords == 1 ? "" : "s") and --strict: nothing published; \(directory.path)/CURRENT is unchanged")
        }
        let meta = try writer.finish()
        try directory.publish(name)
        published = true
        let removed = (try? directory.removeUnusedGenerations()) ?? []
        return BuildSummary(generation: name, documents: meta.docs, badRecords: badRecords,
                            seconds: Date().timeIntervalSince(start),
                            fileBytes: meta.files.mapValues(\.bytes),
                            storedRawBytes: writer.storedByteCounts.raw,
                            storedCompressedBytes: writer.storedByteCounts.compressed,
                            published: true, removedGenerations: removed)
    }

    private static func nextRecord(_ reader: DocumentReader) throws -> Result<SourceDocument, BadRecord>? {
        do {
            return try reader.next()
        } catch let error as IndexError {
            throw error
        } catch {
            throw IndexError(.io, "\(error)")
        }
    }
}
