import QuarryFormat
import QuarrySystem

/// Spilled runs: temporary files of sorted in-memory postings, merged into the final files at the
/// end of a build and then removed. Never published, never read by another process or version.
///
///     RunFile   --> Magic "QRUN", RunEntry^TermCount, EndMarker
///     RunEntry  --> KeyLength varint (> 0), Key bytes, DocFreq varint, PositionCount varint,
///                   LastDocID varint, ByteCount varint, Postings bytes (ByteCount of them)
///     EndMarker --> 00 (a KeyLength of 0)
///     Postings  --> (DocDelta varint, TF varint, PositionDelta varint^TF)^DocFreq
///
/// Field notes:
/// - Entries are in key byte order (the terms file's order); a key is the field byte + the term.
/// - Postings are the `PostingsPool` stream copied as is: DocDelta of the first posting is the
///   absolute doc id, so the runs of one build, written in doc order, concatenate per term.
/// - PositionCount is the sum of the term's tfs in the run: the merge sizes the term's arrays
///   exactly (no doubling growth for the largest terms, which set the merge's peak memory).
/// - LastDocID (the term's last document in this run) lets runs be merged into a bigger run
///   without decoding: the next run's stream is appended with its first DocDelta rewritten from
///   absolute to relative (`RunFile.merge`, used when there are more runs than the merge fan-in).
/// - Files are named `run-000001.tmp`… in the generation directory; a failed build removes the
///   whole generation directory, a crashed one is removed by the next build.
///
/// Example: run with "\u{1}cat" in doc 7 at positions 4, 9:
/// `51 52 55 4E | 04 01 63 61 74 01 02 07 04 07 02 04 05 | 00`.
enum RunFile {
    static let magic: [UInt8] = Array("QRUN".utf8)

    /// Writes the pool's terms in key order to `path` (no fsync: a temporary file).
    static func write(_ pool: PostingsPool, to path: String) throws {
        let output = try OutputFile(creating: path)
        var buffer = ByteWriter(capacity: 1 << 20)
        buffer.append(contentsOf: magic)
        var postings: [UInt8] = []
        for id in pool.sortedTermIDs() {
            let termID = Int(id)
            pool.withKey(termID) { key in
                buffer.appendVarInt(key.count)
                buffer.append(contentsOf: key)
            }
            postings.removeAll(keepingCapacity: true)
            pool.copyPostings(termID, into: &postings)
            buffer.appendVarInt(Int(pool.terms[termID].docFreq))
            buffer.appendVarInt(Int(pool.terms[termID].positionCount))
            buffer.appendVarInt(Int(pool.terms[termID].lastDocID))
            buffer.appendVarInt(postings.count)
            buffer.append(contentsOf: postings)
            if buffer.count >= 1 << 20 { try output.write(buffer.bytes); buffer.removeAll() }
        }
        buffer.append(0)
        try output.write(buffer.bytes)
        try output.closeWithoutSync()
    }
}

extension RunFile {
    /// Merges consecutive runs (in doc order) into one run file at `path`, without decoding
    /// postings: per key, the streams are concatenated, each one after the first with its
    /// absolute first doc id rewritten as a delta from the previous stream's LastDocID.
    static func merge(_ sources: [RunReader], to path: String) throws {
        let output = try OutputFile(creating: path)
        var buffer = ByteWriter(capacity: 1 << 20)
        buffer.append(contentsOf: magic)
        var merged: [UInt8] = []
        var stream: [UInt8] = []
        var queue = MergeQueue(sources: sources)
        while let group = try queue.nextGroup() {
            merged.removeAll(keepingCapacity: true)
            var docFreq = 0
            var positionCount = 0
            var lastDocID = 0
            for (n, index) in group.indexes.enumerated() {
                let source = sources[index]
                stream.removeAll(keepingCapacity: true)
                try source.appendPostings(into: &stream)
                if n == 0 {
                    merged.append(contentsOf: stream)
                } else {
                    // Rewrite the first DocDelta (absolute) as relative to the previous stream.
                    var offset = 0
                    var first = 0
                    var shift = 0
                    while offset < stream.count {
                        let byte = stream[offset]
                        offset += 1
                        first |= Int(byte & 0x7F) << shift
                        shift += 7
                        if byte < 0x80 { break }
                    }
                    guard first > lastDocID else {
                        throw IndexError(.corrupt, "temporary run \(source.path): doc \(first) not after \(lastDocID)")
                    }
                    var delta = ByteWriter(capacity: 5)
                    delta.appendVarInt(first - lastDocID)
                    merged.append(contentsOf: delta.bytes)
                    merged.append(contentsOf: stream[offset...])
                }
                docFreq += source.docFreq
                positionCount += source.positionCount
                lastDocID = source.lastDocID
            }
            buffer.appendVarInt(group.key.count)
            buffer.append(contentsOf: group.key)
            buffer.appendVarInt(docFreq)
            buffer.appendVarInt(positionCount)
            buffer.appendVarInt(lastDocID)
            buffer.appendVarInt(merged.count)
            buffer.append(contentsOf: merged)
            if buffer.count >= 1 << 20 { try output.write(buffer.bytes); buffer.removeAll() }
            try queue.advance(group)
        }
        buffer.append(0)
        try output.write(buffer.bytes)
        try output.closeWithoutSync()
    }
}

