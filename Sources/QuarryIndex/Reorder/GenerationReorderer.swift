import Foundation
import QuarryFormat
import QuarrySystem

/// How `quarry-index` numbers the documents of a generation.
public enum ReorderMethod: String, Sendable, CaseIterable {
    /// Input order (doc id = position in the input).
    case none
    /// Recursive graph bisection (`GraphBisection`): similar documents get nearby doc ids.
    case bp
}

/// Document reordering settings (`quarry-index --reorder`, `[indexer] reorder`).
public struct ReorderOptions: Sendable, Equatable {
    public var method = ReorderMethod.none
    /// Terms in fewer documents are left out of the forward index: they say little about which
    /// documents belong together, and they are most of the vocabulary.
    public var minDocFreq = 32
    /// Terms in more than this fraction of the documents are left out: they are everywhere, so
    /// no split can gather them, and they are most of the postings (bisection time).
    public var maxDocFraction = 0.5
    /// The bisection's iterations, leaf size and threads.
    public var bisection = GraphBisection.Options()

    public init(method: ReorderMethod = .none) { self.method = method }
}

/// Progress of a reordering, reported often enough for a progress line.
public struct ReorderProgress: Sendable {
    public enum Phase: String, Sendable {
        case forwardIndex = "forward index"
        case bisection = "bisection"
        case postings = "rewriting postings"
        case stored = "rewriting stored fields"
    }
    public var phase: Phase
    /// Terms (forward index, postings) or documents (bisection, stored fields) done so far, of `total`.
    public var done: Int
    public var total: Int
    /// Since the reordering started.
    public var seconds: Double
}

/// What a reordering did and cost.
public struct ReorderSummary: Sendable {
    public var method: ReorderMethod
    /// Terms and postings in the forward index (after the document-frequency filter).
    public var terms: Int
    public var postings: Int
    /// Seconds for the forward index, the bisection, and rewriting and verifying the files.
    public var forwardIndexSeconds: Double
    public var bisectionSeconds: Double
    public var rewriteSeconds: Double
    /// The most bytes the reordering allocated at once (forward index + bisection, or the
    /// rewrite's tables), as accounted; the mapped files of the generation come on top.
    public var peakAccountedBytes: Int
    /// Bytes of the forward index.
    public var forwardIndexBytes: Int
}

/// Renumbers the documents of a complete, not yet published generation and rewrites every file
/// that depends on doc ids, in place; the format does not change (a reader cannot tell a
/// reordered generation from one whose input came in that order, except by its speed).
///
/// Steps: open and verify the generation (`IndexReader`); build a `ForwardIndex` from the
/// postings of the terms within the document-frequency window of `ReorderOptions`; compute
/// the permutation (`GraphBisection`) and check that it is one; write postings and positions
/// (each term's documents renumbered and re-sorted, skip entries and block maxima recomputed
/// by `PostingsEncoder` from the new field lengths), terms (same keys, new offsets), norms, ids
/// and stored fields in the new order into `<generation>/reorder.tmp/`; fsync them, rename
/// them over the originals, write the new meta, fsync the directory; open the result again and
/// check that terms, postings, positions bytes and field length sums are unchanged.
///
/// Crash safety: the generation is not published until `IndexBuilder` publishes it after this
/// returns; a crash at any point leaves an unpublished generation that the next build removes.
///
/// Memory: the forward index (4 bytes per posting kept + 8 per document) and the bisection's
/// arrays (`GraphBisection.memoryByteCount`), freed before the rewrite, which holds the
/// permutation both ways (8 bytes per document), the new field lengths (4 per document per
/// field), the new ids' offsets (8 per document), and the arrays of one large term at a time
/// (as in the merge). Reported in `ReorderSummary.peakAccountedBytes`.
enum GenerationReorderer {
    static let temporaryDirectoryName = "reorder.tmp"

