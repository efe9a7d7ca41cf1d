import Foundation
import QuarryAnalysis
import QuarryFormat
import QuarrySystem

/// Inverts analyzed documents within a memory budget and writes one generation's files.
///
/// Documents get doc ids 0, 1, 2… in the order they are added. Stored fields stream to the
/// "stored" file, ids and field lengths to temporary spool files, postings into a
/// `PostingsPool`; when the pool reaches its share of the budget it is spilled as a sorted run
/// (RunFile.swift). `finish()` merges the runs and the pool into the final files.
///
/// Memory (`memoryBytes`, the budget) counts, exactly, what grows with the input:
/// - while adding: the pool (pages, term table and the sort a spill makes of it, keys) + the id
///   registry (8 bytes per document, IDRegistry.swift); the pool's share is the budget minus the
///   registry, but at least a quarter of the budget (so a budget too small for the document
///   count is exceeded by at most the registry's 8 bytes per document beyond 3/4 of the budget:
///   64 MiB holds 6 M documents);
/// - while merging: the field lengths (4 bytes per document per field), the run read buffers
///   (1/8 of the budget in all), and the pool if it still fits (otherwise it is spilled first).
/// Outside the budget, a constant documented in Config/quarry.toml (96 MiB; up to 80 measured): the
/// process itself, the analyzers' caches, the batches in flight, 1 MiB output buffers, the
/// merge's encode chunks (W + 3 of at most min(budget / 1024, 256 Ki) positions); and, during
/// the merge, the arrays of the largest single term (`PostingsEncoder` takes a whole term:
/// 8 bytes per document plus 4 per position, plus its encoded bytes), held alone.
///
/// Not thread-safe: one inverter thread (see IndexPipeline for the threads around it).
public final class IndexWriter {
    public let generation: UInt64
    public let directory: String
    private let analyzerSettings: AnalyzerSettings
    /// The memory budget in bytes.
    public let memoryBytes: Int
    /// Threads encoding postings during the final merge (0 = on the merging thread).
    private let encoderThreads: Int
    private let pool = PostingsPool()
    private let ids: IDRegistry
    private var normsSpools: [OutputFile] = []
    @exclusivity(unchecked) private var normsBuffers: [ByteWriter]
    @exclusivity(unchecked) private var lengthSums: [UInt64]
    private var stored = StoredFieldsWriter()
    private let storedFile: FramedFileWriter
    private var runPaths: [String] = []
    private var temporaryPaths: [String] = []

    /// Documents added.
    public private(set) var docCount = 0
    /// Runs spilled to disk so far.
    public var runCount: Int { runPaths.count }
    /// The most bytes the budget accounted at any time (pool + ids, or the merge's share).
    public private(set) var peakAccountedBytes = 0

    /// Creates the generation directory `directory` (must not exist) and its stored and spool files.
    public init(directory: String, generation: UInt64, analyzerSettings: AnalyzerSettings, memoryBytes: Int,
                encoderThreads: Int = 1) throws {
        self.encoderThreads = encoderThreads
        self.directory = directory
        self.generation = generation
        self.analyzerSettings = analyzerSettings
        self.memoryBytes = max(memoryBytes, 1 << 16)
        try FileSystem.createDirectory(directory)
        storedFile = try FramedFileWriter(directory: directory, file: .stored, generation: generation)
        ids = try IDRegistry(directory: directory, memoryBytes: self.memoryBytes)
        normsBuffers = IndexField.allCases.map { _ in ByteWriter(capacity: 1 << 16) }
        lengthSums = IndexField.allCases.map { _ in 0 }
        for field in IndexField.allCases {
            let path = directory + "/norms-\(field.rawValue).tmp"
            normsSpools.append(try OutputFile(creating: path))
            temporaryPaths.append(path)
        }
    }

    /// The pool's share of the budget now.
    private var poolLimit: Int { max(memoryBytes - ids.byteCount, memoryBytes / 4) }

