import CLZ4

/// Stored fields: the "stored" file (LZ4-compressed blocks of documents, each block prefixed by
/// where its documents end, so that one document is decompressed without the ones after it).
///
///     StoredFile  --> Header "QRYS", StoredBlock^BlockCount, BlockTable, TableOffset u64le, Footer
///     StoredBlock --> DocsInBlock u32le, DocRawEnd u32le^DocsInBlock, LZ4Data
///     LZ4Data     --> LZ4 block (liblz4 LZ4_compress_default) of RawBlock
///     RawBlock    --> StoredDoc^DocsInBlock
///     StoredDoc   --> FieldCount varint, StoredField^FieldCount
///     StoredField --> NameLength varint, Name bytes, ValueLength varint, Value bytes (UTF-8)
///     BlockTable  --> BlockCount u32le,
///                     (FirstDocID u32le, Offset u64le, StoredLength u32le, RawLength u32le)^BlockCount
///
/// Field notes:
/// - Documents are appended in doc-id order; a block is closed once its raw bytes reach
///   `blockRawByteCount`. A document larger than that is a block of its own.
/// - DocRawEnd[k]: the offset in RawBlock just past the block's k-th document; the document
///   starts at DocRawEnd[k - 1] (0 for the first). A reader decompresses only up to DocRawEnd[k]
///   (LZ4_decompress_safe_partial) and parses only that document.
/// - Offset is from the start of the file to the StoredBlock; StoredLength counts all of it
///   (the 4 + 4 x DocsInBlock header bytes and LZ4Data). RawLength is RawBlock's size, the
///   largest DocRawEnd. The reader checks every DocRawEnd against RawLength and passes the
///   bytes it wants as the exact output capacity, so corrupt input cannot overrun.
///
/// Example: one block with doc 0 = {title: "Hi"} is raw `01 05 74 69 74 6C 65 02 48 69`
/// (10 bytes), compressed by LZ4 to 11 bytes; the StoredBlock is `01 00 00 00 | 0A 00 00 00 |`
/// then the 11 LZ4 bytes (19 bytes at offset 16), and the table is
/// `01 00 00 00 | 00 00 00 00 | 10 00 00 00 00 00 00 00 | 13 00 00 00 | 0A 00 00 00`.
///
/// Format history: version 1 had no block header and a 16 KiB block; reading one document
/// decompressed its whole block (~5 µs, 10 hits a query). Version 2: 4 KiB blocks and the
/// header. Measured on the first 100k documents of the medium corpus (liblz4 1.9.4, this
/// machine), per document read: 16 KiB blocks 4.9 µs whole, 2.2 µs to the document's end;
/// 8 KiB 1.2 µs, ratio 2.00; 4 KiB 0.64 µs, ratio 1.86 (16 KiB: 2.11).
public enum StoredFieldsFormat {
    public static let magic = "QRYS"
    /// Target raw bytes per block: small, because a search reads ten documents from ten blocks
    /// (see the format history above).
    public static let blockRawByteCount = 4 * 1024
    /// Largest raw block a reader accepts (a single huge document), to bound memory on corrupt input.
    public static let maxRawBlockByteCount = 1 << 30
    /// Bytes of a block table entry.
    static let tableEntryByteCount = 20
}

/// One stored field value.
public struct StoredField: Equatable, Sendable {
    public var name: String
    public var value: String
    public init(name: String, value: String) { self.name = name; self.value = value }
}

/// Accumulates documents into raw blocks and hands back stored blocks to write.
public struct StoredFieldsWriter {
    private var raw = ByteWriter(capacity: StoredFieldsFormat.blockRawByteCount * 2)
    /// DocRawEnd of each document of the open block.
    private var docEnds: [UInt32] = []
    private var blockFirstDoc: UInt32 = 0
    private var nextDoc: UInt32 = 0
    private var table = ByteWriter()
    private var blockCount = 0
    /// Where the next block will start in the file (the header comes first).
    private var fileOffset = UInt64(FileFrame.headerByteCount)
    /// Total raw (uncompressed) bytes, for the compression ratio.
    public private(set) var rawByteCount = 0
    /// Total stored bytes of the blocks (headers and LZ4 data).
    public private(set) var compressedByteCount = 0