    static func reorder(generationPath: String, name: String, options: ReorderOptions, encoderThreads: Int,
                        chunkPositionCount: Int, progress: (ReorderProgress) -> Void) throws -> (IndexMeta, ReorderSummary) {
        precondition(options.method == .bp)
        let start = Date()
        let reader = try IndexReader(path: generationPath, name: name, keepResident: false)
        let docCount = reader.docCount

        // Forward index.
        let forward = try buildForwardIndex(reader, options: options) { done, total in
            progress(ReorderProgress(phase: .forwardIndex, done: done, total: total, seconds: Date().timeIntervalSince(start)))
        }
        let forwardSeconds = Date().timeIntervalSince(start)
        reader.dropResidentPages()
        let bisectionMemory = GraphBisection.memoryByteCount(docCount: docCount, termCount: forward.termCount,
                                                             threads: options.bisection.threads)
        let bisectionStart = Date()
        let reportLock = NSLock()
        let order = GraphBisection.permutation(of: forward, options: options.bisection) { placed in
            reportLock.lock()
            defer { reportLock.unlock() }
            progress(ReorderProgress(phase: .bisection, done: placed, total: docCount, seconds: Date().timeIntervalSince(start)))
        }
        let bisectionSeconds = Date().timeIntervalSince(bisectionStart)
        if ProcessInfo.processInfo.environment["QUARRY_REORDER_DEBUG"] != nil {
            let identity = (0..<docCount).map { UInt32($0) }
            FileHandle.standardError.write(Data("log-gap bits: input order \(logGapBits(forward, order: identity)), bp \(logGapBits(forward, order: order))\n".utf8))
        }
        let forwardTerms = forward.termCount, forwardPostings = forward.termNumbers.count, forwardBytes = forward.byteCount

        // The permutation both ways, checked.
        guard order.count == docCount else {
            throw IndexError(.corrupt, "\(name): reordering produced \(order.count) doc ids for \(docCount) documents")
        }
        var newID = [UInt32](repeating: UInt32.max, count: docCount)
        for (new, old) in order.enumerated() {
            guard Int(old) < docCount, newID[Int(old)] == UInt32.max else {
                throw IndexError(.corrupt, "\(name): reordering is not a permutation (doc \(old) placed twice or out of range)")
            }
            newID[Int(old)] = UInt32(new)
        }

        // Rewrite into a scratch directory.
        let rewriteStart = Date()
        let scratch = generationPath + "/" + temporaryDirectoryName
        try? FileSystem.removeTree(scratch)
        try FileSystem.createDirectory(scratch)
        defer { try? FileSystem.removeTree(scratch) }
        let generation = reader.meta.generation
        var files = reader.meta.files
        let fieldCount = IndexField.allCases.count
        var lengths: [[UInt32]] = []
        for field in IndexField.allCases {
            guard let old = reader.fieldLengths(field) else { lengths.append([]); continue }
            // Safe: NormsReader checked docCount lengths per field inside the body.
            lengths.append(order.map { old[Int($0)] })
        }
        for field in IndexField.allCases {
            let sum = lengths[Int(field.rawValue)].reduce(UInt64(0)) { $0 + UInt64($1) }
            let expected = reader.meta.fields.first { $0.id == Int(field.rawValue) }?.length_sum ?? 0
            guard sum == expected else {
                throw IndexError(.corrupt, "\(name): field \(field.name) lengths sum to \(sum) after reordering, meta says \(expected)")
            }
        }
        let timing = ProcessInfo.processInfo.environment["QUARRY_INDEX_TIMING"] != nil
        var phaseStart = Date()
        func lap(_ phase: String) {
            if timing { FileHandle.standardError.write(Data("timing: reorder \(phase) \(Date().timeIntervalSince(phaseStart)) s\n".utf8)) }
            phaseStart = Date()
        }
        files[IndexFile.norms.rawValue] = try IndexWriter.writeNorms(lengths, docCount: docCount, directory: scratch, generation: generation)
        files[IndexFile.ids.rawValue] = try writeIDs(reader, order: order, directory: scratch, generation: generation)
        lap("norms+ids")
        let rewritten = try writePostings(reader, newID: newID, lengths: lengths, directory: scratch, generation: generation,
                                          encoderThreads: encoderThreads, chunkPositionCount: chunkPositionCount) { done, total in
            progress(ReorderProgress(phase: .postings, done: done, total: total, seconds: Date().timeIntervalSince(start)))
        }
        for (file, info) in rewritten.files { files[file] = info }
        reader.dropResidentPages()
        lap("postings")
        files[IndexFile.stored.rawValue] = try writeStored(reader, order: order, directory: scratch, generation: generation,
                                                           threads: options.bisection.threads) { done in
            progress(ReorderProgress(phase: .stored, done: done, total: docCount, seconds: Date().timeIntervalSince(start)))
        }
        lap("stored")
        let rewriteAccounted = docCount * (8 + 4 * fieldCount + 8) + rewritten.largestTermBytes

        // The same counts as before, or nothing is replaced.
        guard rewritten.terms == reader.meta.terms else {
            throw IndexError(.corrupt, "\(name): rewrote \(rewritten.terms) terms of \(reader.meta.terms)")
        }
        guard files[IndexFile.positions.rawValue]?.bytes == reader.meta.files[IndexFile.positions.rawValue]?.bytes else {
            throw IndexError(.corrupt, "\(name): the rewritten positions file differs in size (the same varints in another order must not)")
        }
        let oldPostings = try reader.postingsStatistics().postings
        reader.dropResidentPages()
        guard rewritten.postings == oldPostings else {
            throw IndexError(.corrupt, "\(name): rewrote \(rewritten.postings) postings of \(oldPostings)")
        }

        // Replace the files, then the meta (a generation's meta is written last).
        var meta = reader.meta
        meta.files = files
        for file in IndexFile.allCases {
            try FileSystem.rename(scratch + "/" + file.rawValue, to: generationPath + "/" + file.rawValue)
        }
        try FileSystem.writeFileDurably(generationPath + "/meta", try meta.encoded())
        try FileSystem.syncDirectory(generationPath)

        lap("checks+rename")
        // Verify what a reader will see.
        let check = try IndexReader(path: generationPath, name: name, keepResident: false)
        let newPostings = try check.postingsStatistics().postings
        guard check.meta == meta, newPostings == oldPostings else {
            throw IndexError(.corrupt, "\(name): the reordered generation does not read back (\(newPostings) postings of \(oldPostings))")
        }
        lap("verify")
        let summary = ReorderSummary(method: options.method, terms: forwardTerms, postings: forwardPostings,
                                     forwardIndexSeconds: forwardSeconds, bisectionSeconds: bisectionSeconds,
                                     rewriteSeconds: Date().timeIntervalSince(rewriteStart),
                                     peakAccountedBytes: max(forwardBytes + bisectionMemory + docCount * 8, rewriteAccounted),
                                     forwardIndexBytes: forwardBytes)
        return (meta, summary)
    }

