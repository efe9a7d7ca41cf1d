import CQuarrySIMD

/// A forward-only cursor over one term's posting list in a mapped postings file.
///
/// Decodes one 128-document block at a time into buffers owned by the cursor (allocated once,
/// at creation), skips whole blocks by their skip entries' last doc id without decoding them,
/// decodes a block's term frequencies only when one is asked for, and reads positions lazily
/// for the current document only. `docID == PostingCursor.end` once exhausted.
///
/// The hot members are `@inlinable` so that the query loops in QuarrySearch compile them inline.
///
/// Invariant: `docID` never decreases.
/// - Warning: the cursor borrows the mapped bytes; the generation that owns them must outlive it.
public final class PostingCursor {
    /// The doc id after the last document: "no more documents".
    public static let end = UInt32.max

    /// Documents in the list.
    public let docFreq: Int
    /// Number of 128-document blocks.
    public let blockCount: Int
    /// The current document, or `end`.
    @inlinable public var docID: UInt32 { currentDoc }
    @usableFromInline var currentDoc: UInt32 = 0
    /// Set when a block's bytes are impossible (only reachable when a file changed after its
    /// checksum was verified); the cursor then stops as if exhausted.
    public internal(set) var isCorrupt = false

    @usableFromInline let postings: UnsafeRawBufferPointer
    private let positionsFile: UnsafeRawBufferPointer
    @usableFromInline let skipBase: Int          // offset of the first skip entry
    private let blocksBase: Int        // offset of block 0
    private let positionsBase: Int     // offset of the term's first position byte
    private let postingsLimit: Int     // end of the postings body (footer excluded)
    private let positionsLimit: Int

    @usableFromInline let docs: UnsafeMutablePointer<UInt32>
    @usableFromInline let tfs: UnsafeMutablePointer<UInt32>
    /// Block currently decoded, or -1.
    @inlinable public var decodedBlock: Int { currentBlock }
    @usableFromInline var currentBlock = -1
    @usableFromInline var blockDocCount = 0
    @usableFromInline var indexInBlock = 0
    /// Where the current block's packed tfs start (decoded on demand), and their width.
    @usableFromInline var tfOffset = 0
    @usableFromInline var tfWidth = 0
    @usableFromInline var tfsDecoded = false
    @usableFromInline var singleFrequencyReads = 0
    @usableFromInline var singleBlockMaxTF: UInt32 = 0

    // Lazy positions state for the decoded block.
    private var positionsDocIndex = 0
    private var positionsOffset = 0
    /// Decoded positions of the current document (`currentPositions`), grown as needed.
    private var positionBuffer: UnsafeMutablePointer<UInt32> = .allocate(capacity: 64)
    private var positionCapacity = 64

    /// Opens a cursor on `info` (positioned on the first document).
    ///
    /// - Parameters:
    ///   - postings, positions: the whole mapped files (bodies checked at open).
    ///   - postingsBody, positionsBody: the body ranges (footer excluded) from `FileFrame.verify`.
    public init(info: TermPostingsInfo, postings: UnsafeRawBufferPointer, postingsBody: Range<Int>,
                positions: UnsafeRawBufferPointer, positionsBody: Range<Int>) throws {
        docFreq = info.docFreq
        blockCount = (info.docFreq + PostingsFormat.blockLength - 1) / PostingsFormat.blockLength
        self.postings = postings
        positionsFile = positions
        postingsLimit = postingsBody.upperBound
        positionsLimit = positionsBody.upperBound
        skipBase = Int(clamping: info.postingsOffset)
        blocksBase = skipBase + (blockCount > 1 ? blockCount * PostingsFormat.skipEntryByteCount : 0)
        positionsBase = Int(clamping: info.positionsOffset)
        docs = .allocate(capacity: PostingsFormat.blockLength)
        tfs = .allocate(capacity: PostingsFormat.blockLength)
        guard docFreq > 0, skipBase >= postingsBody.lowerBound, blocksBase + 2 <= postingsLimit,
              positionsBase >= positionsBody.lowerBound, positionsBase <= positionsLimit else {
            throw FormatError(.corrupt, file: "postings", offset: skipBase,
                              reason: "term postings at \(skipBase) (\(docFreq) docs) fall outside the file")
        }
        loadBlock(0)
        currentDoc = decodedBlock == 0 ? docs[0] : Self.end
        if blockCount == 1 && decodedBlock == 0 {
            decodeTermFrequencies()
            var maxTF: UInt32 = 0
            for i in 0..<blockDocCount { maxTF = max(maxTF, tfs[i]) }
            singleBlockMaxTF = maxTF
        }
    }