    public init() {}

    /// Adds the next document's fields; returns a stored block to append to the file when one closed.
    public mutating func add(_ fields: [StoredField]) -> [UInt8]? {
        raw.appendVarInt(fields.count)
        for field in fields {
            raw.appendVarInt(field.name.utf8.count)
            raw.append(contentsOf: field.name.utf8)
            raw.appendVarInt(field.value.utf8.count)
            raw.append(contentsOf: field.value.utf8)
        }
        docEnds.append(UInt32(raw.count))
        nextDoc += 1
        return raw.count >= StoredFieldsFormat.blockRawByteCount ? closeBlock() : nil
    }

    private mutating func closeBlock() -> [UInt8] {
        let compressed = Self.compress(raw.bytes)
        var block = ByteWriter(capacity: 4 + 4 * docEnds.count + compressed.count)
        block.appendUInt32(UInt32(docEnds.count))
        for end in docEnds { block.appendUInt32(end) }
        block.append(contentsOf: compressed)
        table.appendUInt32(blockFirstDoc)
        table.appendUInt64(fileOffset)
        table.appendUInt32(UInt32(block.count))
        table.appendUInt32(UInt32(raw.count))
        blockCount += 1
        fileOffset += UInt64(block.count)
        rawByteCount += raw.count
        compressedByteCount += block.count
        raw.removeAll()
        docEnds.removeAll(keepingCapacity: true)
        blockFirstDoc = nextDoc
        return block.bytes
    }