    static func logGapBits(_ forward: ForwardIndex, order: [UInt32]) -> Double {
        var last = [Int](repeating: -1, count: forward.termCount)
        var bits = 0.0
        for (new, old) in order.enumerated() {
            for j in forward.documentStarts[Int(old)]..<forward.documentStarts[Int(old) + 1] {
                let t = Int(forward.termNumbers[j])
                bits += log2(Double(new - last[t]))
                last[t] = new
            }
        }
        return bits
    }

    /// The forward index of the terms whose document frequency is in the options' window.
    static func buildForwardIndex(_ reader: IndexReader, options: ReorderOptions,
                                  progress: (Int, Int) -> Void) throws -> ForwardIndex {
        let docCount = reader.docCount
        let maxDocFreq = max(options.minDocFreq, Int(Double(docCount) * options.maxDocFraction))
        var selected: [TermPostingsInfo] = []
        try reader.terms.forEach(withPrefix: []) { _, info in
            if info.docFreq >= options.minDocFreq && info.docFreq <= maxDocFreq { selected.append(info) }
            return true
        }
        guard selected.count < Int(UInt32.max) else {
            throw IndexError(.io, "\(reader.generationName): \(selected.count) terms are too many to reorder by")
        }
        // Pass 1: terms per document; pass 2: fill each document's slots.
        var starts = [Int](repeating: 0, count: docCount + 1)
        for (number, info) in selected.enumerated() {
            // Terms are read in file order: the pages behind them are not needed in this pass.
            if number % 16_384 == 16_383 { reader.dropResidentPages(of: [.postings]) }
            let cursor = try reader.cursor(info)
            while cursor.docID != PostingCursor.end {
                let doc = Int(cursor.docID)
                guard doc < docCount else { throw IndexError(.corrupt, "\(reader.generationName): postings name doc \(doc) of \(docCount)") }
                starts[doc + 1] += 1
                cursor.next()
            }
            if cursor.isCorrupt { throw IndexError(.corrupt, "\(reader.generationName): postings at \(info.postingsOffset) do not decode") }
        }
        for doc in 0..<docCount { starts[doc + 1] += starts[doc] }
        var fill = starts
        var numbers = [UInt32](repeating: 0, count: starts[docCount])
        for (number, info) in selected.enumerated() {
            let cursor = try reader.cursor(info)
            while cursor.docID != PostingCursor.end {
                let doc = Int(cursor.docID)
                numbers[fill[doc]] = UInt32(number)
                fill[doc] += 1
                cursor.next()
            }
            if number % 4096 == 0 { progress(number, selected.count) }
            if number % 16_384 == 16_383 { reader.dropResidentPages(of: [.postings]) }
        }
        reader.dropResidentPages(of: [.postings])
        fill = []
        return ForwardIndex(termCount: selected.count, documentStarts: starts, termNumbers: numbers)
    }


