#if canImport(Glibc)
import Glibc
#endif

/// The term dictionary: the "terms" file.
///
///     TermsFile  --> Header "QRYT", TermBlock^BlockCount, BlockIndex, IndexOffset u64le, Footer
///     TermBlock  --> TermCount u8, TermEntry^TermCount
///     TermEntry  --> SharedPrefix varint, SuffixLength varint, Suffix bytes,
///                    DocFreq varint, PostingsOffset varint, PositionsOffset varint
///     BlockIndex --> BlockCount u32le, TermCount u64le, BlockOffset u64le^BlockCount,
///                    FirstKeyStart u32le^(BlockCount + 1), FirstKeyBytes
///
/// Field notes:
/// - A key is one field id byte followed by the term's UTF-8 bytes; keys are sorted bytewise,
///   so all terms of one field are contiguous and a prefix query is one range scan.
/// - Up to `blockTermCount` (16) terms per block. The first entry of a block has SharedPrefix 0
///   and absolute offsets; later entries share a prefix with the previous key and store their
///   postings and positions offsets as differences to the previous entry's.
/// - The block index (loaded at open, a few bytes per 16 terms) holds each block's offset
///   (from the start of the file) and first key, for a binary search to the one block to scan.
///
/// Example: keys "\u{1}cat" (3 docs, postings 16, positions 16) and "\u{1}cats" (1 doc,
/// postings 40, positions 31) in one block: `02 | 00 04 01 63 61 74 03 10 10 | 04 01 73 01 18 0F`.
public enum TermDictionaryFormat {
    public static let magic = "QRYT"
    /// Terms per block: a lookup scans at most 15 entries after its binary search. (64 made the
    /// entry scan ~15% of a typical query's instructions; readers accept any count up to 255,
    /// so indexes written with 64 still open.)
    public static let blockTermCount = 16
    /// Longest key in bytes (field byte + term), far above the analyzer's token limit.
    public static let maxKeyByteCount = 4096
}

/// Builds the terms file body from keys added in sorted order.
public struct TermDictionaryWriter {
    private var body = ByteWriter()
    private var blockOffsets: [UInt64] = []
    private var firstKeys = ByteWriter()
    private var firstKeyStarts: [UInt32] = []
    private var termsInBlock = 0
    private var blockCountOffset = 0
    private var previousKey: [UInt8] = []
    private var previousInfo = TermPostingsInfo(docFreq: 0, postingsOffset: 0, positionsOffset: 0)
    /// Body bytes already handed out by `takeCompletedBytes()`.
    private var drainedByteCount = 0
    /// Terms added so far.
    public private(set) var termCount = 0

    public init() {}

    /// Adds `key` (strictly greater than the previous key) with its postings info.
    public mutating func add(key: [UInt8], info: TermPostingsInfo) {
        precondition(key.count <= TermDictionaryFormat.maxKeyByteCount)
        precondition(termCount == 0 || previousKey.lexicographicallyPrecedes(key),
                     "terms must be added in strictly increasing order")
        if termsInBlock == TermDictionaryFormat.blockTermCount { closeBlock() }
        if termsInBlock == 0 {
            blockOffsets.append(UInt64(FileFrame.headerByteCount + drainedByteCount + body.count))
            firstKeyStarts.append(UInt32(firstKeys.count))
            firstKeys.append(contentsOf: key)
            blockCountOffset = body.count
            body.append(0) // patched by closeBlock
            body.appendVarInt(0)
            body.appendVarInt(key.count)
            body.append(contentsOf: key)
            body.appendVarInt(info.docFreq)
            body.appendVarInt(info.postingsOffset)
            body.appendVarInt(info.positionsOffset)
        } else {
            var shared = 0
            let limit = min(key.count, previousKey.count)
            while shared < limit && key[shared] == previousKey[shared] { shared += 1 }
            body.appendVarInt(shared)
            body.appendVarInt(key.count - shared)
            body.append(contentsOf: key[shared...])
            body.appendVarInt(info.docFreq)
            body.appendVarInt(info.postingsOffset - previousInfo.postingsOffset)
            body.appendVarInt(info.positionsOffset - previousInfo.positionsOffset)
        }
        termsInBlock += 1
        termCount += 1
        previousKey = key
        previousInfo = info
    }

    private mutating func closeBlock() {
        body.patchByte(UInt8(termsInBlock), at: blockCountOffset)
        termsInBlock = 0
    }

