/// Posting lists and positions: the "postings" and "positions" files.
///
///     PostingsFile  --> Header "QRYP", TermPostings^TermCount, Footer
///     TermPostings  --> SkipEntry^BlockCount (only when BlockCount > 1), Block^BlockCount
///     SkipEntry     --> LastDocID u32le, BlockEnd u32le, PositionsStart u32le,
///                       MaxTF u32le, MinFieldLength u32le                     (20 bytes)
///     Block         --> DocWidth u8, TFWidth u8, Deltas, TFs
///     Deltas        --> PackedBlock128(DocWidth) of doc-id deltas     when n = 128
///                     | PackedInts(n, DocWidth) of doc-id deltas      when n < 128 (the last block)
///     TFs           --> PackedBlock128(TFWidth) of (tf - 1)  |  PackedInts(n, TFWidth) of (tf - 1)
///
///     PositionsFile --> Header "QRYX", TermPositions^TermCount, Footer
///     TermPositions --> DocPositions^DocFreq
///     DocPositions  --> VarInt^TF   (position deltas; the first is relative to 0)
///
/// Field notes:
/// - BlockCount = ceil(DocFreq / 128); every block holds 128 documents except the last.
/// - Full blocks use the 4-lane vertical layout of `SIMDBitPacking` (16 · width bytes, decoded
///   four values per instruction); the last, partial block uses the horizontal `BitPacking`
///   stream (no padding to 128 for the many short lists).
/// - Doc-id deltas: the first document of the term is stored as itself, every later one as the
///   difference to the previous document (so the first delta of block b is relative to the
///   last document of block b - 1, which is also that block's skip entry's LastDocID).
/// - BlockEnd: bytes from the start of block 0 to the end of this block. PositionsStart: bytes
///   from the term's first position byte to this block's first position byte.
/// - MaxTF and MinFieldLength are the block's score ingredients: BM25 rises with tf and falls
///   with the field length, so bm25(MaxTF, MinFieldLength) bounds every score in the block,
///   whatever k1 and b the daemon uses. Single-block terms carry no skip entry: a reader
///   decodes that one block and takes the bound from it.
/// - The term dictionary gives each term's DocFreq, its postings offset and positions offset.
///
/// Example: a term in docs 7 and 11 with tf 1 and 3 (one block, no skip entry): deltas 7, 4
/// need DocWidth 3 and pack to 7 | 4 << 3 = 0x27; tf - 1 = 0, 2 need TFWidth 2 and pack to
/// 0 | 2 << 2 = 0x08. Bytes: `03 02 27 08`. Its positions (say 4 in doc 7; 0, 5, 9 in doc 11): `04 | 00 05 04`.
public enum PostingsFormat {
    /// Documents per block: 128 = 4 x 32 SIMD lanes, the standard in PISA, Lucene and tantivy.
    public static let blockLength = 128
    /// Bytes in one skip entry.
    public static let skipEntryByteCount = 20
    public static let postingsMagic = "QRYP"
    public static let positionsMagic = "QRYX"
}

/// Where one term's data starts in the postings and positions files.
public struct TermPostingsInfo: Equatable, Sendable {
    /// Documents containing the term (in this field).
    public var docFreq: Int
    /// Offset of the term's `TermPostings` in the postings file.
    public var postingsOffset: UInt64
    /// Offset of the term's `TermPositions` in the positions file.
    public var positionsOffset: UInt64

    public init(docFreq: Int, postingsOffset: UInt64, positionsOffset: UInt64) {
        self.docFreq = docFreq
        self.postingsOffset = postingsOffset
        self.positionsOffset = positionsOffset
    }
}