    /// Adds record `record` of `batch` (a document); returns false (and adds nothing) when its id
    /// was already added.
    func add(_ document: SourceDocument, record: Int, of batch: AnalyzedBatch) throws -> Bool {
        guard docCount < Int(UInt32.max - 1) else { throw IndexError(.io, "more than \(UInt32.max - 1) documents") }
        guard try ids.add(document.id) else { return false }
        let docID = UInt32(docCount)
        docCount += 1
        let fieldCount = IndexField.allCases.count
        for field in 0..<fieldCount {
            let slot = record * fieldCount + field
            let length = batch.fieldLengths[slot]
            normsBuffers[field].appendUInt32(length)
            lengthSums[field] += UInt64(length)
            let first = slot == 0 ? 0 : batch.entryEnds[slot - 1]
            let end = batch.entryEnds[slot]
            guard first < end else { continue }
            batch.keyBytes.withUnsafeBytes { keys in
                batch.positions.withUnsafeBufferPointer { positions in
                    for entry in first..<end {
                        let keyStart = entry == 0 ? 0 : batch.keyEnds[entry - 1]
                        let positionStart = entry == 0 ? 0 : batch.positionEnds[entry - 1]
                        let key = UnsafeRawBufferPointer(rebasing: keys[keyStart..<batch.keyEnds[entry]])
                        let termID = pool.termID(key: key, hash: batch.entryHashes[entry])
                        pool.addPosting(termID: termID, docID: docID,
                                        positions: UnsafeBufferPointer(rebasing: positions[positionStart..<batch.positionEnds[entry]]))
                    }
                }
            }
        }
        for field in 0..<fieldCount where normsBuffers[field].count >= 1 << 16 {
            try normsSpools[field].write(normsBuffers[field].bytes)
            normsBuffers[field].removeAll()
        }
        var storedFields = [StoredField(name: "title", value: document.title), StoredField(name: "body", value: document.body)]
        for field in document.fields { storedFields.append(StoredField(name: field.name, value: field.value)) }
        if let block = stored.add(storedFields) { try storedFile.write(block) }

        let accounted = pool.usedByteCount + ids.byteCount
        if accounted > peakAccountedBytes { peakAccountedBytes = accounted }
        if pool.usedByteCount >= poolLimit { try spill() }
        return true
    }

    /// Writes the pool as the next run file and empties it.
    private func spill() throws {
        guard !pool.isEmpty else { return }
        let path = directory + "/run-" + String(format: "%06d", runPaths.count + 1) + ".tmp"
        runPaths.append(path)
        try RunFile.write(pool, to: path)
        pool.reset(tableLimit: poolLimit / 2)
        pool.trim(to: poolLimit)
        ProcessMemory.trim()
    }

    /// Raw and compressed bytes of stored fields (valid after `finish`).
    public var storedByteCounts: (raw: Int, compressed: Int) { (stored.rawByteCount, stored.compressedByteCount) }

    /// Removes the temporary files (runs, spools) that still exist.
    public func removeTemporaryFiles() {
        for path in runPaths + temporaryPaths { try? FileSystem.removeFile(path) }
    }

    /// Writes every remaining file and the meta, each fsynced, then fsyncs the directory.
    /// Does not publish. Temporary files are gone when it returns.
    public func finish() throws -> IndexMeta {
        defer { removeTemporaryFiles() }
        var files: [String: IndexMeta.FileInfo] = [:]
        try storedFile.write(stored.finish())
        files[IndexFile.stored.rawValue] = try storedFile.finish()

        let idsFile = try FramedFileWriter(directory: directory, file: .ids, generation: generation)
        try ids.writeIDsFile(idsFile)
        files[IndexFile.ids.rawValue] = try idsFile.finish()

        // Field lengths: from the spools into memory (the merge looks them up per document).
        var lengths: [[UInt32]] = []
        for field in IndexField.allCases.indices {
            try normsSpools[field].write(normsBuffers[field].bytes)
            normsBuffers[field] = ByteWriter()
            try normsSpools[field].closeWithoutSync()
            lengths.append(try Self.readLengths(path: normsSpools[field].path, count: docCount))
            try FileSystem.removeFile(normsSpools[field].path)
        }
        files[IndexFile.norms.rawValue] = try Self.writeNorms(lengths, docCount: docCount, directory: directory,
                                                               generation: generation)

        // The merge's share: lengths + read buffers + the pool if it still fits.
        let lengthBytes = docCount * 4 * lengths.count
        let readBuffers = memoryBytes / 8
        if !runPaths.isEmpty && pool.usedByteCount + lengthBytes + readBuffers > memoryBytes { try spill() }
        pool.trim(to: pool.usedByteCount)
        ProcessMemory.trim()
        try reduceRuns(toAtMost: max(2, min(Self.maxFanIn, readBuffers / Self.minReadBuffer)), readBuffers: readBuffers)
        let bufferPerRun = min(1 << 20, max(Self.minReadBuffer, readBuffers / max(1, runPaths.count)))
        var sources: [MergeSource] = []
        for path in runPaths { sources.append(try RunReader(path: path, bufferByteCount: bufferPerRun)) }
        if !pool.isEmpty { sources.append(try PoolSource(pool: pool)) }
        let mergeAccounted = lengthBytes + pool.usedByteCount + bufferPerRun * runPaths.count
        if mergeAccounted > peakAccountedBytes { peakAccountedBytes = mergeAccounted }

        let postingsFile = try FramedFileWriter(directory: directory, file: .postings, generation: generation)
        let positionsFile = try FramedFileWriter(directory: directory, file: .positions, generation: generation)
        let termsFile = try FramedFileWriter(directory: directory, file: .terms, generation: generation)
        var dictionary = TermDictionaryWriter()
        var merger = PostingsMerger(sources: sources)
        try merger.run(lengths: lengths, postingsFile: postingsFile, positionsFile: positionsFile,
                       termsFile: termsFile, dictionary: &dictionary, encoderThreads: encoderThreads,
                       chunkPositionCount: Self.chunkPositionCount(memoryBytes: memoryBytes))
        sources = []
        pool.release()
        files[IndexFile.postings.rawValue] = try postingsFile.finish()
        files[IndexFile.positions.rawValue] = try positionsFile.finish()
        files[IndexFile.terms.rawValue] = try termsFile.finish()
        removeTemporaryFiles()

        let meta = IndexMeta(generation: generation, docs: docCount, terms: dictionary.termCount,
                             fields: IndexField.allCases.map {
                                 IndexMeta.FieldInfo(id: Int($0.rawValue), name: $0.name, length_sum: lengthSums[Int($0.rawValue)])
                             },
                             analyzer: analyzerSettings, analyzer_fingerprint: analyzerSettings.fingerprint,
                             files: files)
        try FileSystem.writeFileDurably(directory + "/meta", try meta.encoded())
        try FileSystem.syncDirectory(directory)
        return meta
    }