    deinit {
        docs.deallocate()
        tfs.deallocate()
        positionBuffer.deallocate()
    }

    // MARK: skip entries

    @inlinable @inline(__always) func skipField(_ block: Int, _ field: Int) -> UInt32 {
        // Safe: blockCount skip entries were inside the body (blocksBase + 2 <= postingsLimit).
        loadLE32(postings.baseAddress!, skipBase &+ block &* PostingsFormat.skipEntryByteCount &+ field &* 4)
    }

    /// Last doc id of `block` (for a single-block list, known once decoded).
    @inlinable @inline(__always) public func blockLastDocID(_ block: Int) -> UInt32 {
        if blockCount == 1 { return docs[blockDocCount &- 1] }
        return skipField(block, 0)
    }

    /// Highest tf in `block`.
    @inlinable @inline(__always) public func blockMaxTF(_ block: Int) -> UInt32 {
        if blockCount == 1 { return singleBlockMaxTF }
        return skipField(block, 3)
    }

    /// Shortest field length in `block` (0 = unknown, for single-block lists).
    @inlinable @inline(__always) public func blockMinFieldLength(_ block: Int) -> UInt32 {
        if blockCount == 1 { return 0 }
        return skipField(block, 4)
    }

    /// The block that holds the first document >= `target` (blockCount if none). Reads only skip
    /// entries: "shallow" advance for block-max algorithms. Never moves the cursor.
    @inlinable @inline(__always) public func block(containing target: UInt32) -> Int {
        var block = max(decodedBlock, 0)
        while block < blockCount && blockLastDocID(block) < target { block &+= 1 }
        return block
    }

    // MARK: decoding

    @usableFromInline func loadBlock(_ block: Int) {
        let start = block == 0 ? blocksBase : blocksBase + Int(skipField(block - 1, 1))
        guard start + 2 <= postingsLimit else { return markCorrupt() }
        let base = postings.baseAddress!
        let docWidth = Int(postings[start])
        let width = Int(postings[start + 1])
        let count = block == blockCount - 1 ? docFreq - block * PostingsFormat.blockLength : PostingsFormat.blockLength
        let full = count == PostingsFormat.blockLength
        let docBytes = full ? SIMDBitPacking.byteCount(width: docWidth) : BitPacking.byteCount(count: count, width: docWidth)
        let tfBytes = full ? SIMDBitPacking.byteCount(width: width) : BitPacking.byteCount(count: count, width: width)
        guard docWidth <= BitPacking.maxWidth, width <= BitPacking.maxWidth,
              start + 2 + docBytes + tfBytes <= postingsLimit else { return markCorrupt() }
        // Safe: the packed bytes end inside the body and the 16-byte footer follows it.
        let previous: UInt32 = block == 0 ? 0 : skipField(block - 1, 0)
        if full {
            SIMDBitPacking.unpackRunningSums(base + start + 2, width: docWidth, base: previous, into: docs)
        } else {
            BitPacking.unpack(base + start + 2, count: count, width: docWidth, into: docs)
            var sum = previous
            for i in 0..<count {
                sum &+= docs[i]
                docs[i] = sum
            }
        }
        tfOffset = start + 2 + docBytes
        tfWidth = width
        tfsDecoded = false
        singleFrequencyReads = 0
        currentBlock = block
        blockDocCount = count
        indexInBlock = 0
        positionsDocIndex = 0
        positionsOffset = positionsBase + (block == 0 ? 0 : Int(skipField(block, 2)))
    }

    /// Decodes the current block's term frequencies (on first use).
    @usableFromInline func decodeTermFrequencies() {
        let base = postings.baseAddress!
        if blockDocCount == PostingsFormat.blockLength {
            SIMDBitPacking.unpack(base + tfOffset, width: tfWidth, adding: 1, into: tfs)
        } else {
            BitPacking.unpack(base + tfOffset, count: blockDocCount, width: tfWidth, into: tfs)
            for i in 0..<blockDocCount { tfs[i] &+= 1 }
        }
        tfsDecoded = true
    }