    /// Closes the last block; returns the remaining bytes of the body (last block, table, offset).
    public mutating func finish() -> [UInt8] {
        var tail: [UInt8] = []
        if raw.count > 0 { tail = closeBlock() }
        var end = ByteWriter()
        end.appendUInt32(UInt32(blockCount))
        end.append(contentsOf: table.bytes)
        end.appendUInt64(fileOffset)
        return tail + end.bytes
    }

    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        let bound = Int(LZ4_compressBound(Int32(bytes.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let written = bytes.withUnsafeBytes { src in
            output.withUnsafeMutableBytes { dst in
                LZ4_compress_default(src.baseAddress!.assumingMemoryBound(to: CChar.self),
                                     dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                                     Int32(bytes.count), Int32(bound))
            }
        }
        precondition(written > 0, "LZ4_compress_default failed on a \(bytes.count)-byte block")
        output.removeSubrange(Int(written)...)
        return output
    }
}

/// Reads documents from a mapped stored-fields file.
public struct StoredFieldsReader {
    private struct Block { var firstDoc: UInt32; var offset: Int; var storedLength: Int; var raw: Int }
    private let file: UnsafeRawBufferPointer
    private let blocks: [Block]

    /// Parses the block table of a verified file.
    public init(file: UnsafeRawBufferPointer, body: Range<Int>) throws {
        self.file = file
        let name = "stored"
        var trailer = ByteReader(file, offset: body.upperBound - 8, file: name)
        let tableOffset = Int(clamping: try trailer.readUInt64())
        guard tableOffset >= body.lowerBound, tableOffset <= body.upperBound - 12 else {
            throw FormatError(.corrupt, file: name, offset: body.upperBound - 8, reason: "block table offset \(tableOffset) outside the body")
        }
        var reader = ByteReader(file, offset: tableOffset, file: name)
        let count = Int(try reader.readUInt32())
        guard count <= (body.upperBound - 8 - reader.offset) / StoredFieldsFormat.tableEntryByteCount else {
            throw FormatError(.corrupt, file: name, offset: tableOffset, reason: "block count \(count) too large for the file")
        }
        var blocks: [Block] = []
        blocks.reserveCapacity(count)
        for _ in 0..<count {
            let block = Block(firstDoc: try reader.readUInt32(), offset: Int(clamping: try reader.readUInt64()),
                              storedLength: Int(try reader.readUInt32()), raw: Int(try reader.readUInt32()))
            guard block.offset >= body.lowerBound, block.offset <= tableOffset,
                  block.storedLength >= 4, block.storedLength <= tableOffset - block.offset,
                  block.raw <= StoredFieldsFormat.maxRawBlockByteCount,
                  blocks.last.map({ $0.firstDoc < block.firstDoc }) ?? true else {
                throw FormatError(.corrupt, file: name, offset: reader.offset - StoredFieldsFormat.tableEntryByteCount,
                                  reason: "block table entry out of range or order")
            }
            blocks.append(block)
        }
        self.blocks = blocks
    }

    /// The stored fields of `docID`, in the order they were added.
    public func document(_ docID: UInt32) throws -> [StoredField] {
        var low = 0, high = blocks.count - 1, index = -1
        while low <= high {
            let mid = (low + high) / 2
            if blocks[mid].firstDoc <= docID { index = mid; low = mid + 1 } else { high = mid - 1 }
        }
        guard index >= 0 else { throw FormatError(.corrupt, file: "stored", reason: "no block holds document \(docID)") }
        let block = blocks[index]
        // The block header: which raw bytes hold the document.
        var header = ByteReader(UnsafeRawBufferPointer(rebasing: file[block.offset..<(block.offset + block.storedLength)]), file: "stored")
        let docsInBlock = Int(try header.readUInt32())
        let position = Int(docID - block.firstDoc)
        guard position < docsInBlock, docsInBlock <= (block.storedLength - 4) / 4 else {
            throw FormatError(.corrupt, file: "stored", offset: block.offset,
                              reason: "block of \(docsInBlock) documents from \(block.firstDoc) does not hold document \(docID)")
        }
        let base = file.baseAddress! + block.offset + 4
        // Safe: position < docsInBlock, and the 4 x docsInBlock bytes lie within the block (checked above).
        let rawStart = position == 0 ? 0 : Int(loadLE32(base, 4 * (position - 1)))
        let rawEnd = Int(loadLE32(base, 4 * position))
        guard rawStart < rawEnd, rawEnd <= block.raw else {
            throw FormatError(.corrupt, file: "stored", offset: block.offset + 4 + 4 * position,
                              reason: "document \(docID) spans raw bytes \(rawStart)..<\(rawEnd), block has \(block.raw)")
        }
        let dataOffset = block.offset + 4 + 4 * docsInBlock
        let raw = try decompressPrefix(at: dataOffset, byteCount: block.offset + block.storedLength - dataOffset,
                                       rawByteCount: rawEnd)
        return try raw.withUnsafeBytes { buffer in
            var reader = ByteReader(UnsafeRawBufferPointer(rebasing: buffer[rawStart..<rawEnd]), file: "stored")
            let fieldCount = try reader.readVarInt(atMost: 1 << 16)
            var fields: [StoredField] = []
            fields.reserveCapacity(fieldCount)
            for _ in 0..<fieldCount {
                let nameBytes = try reader.readBytes(try reader.readVarInt(atMost: reader.remaining))
                let valueBytes = try reader.readBytes(try reader.readVarInt(atMost: reader.remaining))
                fields.append(StoredField(name: String(decoding: nameBytes, as: UTF8.self),
                                          value: String(decoding: valueBytes, as: UTF8.self)))
            }
            return fields
        }
    }

    /// The first `rawByteCount` bytes of the LZ4 data at `offset` (`byteCount` bytes long).
    private func decompressPrefix(at offset: Int, byteCount: Int, rawByteCount: Int) throws -> [UInt8] {
        var failed = false
        let raw = [UInt8](unsafeUninitializedCapacity: rawByteCount) { output, initialized in
            // Safe: the source range lies within the file (the block table was checked against
            // it), and LZ4 writes at most `rawByteCount` bytes, the output's capacity.
            let got = LZ4_decompress_safe_partial(
                file.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self),
                UnsafeMutableRawPointer(output.baseAddress!).assumingMemoryBound(to: CChar.self),
                Int32(byteCount), Int32(rawByteCount), Int32(rawByteCount))
            failed = got != Int32(rawByteCount)
            if failed { output.initialize(repeating: 0) }
            initialized = rawByteCount
        }
        guard !failed else {
            throw FormatError(.corrupt, file: "stored", offset: offset,
                              reason: "LZ4 block does not decompress to \(rawByteCount) bytes")
        }
        return raw
    }
}
