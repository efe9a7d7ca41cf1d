import Foundation
import QuarryFormat

/// The k-way merge at the end of a build: the runs (spilled files, then the in-memory pool),
/// each sorted by key and covering increasing doc ranges, stream into the postings, positions
/// and terms files. A term's postings are the concatenation of its streams in run order.
///
/// Memory: one read buffer per run, the output buffers (1 MiB each, flushed as they fill), and
/// the arrays of one term at a time (`PostingsEncoder` takes a whole term): 4 bytes per
/// document and per position of the largest term, plus its encoded bytes. That last part is
/// the one piece outside the budget that grows with the data (see IndexWriter's memory notes).
/// The sources' current keys in a heap: `nextGroup()` gives the smallest key and every source
/// at it, in source (= doc) order; `advance(_:)` moves those sources on.
struct MergeQueue {
    struct Group {
        var key: [UInt8]
        var indexes: [Int]
    }
    private let sources: [MergeSource]
    /// Heap of source indexes ordered by (key, source index).
    private var heap: [Int] = []

    init(sources: [MergeSource]) {
        self.sources = sources
        for index in sources.indices where !sources[index].key.isEmpty { push(index) }
    }

    mutating func nextGroup() throws -> Group? {
        guard !heap.isEmpty else { return nil }
        let first = pop()
        var group = Group(key: sources[first].key, indexes: [first])
        while let next = heap.first, sources[next].key == group.key { group.indexes.append(pop()) }
        group.indexes.sort()
        return group
    }

    /// Moves the group's sources to their next keys (after their postings were read).
    mutating func advance(_ group: Group) throws {
        for index in group.indexes {
            try sources[index].advance()
            if !sources[index].key.isEmpty { push(index) }
        }
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        let x = sources[a].key, y = sources[b].key
        if x == y { return a < b }
        return x.lexicographicallyPrecedes(y)
    }