/// One input of the final merge: terms in key order, each with its postings stream.
protocol MergeSource: AnyObject {
    /// The current term's key; empty when the source is exhausted.
    var key: [UInt8] { get }
    var docFreq: Int { get }
    /// The current term's positions (sum of its tfs) in this source.
    var positionCount: Int { get }
    /// The current term's last doc id.
    var lastDocID: Int { get }
    /// Appends the current term's postings stream to `out`.
    func appendPostings(into out: inout [UInt8]) throws
    /// Moves to the next term (after `appendPostings`).
    func advance() throws
}

/// Reads a run file sequentially through a buffer of `bufferByteCount` bytes.
final class RunReader: MergeSource {
    let path: String
    private let file: InputFile
    private var buffer: [UInt8]
    private var position = 0
    private var limit = 0
    private var fileOffset = 0
    private(set) var key: [UInt8] = []
    private(set) var docFreq = 0
    private(set) var positionCount = 0
    private(set) var lastDocID = 0
    private var postingsByteCount = 0

    init(path: String, bufferByteCount: Int) throws {
        self.path = path
        file = try InputFile.open(path: path)
        buffer = [UInt8](repeating: 0, count: bufferByteCount)
        var magic: [UInt8] = []
        try readBytes(4, into: &magic)
        guard magic == RunFile.magic else { throw corrupt("magic is not QRUN") }
        try advance()
    }

    private func corrupt(_ reason: String) -> IndexError {
        IndexError(.corrupt, "temporary run file \(path) at byte \(fileOffset + position): \(reason) (was it changed while indexing?)")
    }

    private func refill() throws {
        fileOffset += limit
        position = 0
        limit = try buffer.withUnsafeMutableBytes { try file.read(into: $0) }
        if limit == 0 { throw corrupt("unexpected end of file") }
    }

    @inline(__always)
    private func readByte() throws -> UInt8 {
        if position == limit { try refill() }
        let byte = buffer[position]
        position += 1
        return byte
    }

    private func readVarInt() throws -> Int {
        var result = 0
        var shift = 0
        while true {
            let byte = try readByte()
            result |= Int(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 56 { throw corrupt("varint too long") }
        }
    }

    private func readBytes(_ count: Int, into out: inout [UInt8]) throws {
        var remaining = count
        while remaining > 0 {
            if position == limit { try refill() }
            let take = min(remaining, limit - position)
            out.append(contentsOf: buffer[position..<(position + take)])
            position += take
            remaining -= take
        }
    }

    func appendPostings(into out: inout [UInt8]) throws {
        try readBytes(postingsByteCount, into: &out)
        postingsByteCount = 0
    }

    func advance() throws {
        if postingsByteCount > 0 {
            var skipped: [UInt8] = []
            try readBytes(postingsByteCount, into: &skipped)
        }
        let keyLength = try readVarInt()
        key.removeAll(keepingCapacity: true)
        guard keyLength > 0 else { file.close(); return }
        guard keyLength <= 1 << 16 else { throw corrupt("key length \(keyLength)") }
        try readBytes(keyLength, into: &key)
        docFreq = try readVarInt()
        positionCount = try readVarInt()
        lastDocID = try readVarInt()
        postingsByteCount = try readVarInt()
    }
}

/// The in-memory pool as the last merge source (the run that was never spilled).
final class PoolSource: MergeSource {
    private let pool: PostingsPool
    private let order: [Int32]
    private var index = -1
    private(set) var key: [UInt8] = []
    private(set) var docFreq = 0
    private(set) var positionCount = 0
    private(set) var lastDocID = 0

    init(pool: PostingsPool) throws {
        self.pool = pool
        order = pool.sortedTermIDs()
        try advance()
    }

    func appendPostings(into out: inout [UInt8]) throws {
        pool.copyPostings(Int(order[index]), into: &out)
    }

    func advance() throws {
        index += 1
        key.removeAll(keepingCapacity: true)
        guard index < order.count else { return }
        let termID = Int(order[index])
        pool.withKey(termID) { key.append(contentsOf: $0) }
        docFreq = Int(pool.terms[termID].docFreq)
        positionCount = Int(pool.terms[termID].positionCount)
        lastDocID = Int(pool.terms[termID].lastDocID)
    }
}