    /// Positions (and documents) per chunk of terms handed to the encoder threads.
    static func chunkPositionCount(memoryBytes: Int) -> Int { min(1 << 18, max(1 << 14, memoryBytes / 1024)) }

    /// Smallest read buffer per run in a merge (so that reads stay large).
    static let minReadBuffer = 1 << 16
    /// Most runs merged at once (the heap and the read buffers stay small).
    static let maxFanIn = 128

    /// While there are more runs than `fanIn`, merges consecutive groups of `fanIn` runs into
    /// one (RunFile.merge: no decoding), level by level: log_fanIn(runs) extra passes.
    private func reduceRuns(toAtMost fanIn: Int, readBuffers: Int) throws {
        var level = 0
        while runPaths.count > fanIn {
            level += 1
            var next: [String] = []
            for (groupIndex, start) in stride(from: 0, to: runPaths.count, by: fanIn).enumerated() {
                let group = Array(runPaths[start..<min(start + fanIn, runPaths.count)])
                if group.count == 1 { next.append(group[0]); continue }
                let path = directory + "/run-L\(level)-" + String(format: "%06d", groupIndex + 1) + ".tmp"
                temporaryPaths.append(path)
                let buffer = min(1 << 20, max(Self.minReadBuffer, readBuffers / group.count))
                let readers = try group.map { try RunReader(path: $0, bufferByteCount: buffer) }
                try RunFile.merge(readers, to: path)
                for old in group { try FileSystem.removeFile(old) }
                next.append(path)
            }
            runPaths = next
        }
    }

    /// Writes the norms file (its layout is documented in QuarryFormat/DocumentTables.swift) from
    /// each field's lengths; used by the build and by the reorderer's rewrite.
    static func writeNorms(_ lengths: [[UInt32]], docCount: Int, directory: String, generation: UInt64) throws -> IndexMeta.FileInfo {
        let file = try FramedFileWriter(directory: directory, file: .norms, generation: generation)
        var body = ByteWriter(capacity: 1 << 20)
        body.appendUInt32(UInt32(lengths.count))
        body.appendUInt32(UInt32(docCount))
        for field in lengths {
            for length in field {
                body.appendUInt32(length)
                if body.count >= 1 << 20 { try file.write(body.bytes); body.removeAll() }
            }
        }
        try file.write(body.bytes)
        return try file.finish()
    }

    private static func readLengths(path: String, count: Int) throws -> [UInt32] {
        var lengths = [UInt32](repeating: 0, count: count)
        guard count > 0 else { return lengths }
        let file = try RandomAccessFile(path: path)
        try lengths.withUnsafeMutableBytes { try file.read(at: 0, into: $0) }
        for i in lengths.indices { lengths[i] = UInt32(littleEndian: lengths[i]) }
        return lengths
    }
}