    @usableFromInline func markCorrupt() {
        isCorrupt = true
        currentDoc = Self.end
        blockDocCount = 0
    }

    // MARK: iteration

    /// Term frequency in the current document.
    /// Until a block has been asked for `singleReadLimit` tfs, each is read straight from the
    /// packed bytes: a dense list probed once per block (a candidate of a rarer term) never
    /// decodes 128 tfs for one.
    @inlinable @inline(__always) public var termFrequency: UInt32 {
        if tfsDecoded { return tfs[indexInBlock] }
        return frequencyFromPackedBlock()
    }

    /// Single tf reads allowed per block before the whole block's tfs are decoded.
    @usableFromInline static let singleReadLimit = 3

    @usableFromInline func frequencyFromPackedBlock() -> UInt32 {
        singleFrequencyReads &+= 1
        if singleFrequencyReads > Self.singleReadLimit {
            decodeTermFrequencies()
            return tfs[indexInBlock]
        }
        // Safe: loadBlock checked that the block's packed tfs lie inside the body.
        let source = UnsafeRawPointer(postings.baseAddress! + tfOffset)
        let value = blockDocCount == PostingsFormat.blockLength
            ? SIMDBitPacking.value(at: indexInBlock, in: source, width: tfWidth)
            : BitPacking.value(at: indexInBlock, in: source, width: tfWidth)
        return value &+ 1
    }

    /// Moves to the next document; returns it (or `end`).
    @inlinable @inline(__always) @discardableResult
    public func next() -> UInt32 {
        if docID == Self.end { return Self.end }
        indexInBlock &+= 1
        if indexInBlock < blockDocCount {
            currentDoc = docs[indexInBlock]
            return docID
        }
        return nextBlock()
    }

    @usableFromInline func nextBlock() -> UInt32 {
        let nextBlock = decodedBlock + 1
        if nextBlock >= blockCount { currentDoc = Self.end; return docID }
        loadBlock(nextBlock)
        if isCorrupt { return Self.end }
        currentDoc = docs[0]
        return docID
    }

    /// Moves to the first document >= `target` (never backwards); returns it (or `end`).
    /// Skips whole blocks by their last doc id without decoding them.
    @inlinable @inline(__always) @discardableResult
    public func advance(toAtLeast target: UInt32) -> UInt32 {
        if docID >= target { return docID }
        // Inside the decoded block (dense lists, short hops): scan inline, no call. Stops at the
        // block's last doc at the latest, which is >= target. (blockDocCount > 0 here: a cursor
        // with an empty block is exhausted or corrupt, and docID == end returned above.)
        if target <= docs[blockDocCount &- 1] {
            var i = indexInBlock &+ 1
            if docs[i] < target {
                // Further than one step: a branchless lower bound over the rest of the block
                // (a linear scan's exit mispredicted on every hop of a sparse lead).
                // Safe: i + 1 < blockDocCount (docs[i] < target <= docs[last]).
                i = i &+ 1 &+ quarry_lower_bound(docs + (i &+ 1), blockDocCount &- i &- 1, target)
            }
            indexInBlock = i
            currentDoc = docs[i]
            return currentDoc
        }
        return advanceSlow(target)
    }

    @usableFromInline func advanceSlow(_ target: UInt32) -> UInt32 {
        if target == Self.end { currentDoc = Self.end; return docID }
        var i = indexInBlock
        if blockLastDocID(decodedBlock) < target {
            var block = decodedBlock + 1
            while block < blockCount && skipField(block, 0) < target { block += 1 }
            if block >= blockCount { currentDoc = Self.end; return docID }
            loadBlock(block)
            if isCorrupt { return Self.end }
            // A fresh block: binary search for the first doc >= target (docs are increasing).
            // Safe: a loaded block holds blockDocCount >= 1 docs.
            i = quarry_lower_bound(docs, blockDocCount, target)
        }
        while i < blockDocCount && docs[i] < target { i += 1 }
        if i == blockDocCount {
            // The skip entry promised a doc >= target in this block and the block has none:
            // the file changed after its checksum was verified.
            markCorrupt()
            return Self.end
        }
        indexInBlock = i
        currentDoc = docs[i]
        return docID
    }