    /// Hands out the body bytes of every closed block (to write them now), so that the writer
    /// holds only the open block and the block index: memory no longer grows with the vocabulary.
    /// The bytes returned across calls, then `finish()`'s, concatenate to the same body.
    public mutating func takeCompletedBytes() -> [UInt8] {
        let end = termsInBlock > 0 ? blockCountOffset : body.count
        guard end > 0 else { return [] }
        let completed = Array(body.bytes[0..<end])
        let open = Array(body.bytes[end...])
        body.removeAll(keepingCapacity: true)
        body.append(contentsOf: open)
        drainedByteCount += end
        blockCountOffset -= end
        return completed
    }

    /// The rest of the body (blocks not yet taken, block index, index offset); the whole body
    /// when `takeCompletedBytes()` was never called.
    public mutating func finish() -> [UInt8] {
        if termsInBlock > 0 { closeBlock() }
        let indexOffset = UInt64(FileFrame.headerByteCount + drainedByteCount + body.count)
        body.appendUInt32(UInt32(blockOffsets.count))
        body.appendUInt64(UInt64(termCount))
        for offset in blockOffsets { body.appendUInt64(offset) }
        firstKeyStarts.append(UInt32(firstKeys.count))
        for start in firstKeyStarts { body.appendUInt32(start) }
        body.append(contentsOf: firstKeys.bytes)
        body.appendUInt64(indexOffset)
        return body.bytes
    }
}

/// Reads a mapped terms file: exact lookup and ordered range scans.
///
/// - Warning: borrows the mapped bytes; the owner must outlive it.
public struct TermDictionary {
    private let file: UnsafeRawBufferPointer
    private let body: Range<Int>
    private let blockOffsets: [Int]
    private let firstKeyStarts: [Int]
    private let firstKeysBase: Int
    /// Number of terms (all fields).
    public let termCount: Int