/// Encodes one term's postings and positions (see `PostingsFormat`).
public enum PostingsEncoder {
    /// Appends the term's postings to `postings` and its positions to `positions`.
    ///
    /// - Parameters:
    ///   - docIDs: strictly increasing document ids.
    ///   - termFrequencies: tf per document (>= 1).
    ///   - positions: all positions, document by document (tf of them per document, increasing).
    ///   - fieldLength: the field's length in tokens for a document id.
    public static func encode(docIDs: [UInt32], termFrequencies: [UInt32], positions: [UInt32],
                              fieldLength: (UInt32) -> UInt32,
                              postings: inout ByteWriter, positionsOut: inout ByteWriter) {
        let docCount = docIDs.count
        precondition(docCount > 0 && termFrequencies.count == docCount)
        let blockLength = PostingsFormat.blockLength
        let blockCount = (docCount + blockLength - 1) / blockLength
        let positionsBase = positionsOut.count
        var skipEntries = ByteWriter(capacity: blockCount > 1 ? blockCount * PostingsFormat.skipEntryByteCount : 0)
        var blocks = ByteWriter()
        var deltas = [UInt32](repeating: 0, count: blockLength)
        var tfMinusOne = [UInt32](repeating: 0, count: blockLength)
        var previous: UInt32 = 0
        var positionIndex = 0
        for block in 0..<blockCount {
            let start = block * blockLength
            let end = min(start + blockLength, docCount)
            let count = end - start
            let positionsStart = positionsOut.count - positionsBase
            var maxDelta: UInt32 = 0, maxTFMinusOne: UInt32 = 0, minLength = UInt32.max
            for i in 0..<count {
                let doc = docIDs[start + i]
                let delta = doc &- previous
                previous = doc
                deltas[i] = delta
                maxDelta = max(maxDelta, delta)
                let tf = termFrequencies[start + i]
                tfMinusOne[i] = tf - 1
                maxTFMinusOne = max(maxTFMinusOne, tf - 1)
                minLength = min(minLength, fieldLength(doc))
                var last: UInt32 = 0
                for _ in 0..<Int(tf) {
                    let position = positions[positionIndex]
                    positionsOut.appendVarInt(UInt64(position - last))
                    last = position
                    positionIndex += 1
                }
            }
            let docWidth = BitPacking.width(of: maxDelta)
            let tfWidth = BitPacking.width(of: maxTFMinusOne)
            blocks.append(UInt8(docWidth))
            blocks.append(UInt8(tfWidth))
            if count == blockLength {
                deltas.withUnsafeBufferPointer { SIMDBitPacking.pack($0, width: docWidth, into: &blocks) }
                tfMinusOne.withUnsafeBufferPointer { SIMDBitPacking.pack($0, width: tfWidth, into: &blocks) }
            } else {
                deltas.withUnsafeBufferPointer { BitPacking.pack(UnsafeBufferPointer(rebasing: $0[0..<count]), width: docWidth, into: &blocks) }
                tfMinusOne.withUnsafeBufferPointer { BitPacking.pack(UnsafeBufferPointer(rebasing: $0[0..<count]), width: tfWidth, into: &blocks) }
            }
            if blockCount > 1 {
                skipEntries.appendUInt32(docIDs[end - 1])
                skipEntries.appendUInt32(UInt32(blocks.count))
                skipEntries.appendUInt32(UInt32(positionsStart))
                skipEntries.appendUInt32(maxTFMinusOne + 1)
                skipEntries.appendUInt32(minLength)
            }
        }
        postings.append(contentsOf: skipEntries.bytes)
        postings.append(contentsOf: blocks.bytes)
    }
}

/// Where a posting list's bytes go: doc-id deltas, term frequencies, skip entries, block headers.
public struct PostingsStatistics: Sendable {
    public var postings = 0
    public var docIDBits = 0
    public var frequencyBits = 0
    public var skipBytes = 0
    public var headerBytes = 0

    public init() {}

    /// Adds one term's list (read from its block headers; nothing is decoded).
    public mutating func add(_ info: TermPostingsInfo, postingsFile: UnsafeRawBufferPointer, body: Range<Int>) throws {
        let blockLength = PostingsFormat.blockLength
        let blockCount = (info.docFreq + blockLength - 1) / blockLength
        let skipBase = Int(clamping: info.postingsOffset)
        var offset = skipBase + (blockCount > 1 ? blockCount * PostingsFormat.skipEntryByteCount : 0)
        for block in 0..<blockCount {
            let count = block == blockCount - 1 ? info.docFreq - block * blockLength : blockLength
            guard offset + 2 <= body.upperBound else {
                throw FormatError(.corrupt, file: "postings", offset: offset, reason: "block header outside the body")
            }
            let docWidth = Int(postingsFile[offset]), tfWidth = Int(postingsFile[offset + 1])
            let docBytes = count == blockLength ? SIMDBitPacking.byteCount(width: docWidth) : BitPacking.byteCount(count: count, width: docWidth)
            let tfBytes = count == blockLength ? SIMDBitPacking.byteCount(width: tfWidth) : BitPacking.byteCount(count: count, width: tfWidth)
            docIDBits += docBytes * 8
            frequencyBits += tfBytes * 8
            headerBytes += 2
            offset += 2 + docBytes + tfBytes
        }
        if blockCount > 1 { skipBytes += blockCount * PostingsFormat.skipEntryByteCount }
        postings += info.docFreq
    }
}