    /// Puts the cursor on document `index` of its decoded block (at or after the current one).
    @inline(__always) private func place(at index: Int) {
        indexInBlock = index
        currentDoc = docs[index]
    }

    /// Moves `a` and `b` to the first document >= `target` that both contain; returns it, or
    /// `end` when there is none (one of them is then exhausted).
    ///
    /// Merges the two decoded blocks in one loop (branch-free steps, no call per document) and
    /// moves a cursor whose block ran out with `advance`, which skips blocks by their skip
    /// entries: two lists of similar length cost one merge step per posting instead of a
    /// leapfrog call per hop, and a short list against a long one still skips the long one's
    /// blocks. Both cursors must belong to the same index (doc ids comparable).
    public static func alignOnCommon(_ a: PostingCursor, _ b: PostingCursor, atLeast target: UInt32) -> UInt32 {
        var x = a.advance(toAtLeast: target)
        var y = b.advance(toAtLeast: x)
        while true {
            if x == end || y == end { return end }
            if x < y {
                x = a.advance(toAtLeast: y)
                continue
            }
            if x == y { return x }
            // Here x > y, both cursors inside decoded blocks. If the rest of b's block lies
            // below x, no merge: b jumps (by its skip entries) as in a leapfrog.
            let na = a.blockDocCount, nb = b.blockDocCount
            if b.docs[nb &- 1] < x {
                y = b.advance(toAtLeast: x)
                continue
            }
            // Otherwise merge the rest of both blocks.
            var ia = a.indexInBlock, ib = b.indexInBlock
            let pa = a.docs, pb = b.docs
            while ia < na && ib < nb {
                let u = pa[ia], v = pb[ib]
                if u == v {
                    a.place(at: ia)
                    b.place(at: ib)
                    return u
                }
                ia &+= u < v ? 1 : 0
                ib &+= v < u ? 1 : 0
            }
            // One block ran out; the other cursor stops at its first doc past it, and the one
            // that ran out moves on from its last doc (never backwards: the merge only advanced).
            if ia == na {
                b.place(at: ib)
                a.place(at: na &- 1)
                y = pb[ib]
                x = a.advance(toAtLeast: y)
            } else {
                a.place(at: ia)
                b.place(at: nb &- 1)
                x = pa[ia]
                y = b.advance(toAtLeast: x)
            }
        }
    }

    /// Decoded docs and tfs of the current block, for single-block bounds and bulk scoring.
    public func withCurrentBlock<R>(_ body: (UnsafeBufferPointer<UInt32>, UnsafeBufferPointer<UInt32>) -> R) -> R {
        if !tfsDecoded && blockDocCount > 0 { decodeTermFrequencies() }
        return body(UnsafeBufferPointer(start: docs, count: blockDocCount), UnsafeBufferPointer(start: tfs, count: blockDocCount))
    }

    // MARK: positions

    /// Appends the current document's positions to `into` (cleared first). Returns false if the
    /// positions bytes are impossible (corrupt), true otherwise.
    @discardableResult
    public func positions(into output: inout [UInt32]) -> Bool {
        output.removeAll(keepingCapacity: true)
        guard let decoded = currentPositions() else { return false }
        output.append(contentsOf: decoded)
        return true
    }

    /// The current document's positions, decoded into a buffer the cursor owns (valid until the
    /// cursor moves or this is called again); nil when the bytes are impossible (corrupt).
    /// No allocation unless a document has more positions than any before it.
    public func currentPositions() -> UnsafeBufferPointer<UInt32>? {
        currentPositions(upTo: UInt32.max)
    }