    /// Parses the block index of a verified terms file (`body` from `FileFrame.verify`).
    public init(file: UnsafeRawBufferPointer, body: Range<Int>) throws {
        self.file = file
        self.body = body
        let name = "terms"
        guard body.count >= 8 else { throw FormatError(.corrupt, file: name, offset: body.lowerBound, reason: "no block index") }
        var trailer = ByteReader(file, offset: body.upperBound - 8, file: name)
        let indexOffset = Int(clamping: try trailer.readUInt64())
        guard indexOffset >= body.lowerBound, indexOffset <= body.upperBound - 8 else {
            throw FormatError(.corrupt, file: name, offset: body.upperBound - 8, reason: "block index offset \(indexOffset) outside the body")
        }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: file[0..<(body.upperBound - 8)]), offset: indexOffset, file: name)
        let blockCount = Int(try reader.readUInt32())
        termCount = Int(clamping: try reader.readUInt64())
        guard blockCount <= reader.remaining / 12 else {
            throw FormatError(.corrupt, file: name, offset: indexOffset, reason: "block count \(blockCount) too large for the file")
        }
        var offsets: [Int] = []
        offsets.reserveCapacity(blockCount)
        var previous = body.lowerBound
        for _ in 0..<blockCount {
            let offset = Int(clamping: try reader.readUInt64())
            guard offset >= previous, offset < indexOffset else {
                throw FormatError(.corrupt, file: name, offset: reader.offset - 8, reason: "block offset \(offset) out of order or range")
            }
            offsets.append(offset)
            previous = offset
        }
        var starts: [Int] = []
        starts.reserveCapacity(blockCount + 1)
        for _ in 0...blockCount { starts.append(Int(try reader.readUInt32())) }
        firstKeysBase = reader.offset
        guard let last = starts.last, zip(starts, starts.dropFirst()).allSatisfy({ $0 <= $1 }),
              last <= reader.remaining else {
            throw FormatError(.corrupt, file: name, offset: reader.offset, reason: "first-key table inconsistent")
        }
        blockOffsets = offsets
        firstKeyStarts = starts
    }

    private func firstKey(_ block: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file[(firstKeysBase + firstKeyStarts[block])..<(firstKeysBase + firstKeyStarts[block + 1])])
    }

    private static func compare(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Int {
        let n = min(a.count, b.count)
        let order = n == 0 ? 0 : b.withUnsafeBytes { memcmp(a.baseAddress!, $0.baseAddress!, n) }
        if order != 0 { return order < 0 ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    /// Index of the last block whose first key is <= `key` (or 0).
    private func blockFor(_ key: [UInt8]) -> Int {
        var low = 0, high = blockOffsets.count - 1
        var answer = 0
        while low <= high {
            let mid = (low + high) / 2
            if Self.compare(firstKey(mid), key) <= 0 { answer = mid; low = mid + 1 } else { high = mid - 1 }
        }
        return answer
    }

    /// The postings info of `key`, or nil when absent.
    ///
    /// Scans the one block that can hold `key` without rebuilding keys: `matched` is the length
    /// of the common prefix of the previous entry's key and `key` (the previous key sorts
    /// before `key`). An entry sharing fewer bytes than that with its predecessor sorts after
    /// `key` (the scan stops: absent); one sharing more sorts before it (skipped unread); only
    /// an entry sharing exactly `matched` bytes has its suffix compared.
    public func lookup(_ key: [UInt8]) throws -> TermPostingsInfo? {
        guard !blockOffsets.isEmpty else { return nil }
        return try key.withUnsafeBufferPointer { target in
            var reader = ByteReader(file, offset: blockOffsets[blockFor(key)], file: "terms")
            let count = Int(try reader.readUInt8())
            var keyLength = 0
            var matched = 0
            var info = TermPostingsInfo(docFreq: 0, postingsOffset: 0, positionsOffset: 0)
            for entry in 0..<count {
                let (shared, suffix) = try Self.readEntry(&reader, keyLength: keyLength, first: entry == 0, info: &info)
                let suffixLength = suffix.count
                keyLength = shared + suffixLength
                if entry > 0 && shared < matched { return nil }    // sorts after `key`
                if entry > 0 && shared > matched { continue }      // sorts before `key`
                // Compare the suffix with key[matched...].
                var i = 0
                while i < suffixLength && matched + i < target.count && suffix[i] == target[matched + i] { i += 1 }
                if i == suffixLength && matched + i == target.count { return info }  // equal
                if i < suffixLength && (matched + i == target.count || suffix[i] > target[matched + i]) {
                    return nil  // this entry sorts after `key`
                }
                matched += i  // sorts before `key`; the common prefix grew by i
            }
            return nil
        }
    }

    /// Calls `body` for every key starting with `prefix`, in order, until it returns false.
    public func forEach(withPrefix prefix: [UInt8], _ body: ([UInt8], TermPostingsInfo) throws -> Bool) throws {
        guard !blockOffsets.isEmpty else { return }
        try scan(from: blockFor(prefix)) { key, info in
            if key.starts(with: prefix) { return try body(key, info) }
            return key.lexicographicallyPrecedes(prefix)  // before the range: keep going; after: stop
        }
    }

    /// Reads one TermEntry: its shared-prefix length (at most `keyLength`, the previous key's),
    /// its suffix bytes, and — into `info` — its postings info (absolute for a block's `first`
    /// entry, otherwise offsets added to the previous entry's).
    private static func readEntry(_ reader: inout ByteReader, keyLength: Int, first: Bool,
                                  info: inout TermPostingsInfo) throws -> (shared: Int, suffix: UnsafeRawBufferPointer) {
        let shared = try reader.readVarInt(atMost: keyLength)
        let suffixLength = try reader.readVarInt(atMost: TermDictionaryFormat.maxKeyByteCount)
        let suffix = try reader.readBytes(suffixLength)
        let docFreq = try reader.readVarInt(atMost: Int(UInt32.max))
        let postings = try reader.readVarInt()
        let positions = try reader.readVarInt()
        if first {
            info = TermPostingsInfo(docFreq: docFreq, postingsOffset: postings, positionsOffset: positions)
        } else {
            info = TermPostingsInfo(docFreq: docFreq, postingsOffset: info.postingsOffset &+ postings,
                                    positionsOffset: info.positionsOffset &+ positions)
        }
        return (shared, suffix)
    }

    /// Decodes entries from `block` onwards until `body` returns false.
    private func scan(from block: Int, _ body: ([UInt8], TermPostingsInfo) throws -> Bool) throws {
        var key: [UInt8] = []
        key.reserveCapacity(64)
        for blockIndex in block..<blockOffsets.count {
            var reader = ByteReader(file, offset: blockOffsets[blockIndex], file: "terms")
            let count = Int(try reader.readUInt8())
            var info = TermPostingsInfo(docFreq: 0, postingsOffset: 0, positionsOffset: 0)
            for entry in 0..<count {
                let (shared, suffix) = try Self.readEntry(&reader, keyLength: key.count, first: entry == 0, info: &info)
                key.removeSubrange(shared...)
                key.append(contentsOf: suffix)
                if try !body(key, info) { return }
            }
        }
    }
}
