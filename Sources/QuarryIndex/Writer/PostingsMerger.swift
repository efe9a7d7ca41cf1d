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
    /// Returns the number of terms written.
    mutating func run(lengths: [[UInt32]], postingsFile: FramedFileWriter, positionsFile: FramedFileWriter,
                      termsFile: FramedFileWriter, dictionary: inout TermDictionaryWriter) throws {
        var postingsBuffer = ByteWriter(capacity: 1 << 20)
        var positionsBuffer = ByteWriter(capacity: 1 << 20)
        var stream: [UInt8] = []
        var docIDs: [UInt32] = []
        var termFrequencies: [UInt32] = []
        var positions: [UInt32] = []
        var key: [UInt8] = []
        while let group = try queue.nextGroup() {
            key = group.key
            docIDs.removeAll(keepingCapacity: true)
            termFrequencies.removeAll(keepingCapacity: true)
            positions.removeAll(keepingCapacity: true)
            for index in group.indexes {
                stream.removeAll(keepingCapacity: true)
                try sources[index].appendPostings(into: &stream)
                try decode(stream, docFreq: sources[index].docFreq, key: key,
                           docIDs: &docIDs, termFrequencies: &termFrequencies, positions: &positions)
            }
            try queue.advance(group)
            let field = Int(key[0])
            guard field < lengths.count else { throw IndexError(.corrupt, "temporary run: unknown field \(field)") }
            let fieldLengths = lengths[field]
            let info = TermPostingsInfo(docFreq: docIDs.count,
                                        postingsOffset: UInt64(postingsFile.offset + postingsBuffer.count),
                                        positionsOffset: UInt64(positionsFile.offset + positionsBuffer.count))
            try fieldLengths.withUnsafeBufferPointer { lengthsOfField in
                let count = lengthsOfField.count
                for doc in docIDs.suffix(1) where Int(doc) >= count {
                    throw IndexError(.corrupt, "temporary run: doc \(doc) past the \(count) documents")
                }
                PostingsEncoder.encode(docIDs: docIDs, termFrequencies: termFrequencies, positions: positions,
                                       fieldLength: { lengthsOfField[Int($0)] },
                                       postings: &postingsBuffer, positionsOut: &positionsBuffer)
            }
            dictionary.add(key: key, info: info)
            if postingsBuffer.count >= 1 << 20 { try postingsFile.write(postingsBuffer.bytes); postingsBuffer.removeAll() }
            if positionsBuffer.count >= 1 << 20 { try positionsFile.write(positionsBuffer.bytes); positionsBuffer.removeAll() }
            if dictionary.termCount % 4096 == 0 { try termsFile.write(dictionary.takeCompletedBytes()) }
        }
        try postingsFile.write(postingsBuffer.bytes)
        try positionsFile.write(positionsBuffer.bytes)
        try termsFile.write(dictionary.finish())
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