    /// The current document's positions up to the first one >= `limit` (included), for phrase
    /// checks that need no position beyond their last candidate: decoding stops there.
    public func currentPositions(upTo limit: UInt32) -> UnsafeBufferPointer<UInt32>? {
        let stopAt = limit
        guard docID != Self.end else { return UnsafeBufferPointer(start: positionBuffer, count: 0) }
        if !tfsDecoded { decodeTermFrequencies() }
        let base = positionsFile.baseAddress!
        var offset = positionsOffset
        let limit = positionsLimit
        // Skip the positions of earlier documents of this block: count varint terminators
        // (bytes below 0x80), eight bytes at a time while at least eight remain to be found.
        var remaining = 0
        var skipped = positionsDocIndex
        let wanted = indexInBlock
        let frequencies = UnsafeRawPointer(tfs)
        while skipped &+ 8 <= wanted {
            // Safe: skipped + 8 <= indexInBlock < blockDocCount <= 128 decoded tfs.
            remaining &+= Int(frequencies.loadUnaligned(fromByteOffset: skipped &* 4, as: SIMD8<UInt32>.self).wrappedSum())
            skipped &+= 8
        }
        while skipped < wanted {
            remaining &+= Int(tfs[skipped])
            skipped &+= 1
        }
        positionsDocIndex = wanted
        while remaining >= 8 && offset + 8 <= limit {
            // Safe: offset + 8 <= limit, inside the positions body.
            let word = loadLE64(base, offset)
            remaining -= 8 - (word & 0x8080_8080_8080_8080).nonzeroBitCount
            offset += 8
        }
        // Fewer than eight terminators left: find the remaining-th one in the next word by
        // clearing the lower terminator bits (no branch per byte).
        if remaining > 0 && offset + 8 <= limit {
            // Safe: offset + 8 <= limit, inside the positions body.
            var stops = ~loadLE64(base, offset) & 0x8080_8080_8080_8080
            if stops.nonzeroBitCount >= remaining {
                for _ in 1..<remaining { stops &= stops &- 1 }
                offset += (stops.trailingZeroBitCount &+ 1) &>> 3
                remaining = 0
            }
        }
        while remaining > 0 {
            guard offset < limit else { isCorrupt = true; return nil }
            if base.load(fromByteOffset: offset, as: UInt8.self) < 0x80 { remaining -= 1 }
            offset += 1
        }
        positionsOffset = offset
        let count = Int(tfs[indexInBlock])
        if count > positionCapacity {
            positionBuffer.deallocate()
            positionCapacity = max(count, positionCapacity * 2)
            positionBuffer = .allocate(capacity: positionCapacity)
        }
        let output = positionBuffer
        var position: UInt32 = 0
        var decoded = 0
        var i = 0
        while i < count {
            var value: UInt32
            if offset + 8 <= limit {
                // Safe: offset + 8 <= limit, inside the positions body.
                let word = loadLE64(base, offset)
                // Fast path: eight one-byte deltas (no continuation bit in the next 8 bytes).
                if count - i >= 8 && word & 0x8080_8080_8080_8080 == 0 && position < stopAt {
                    for lane in 0..<8 {
                        position &+= UInt32(truncatingIfNeeded: word &>> UInt64(8 * lane)) & 0x7F
                        output[i + lane] = position
                    }
                    offset += 8
                    i += 8
                    decoded = i
                    if position >= stopAt { break }
                    continue
                }
                // One varint of 1 to 4 bytes from the loaded word, without a branch on its length
                // (1- and 2-byte deltas alternate unpredictably); longer ones byte by byte.
                let low = UInt32(truncatingIfNeeded: word)
                let stops = ~low & 0x8080_8080
                if stops != 0 {
                    let length = (stops.trailingZeroBitCount &+ 1) &>> 3
                    let packed = (low & 0x7F) | ((low &>> 1) & 0x3F80) | ((low &>> 2) & 0x1F_C000) | ((low &>> 3) & 0xFE0_0000)
                    value = packed & ((1 &<< (7 &* UInt32(length))) &- 1)
                    offset += length
                } else {
                    guard let long = readVarInt(base, &offset, limit) else { isCorrupt = true; return nil }
                    value = long
                }
            } else {
                guard let tail = readVarInt(base, &offset, limit) else { isCorrupt = true; return nil }
                value = tail
            }
            position &+= value
            output[i] = position
            i += 1
            decoded = i
            if position >= stopAt { break }
        }
        return UnsafeBufferPointer(start: positionBuffer, count: decoded)
    }

    /// One varint (at most 5 bytes, 32 bits) at `offset`, byte by byte; nil when it runs past
    /// `limit` or is longer (corrupt).
    private func readVarInt(_ base: UnsafeRawPointer, _ offset: inout Int, _ limit: Int) -> UInt32? {
        var value: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            guard offset < limit, shift < 35 else { return nil }
            let byte = base.load(fromByteOffset: offset, as: UInt8.self)
            offset += 1
            value |= UInt32(byte & 0x7F) &<< shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }
}