    private mutating func push(_ index: Int) {
        heap.append(index)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() -> Int {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count && less(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count && less(heap[right], heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}

struct PostingsMerger {
    private let sources: [MergeSource]
    private var queue: MergeQueue

    init(sources: [MergeSource]) {
        self.sources = sources
        queue = MergeQueue(sources: sources)
    }

    /// Writes every term. `lengths[field]` are the field's document lengths.
    ///
    /// This thread merges and decodes terms into chunks of about `chunkPositionCount` positions;
    /// `encoderThreads` threads encode chunks (PostingsEncoder, the costly part); this thread
    /// writes them in chunk order, so the files are the same whatever the thread count.
    mutating func run(lengths: [[UInt32]], postingsFile: FramedFileWriter, positionsFile: FramedFileWriter,
                      termsFile: FramedFileWriter, dictionary: inout TermDictionaryWriter,
                      encoderThreads: Int, chunkPositionCount: Int) throws {
        let output = TermChunkWriter(encoderThreads: encoderThreads, lengths: lengths, postingsFile: postingsFile,
                                     positionsFile: positionsFile, termsFile: termsFile, dictionary: dictionary)
        defer { output.stop() }
        var chunk = output.newChunk()
        var stream: [UInt8] = []
        while let group = try queue.nextGroup() {
            let key = group.key
            let field = Int(key[0])
            guard field < lengths.count else { throw IndexError(.corrupt, "temporary run: unknown field \(field)") }
            var term = EncodeChunk.Term(key: key)
            let docCount = group.indexes.reduce(0) { $0 + sources[$1].docFreq }
            let positionCount = group.indexes.reduce(0) { $0 + sources[$1].positionCount }
            // A term larger than a chunk is alone in memory: the chunks before it are written
            // first, and it is written before the next term is decoded. So the merge holds at
            // most one large term (the documented part of the peak outside the budget).
            let isLarge = docCount + positionCount >= chunkPositionCount
            if isLarge {
                if !chunk.terms.isEmpty {
                    try output.submit(chunk)
                    chunk = output.newChunk()
                }
                try output.writeAll()
            }
            term.docIDs.reserveCapacity(docCount)
            term.termFrequencies.reserveCapacity(docCount)
            term.positions.reserveCapacity(positionCount)
            for index in group.indexes {
                stream.removeAll(keepingCapacity: true)
                try sources[index].appendPostings(into: &stream)
                try decode(stream, docFreq: sources[index].docFreq, key: key,
                           docIDs: &term.docIDs, termFrequencies: &term.termFrequencies, positions: &term.positions)
            }
            try queue.advance(group)
            if let last = term.docIDs.last, Int(last) >= lengths[field].count {
                throw IndexError(.corrupt, "temporary run: doc \(last) past the \(lengths[field].count) documents")
            }
            guard term.positions.count == positionCount else {
                throw IndexError(.corrupt, "temporary run: \(term.positions.count) positions where \(positionCount) were counted")
            }
            chunk.append(term)
            if isLarge || chunk.positionCount + chunk.docCount >= chunkPositionCount || chunk.terms.count >= 4096 {
                try output.submit(chunk)
                chunk = output.newChunk()
                if isLarge { try output.writeAll() }
            }
        }
        if !chunk.terms.isEmpty { try output.submit(chunk) }
        dictionary = try output.finish()
    }

    /// Appends one stream's postings (absolute first doc id) to the term's arrays.
    private func decode(_ stream: [UInt8], docFreq: Int, key: [UInt8], docIDs: inout [UInt32],
                        termFrequencies: inout [UInt32], positions: inout [UInt32]) throws {
        let ok = stream.withUnsafeBufferPointer { bytes -> Bool in
            var offset = 0
            let end = bytes.count
            @inline(__always) func varint() -> UInt32? {
                var result: UInt32 = 0
                var shift: UInt32 = 0
                while offset < end {
                    let byte = bytes[offset]
                    offset += 1
                    result |= UInt32(byte & 0x7F) << shift
                    if byte < 0x80 { return result }
                    shift += 7
                    if shift > 28 { return nil }
                }
                return nil
            }
            var doc: UInt32 = 0
            var first = true
            let previousLast = docIDs.last
            for _ in 0..<docFreq {
                guard let delta = varint(), let tf = varint(), tf > 0 else { return false }
                doc = first ? delta : doc &+ delta
                if first, let previousLast, doc <= previousLast { return false }
                if !first && delta == 0 { return false }
                first = false
                docIDs.append(doc)
                termFrequencies.append(tf)
                var position: UInt32 = 0
                for _ in 0..<tf {
                    guard let delta = varint() else { return false }
                    position &+= delta
                    positions.append(position)
                }
            }
            return offset == end
        }
        guard ok else {
            throw IndexError(.corrupt, "temporary run: postings of key \(String(decoding: key.dropFirst(), as: UTF8.self)) do not decode (was a run file changed while indexing?)")
        }
    }
}

/// Terms decoded by the merge, then their encoded bytes.
final class EncodeChunk {
    struct Term {
        var key: [UInt8]
        var docIDs: [UInt32] = []
        var termFrequencies: [UInt32] = []
        var positions: [UInt32] = []
    }
    let sequence: Int
    var terms: [Term] = []
    /// Positions and documents in `terms` (the chunk's size).
    var positionCount = 0
    var docCount = 0
    // After encoding (terms is emptied):
    var keys: [[UInt8]] = []
    var docFreqs: [Int] = []
    var postingsStarts: [Int] = []
    var positionsStarts: [Int] = []
    var postings = ByteWriter()
    var positions = ByteWriter()
    var error: Error?

    init(sequence: Int) {
        self.sequence = sequence
    }

    /// Adds a decoded term (doc ids increasing and inside the lengths the chunk is encoded with).
    func append(_ term: Term) {
        positionCount += term.positions.count
        docCount += term.docIDs.count
        terms.append(term)
    }

    func encode(lengths: [[UInt32]]) {
        // Worst-case sizes (a varint of a u32 takes at most 5 bytes; a posting at most 8 bytes of
        // packed doc delta and tf, plus a 20-byte skip entry per 128): reserved once, so the
        // buffers never grow by doubling, and the pages never written are never resident.
        postings = ByteWriter(capacity: docCount * 9 + terms.count * 64)
        positions = ByteWriter(capacity: positionCount * 5)
        for term in terms {
            let field = Int(term.key[0])
            keys.append(term.key)
            docFreqs.append(term.docIDs.count)
            postingsStarts.append(postings.count)
            positionsStarts.append(positions.count)
            lengths[field].withUnsafeBufferPointer { lengthsOfField in
                // Safe: the merge checked the term's last (largest) doc id against the field's lengths.
                PostingsEncoder.encode(docIDs: term.docIDs, termFrequencies: term.termFrequencies, positions: term.positions,
                                       fieldLength: { lengthsOfField[Int($0)] },
                                       postings: &postings, positionsOut: &positions)
            }
        }
        terms = []
    }
}

/// Threads that encode chunks; results are taken back by sequence number.
final class EncoderPool {
    let inFlightLimit: Int
    private let lengths: [[UInt32]]
    private let condition = NSCondition()
    private var waiting: [EncodeChunk] = []
    private var done: [Int: EncodeChunk] = [:]
    private var stopped = false
    private let group = DispatchGroup()
    private let threads: Int

    init(threads: Int, lengths: [[UInt32]]) {
        self.threads = threads
        self.lengths = lengths
        inFlightLimit = threads + 2
        for index in 0..<threads {
            group.enter()
            let thread = Thread { [self] in
                work()
                group.leave()
            }
            thread.name = "quarry-encode-\(index)"
            thread.start()
        }
    }

    func submit(_ chunk: EncodeChunk) {
        if threads == 0 {
            chunk.encode(lengths: lengths)
            condition.lock(); done[chunk.sequence] = chunk; condition.unlock()
            return
        }
        condition.lock()
        waiting.append(chunk)
        condition.broadcast()
        condition.unlock()
    }

    func take(_ sequence: Int) -> EncodeChunk {
        condition.lock()
        defer { condition.unlock() }
        while done[sequence] == nil { condition.wait() }
        return done.removeValue(forKey: sequence)!
    }

    private func work() {
        while true {
            condition.lock()
            while waiting.isEmpty && !stopped { condition.wait() }
            if waiting.isEmpty {
                condition.unlock()
                return
            }
            let chunk = waiting.removeFirst()
            condition.unlock()
            chunk.encode(lengths: lengths)
            condition.lock()
            done[chunk.sequence] = chunk
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Lets the threads finish (after the last `take`, or on an error) and waits for them.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        group.wait()
    }
}

/// The output side of a merge or a rewrite: hands chunks of decoded terms to `EncoderPool`
/// threads and writes the encoded chunks, in the order they were submitted, to the postings,
/// positions and terms files (so the bytes are the same whatever the thread count). At most
/// `inFlightLimit` chunks wait encoded or unencoded at once.
final class TermChunkWriter {
    private let encoders: EncoderPool
    private let postingsFile: FramedFileWriter
    private let positionsFile: FramedFileWriter
    private let termsFile: FramedFileWriter
    private var dictionary: TermDictionaryWriter
    private var submitted = 0
    private var written = 0

    init(encoderThreads: Int, lengths: [[UInt32]], postingsFile: FramedFileWriter, positionsFile: FramedFileWriter,
         termsFile: FramedFileWriter, dictionary: TermDictionaryWriter = TermDictionaryWriter()) {
        encoders = EncoderPool(threads: encoderThreads, lengths: lengths)
        self.postingsFile = postingsFile
        self.positionsFile = positionsFile
        self.termsFile = termsFile
        self.dictionary = dictionary
    }

    /// An empty chunk numbered to be submitted next.
    func newChunk() -> EncodeChunk { EncodeChunk(sequence: submitted) }

    /// Queues `chunk` (from `newChunk()`, terms in key order) for encoding; writes the oldest
    /// chunk when too many are in flight.
    func submit(_ chunk: EncodeChunk) throws {
        precondition(chunk.sequence == submitted, "chunks are submitted in the order they were made")
        encoders.submit(chunk)
        submitted += 1
        if submitted - written > encoders.inFlightLimit { try writeNext() }
    }

    /// Writes every chunk submitted so far (waits for their encoding).
    func writeAll() throws {
        while written < submitted { try writeNext() }
    }

    /// Writes the rest and the dictionary's tail; returns the dictionary (for its term count).
    func finish() throws -> TermDictionaryWriter {
        try writeAll()
        try termsFile.write(dictionary.finish())
        return dictionary
    }

    /// Lets the encoder threads end (after `finish`, or on an error) and waits for them.
    func stop() { encoders.stop() }

    private func writeNext() throws {
        let chunk = encoders.take(written)
        written += 1
        if let error = chunk.error { throw error }
        let postingsBase = UInt64(postingsFile.offset), positionsBase = UInt64(positionsFile.offset)
        for i in chunk.keys.indices {
            dictionary.add(key: chunk.keys[i],
                           info: TermPostingsInfo(docFreq: chunk.docFreqs[i],
                                                  postingsOffset: postingsBase + UInt64(chunk.postingsStarts[i]),
                                                  positionsOffset: positionsBase + UInt64(chunk.positionsStarts[i])))
        }
        try postingsFile.write(chunk.postings.bytes)
        try positionsFile.write(chunk.positions.bytes)
        try termsFile.write(dictionary.takeCompletedBytes())
    }
}