    /// The ids file (DocumentTables.swift) in the new order, streamed.
    private static func writeIDs(_ reader: IndexReader, order: [UInt32], directory: String, generation: UInt64) throws -> IndexMeta.FileInfo {
        let file = try FramedFileWriter(directory: directory, file: .ids, generation: generation)
        var body = ByteWriter(capacity: 1 << 20)
        var ends: [UInt64] = []
        ends.reserveCapacity(order.count)
        var byteCount: UInt64 = 0
        for old in order {
            let id = reader.externalID(old).utf8
            body.append(contentsOf: id)
            byteCount += UInt64(id.count)
            ends.append(byteCount)
            if body.count >= 1 << 20 { try file.write(body.bytes); body.removeAll() }
        }
        body.appendUInt64(0)
        for end in ends {
            body.appendUInt64(end)
            if body.count >= 1 << 20 { try file.write(body.bytes); body.removeAll() }
        }
        body.appendUInt64(UInt64(order.count))
        try file.write(body.bytes)
        return try file.finish()
    }

    /// Documents fetched per thread per round in `writeStored`.
    static let storedBatchCount = 2_048

    /// The stored file in the new order. Fetching a document decompresses its whole block (the
    /// costly part: each block is read once per document it holds), so `threads` threads fetch
    /// consecutive batches; this thread adds them in order, so the bytes do not depend on the threads.
    private static func writeStored(_ reader: IndexReader, order: [UInt32], directory: String, generation: UInt64,
                                    threads: Int, progress: (Int) -> Void) throws -> IndexMeta.FileInfo {
        let file = try FramedFileWriter(directory: directory, file: .stored, generation: generation)
        var writer = StoredFieldsWriter()
        let threads = max(1, threads)
        let batches = FetchedBatches(count: threads)
        var start = 0
        while start < order.count {
            let roundStart = start
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                let first = min(order.count, roundStart + thread * Self.storedBatchCount)
                let end = min(order.count, first + Self.storedBatchCount)
                batches.set(thread, Result { try order[first..<end].map { try reader.storedFields($0) } })
            }
            for thread in 0..<threads {
                for document in try batches.take(thread).get() {
                    if let block = writer.add(document) { try file.write(block) }
                }
            }
            start = min(order.count, start + threads * Self.storedBatchCount)
            // Documents come from all over the file: without this every block would stay mapped.
            reader.dropResidentPages(of: [.stored])
            progress(start)
        }
        try file.write(writer.finish())
        return try file.finish()
    }

    /// Postings, positions and terms in the new doc order.
    private static func writePostings(_ reader: IndexReader, newID: [UInt32], lengths: [[UInt32]], directory: String,
                                      generation: UInt64, encoderThreads: Int, chunkPositionCount: Int,
                                      progress: (Int, Int) -> Void)
        throws -> (files: [String: IndexMeta.FileInfo], terms: Int, postings: Int, largestTermBytes: Int) {
        let postingsFile = try FramedFileWriter(directory: directory, file: .postings, generation: generation)
        let positionsFile = try FramedFileWriter(directory: directory, file: .positions, generation: generation)
        let termsFile = try FramedFileWriter(directory: directory, file: .terms, generation: generation)
        let output = TermChunkWriter(encoderThreads: encoderThreads, lengths: lengths, postingsFile: postingsFile,
                                     positionsFile: positionsFile, termsFile: termsFile)
        defer { output.stop() }
        let name = reader.generationName
        let termTotal = reader.meta.terms
        var chunk = output.newChunk()
        // One term in the old order: its documents' sort keys (new id << 32 | index), tfs, and
        // where each document's positions start in `positions`.
        var keys: [UInt64] = [], tfs: [UInt32] = [], positionStarts: [Int] = [], positions: [UInt32] = []
        var termIndex = 0, postingCount = 0, largestTermBytes = 0
        try reader.terms.forEach(withPrefix: []) { key, info in
            let cursor = try reader.cursor(info)
            keys.removeAll(keepingCapacity: true)
            tfs.removeAll(keepingCapacity: true)
            positionStarts.removeAll(keepingCapacity: true)
            positions.removeAll(keepingCapacity: true)
            while cursor.docID != PostingCursor.end {
                let doc = Int(cursor.docID)
                guard doc < newID.count, let decoded = cursor.currentPositions(), decoded.count == Int(cursor.termFrequency) else {
                    throw IndexError(.corrupt, "\(name): postings or positions of a term at \(info.postingsOffset) do not decode")
                }
                keys.append(UInt64(newID[doc]) << 32 | UInt64(keys.count))
                tfs.append(cursor.termFrequency)
                positionStarts.append(positions.count)
                positions.append(contentsOf: decoded)
                cursor.next()
            }
            guard !cursor.isCorrupt, keys.count == info.docFreq else {
                throw IndexError(.corrupt, "\(name): postings of a term at \(info.postingsOffset) do not decode")
            }
            keys.sort()
            var term = EncodeChunk.Term(key: key)
            term.docIDs.reserveCapacity(keys.count)
            term.termFrequencies.reserveCapacity(keys.count)
            term.positions.reserveCapacity(positions.count)
            for sortKey in keys {
                let index = Int(truncatingIfNeeded: sortKey & 0xFFFF_FFFF)
                term.docIDs.append(UInt32(truncatingIfNeeded: sortKey >> 32))
                term.termFrequencies.append(tfs[index])
                let first = positionStarts[index]
                term.positions.append(contentsOf: positions[first..<(first + Int(tfs[index]))])
            }
            // As in the merge: a term larger than a chunk is encoded and written alone.
            let isLarge = keys.count + positions.count >= chunkPositionCount
            if isLarge {
                largestTermBytes = max(largestTermBytes, keys.count * 24 + positions.count * 8)
                if !chunk.terms.isEmpty {
                    try output.submit(chunk)
                    chunk = output.newChunk()
                }
                try output.writeAll()
            }
            postingCount += keys.count
            chunk.append(term)
            if isLarge || chunk.positionCount + chunk.docCount >= chunkPositionCount || chunk.terms.count >= 4096 {
                try output.submit(chunk)
                chunk = output.newChunk()
                if isLarge { try output.writeAll() }
            }
            termIndex += 1
            if termIndex % 4096 == 0 { progress(termIndex, termTotal) }
            // Terms are read in file order: pages behind them are not needed again.
            if termIndex % 16_384 == 0 { reader.dropResidentPages(of: [.postings, .positions]) }
            return true
        }
        if !chunk.terms.isEmpty { try output.submit(chunk) }
        let dictionary = try output.finish()
        return ([IndexFile.postings.rawValue: try postingsFile.finish(),
                 IndexFile.positions.rawValue: try positionsFile.finish(),
                 IndexFile.terms.rawValue: try termsFile.finish()],
                dictionary.termCount, postingCount, largestTermBytes)
    }
}

/// One slot per fetching thread (each thread writes only its own slot, under the lock).
private final class FetchedBatches: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<[[StoredField]], Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Result<[[StoredField]], Error>) {
        lock.lock()
        slots[index] = value
        lock.unlock()
    }

    func take(_ index: Int) -> Result<[[StoredField]], Error> {
        lock.lock()
        defer { lock.unlock() }
        let value = slots[index] ?? .success([])
        slots[index] = nil
        return value
    }
}
