import CLZ4

/// Stored fields: the "stored" file (LZ4-compressed blocks of documents).
///
///     StoredFile  --> Header "QRYS", StoredBlock^BlockCount, BlockTable, TableOffset u64le, Footer
///     StoredBlock --> LZ4 block (liblz4 LZ4_compress_default) of RawBlock
///     RawBlock    --> StoredDoc^DocsInBlock
///     StoredDoc   --> FieldCount varint, StoredField^FieldCount
///     StoredField --> NameLength varint, Name bytes, ValueLength varint, Value bytes (UTF-8)
///     BlockTable  --> BlockCount u32le,
///                     (FirstDocID u32le, Offset u64le, CompressedLength u32le, RawLength u32le)^BlockCount
///
/// Field notes:
/// - Documents are appended in doc-id order; a block is closed once its raw bytes reach
///   `blockRawByteCount` (16 KiB: one or a few documents for a snippet read, and good LZ4
///   ratios). A document larger than that is a block of its own.
/// - Offset is from the start of the file. RawLength is the decompressed size, which the reader
///   passes to LZ4_decompress_safe as the exact output capacity (corrupt input cannot overrun).
///
/// Example: one block with doc 0 = {title: "Hi"} is raw `01 05 74 69 74 6C 65 02 48 69`
/// (10 bytes), compressed by LZ4 to 11 bytes; table `01 00 00 00 | 00 00 00 00 | 10 00.. | 0B 00 00 00 | 0A 00 00 00`.
public enum StoredFieldsFormat {
    public static let magic = "QRYS"
    /// Target raw bytes per block.
    public static let blockRawByteCount = 16 * 1024
    /// Largest raw block a reader accepts (a single huge document), to bound memory on corrupt input.
    public static let maxRawBlockByteCount = 1 << 30
}

/// One stored field value.
public struct StoredField: Equatable, Sendable {
    public var name: String
    public var value: String
    public init(name: String, value: String) { self.name = name; self.value = value }
}

/// Accumulates documents into raw blocks and hands back compressed blocks to write.
public struct StoredFieldsWriter {
    private var raw = ByteWriter(capacity: StoredFieldsFormat.blockRawByteCount * 2)
    private var blockFirstDoc: UInt32 = 0
    private var nextDoc: UInt32 = 0
    private var table = ByteWriter()
    private var blockCount = 0
    /// Where the next block will start in the file (the header comes first).
    private var fileOffset = UInt64(FileFrame.headerByteCount)
    /// Total raw (uncompressed) bytes, for the compression ratio.
    public private(set) var rawByteCount = 0
    /// Total compressed bytes.
    public private(set) var compressedByteCount = 0

    public init() {}

    /// Adds the next document's fields; returns a compressed block to append to the file when one closed.
    public mutating func add(_ fields: [StoredField]) -> [UInt8]? {
        raw.appendVarInt(fields.count)
        for field in fields {
            raw.appendVarInt(field.name.utf8.count)
            raw.append(contentsOf: field.name.utf8)
            raw.appendVarInt(field.value.utf8.count)
            raw.append(contentsOf: field.value.utf8)
        }
        nextDoc += 1
        return raw.count >= StoredFieldsFormat.blockRawByteCount ? closeBlock() : nil
    }

    private mutating func closeBlock() -> [UInt8] {
        let compressed = Self.compress(raw.bytes)
        table.appendUInt32(blockFirstDoc)
        table.appendUInt64(fileOffset)
        table.appendUInt32(UInt32(compressed.count))
        table.appendUInt32(UInt32(raw.count))
        blockCount += 1
        fileOffset += UInt64(compressed.count)
        rawByteCount += raw.count
        compressedByteCount += compressed.count
        raw.removeAll()
        blockFirstDoc = nextDoc
        return compressed
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
    private struct Block { var firstDoc: UInt32; var offset: Int; var compressed: Int; var raw: Int }
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
        guard count <= (body.upperBound - 8 - reader.offset) / 20 else {
            throw FormatError(.corrupt, file: name, offset: tableOffset, reason: "block count \(count) too large for the file")
        }
        var blocks: [Block] = []
        blocks.reserveCapacity(count)
        for _ in 0..<count {
            let block = Block(firstDoc: try reader.readUInt32(), offset: Int(clamping: try reader.readUInt64()),
                              compressed: Int(try reader.readUInt32()), raw: Int(try reader.readUInt32()))
            guard block.offset >= body.lowerBound, block.offset <= tableOffset,
                  block.compressed <= tableOffset - block.offset,
                  block.raw <= StoredFieldsFormat.maxRawBlockByteCount,
                  blocks.last.map({ $0.firstDoc < block.firstDoc }) ?? true else {
                throw FormatError(.corrupt, file: name, offset: reader.offset - 20, reason: "block table entry out of range or order")
            }
            blocks.append(block)
        }
        self.blocks = blocks
    }

    /// The stored fields of `docID`.
    public func document(_ docID: UInt32) throws -> [StoredField] {
        var low = 0, high = blocks.count - 1, index = -1
        while low <= high {
            let mid = (low + high) / 2
            if blocks[mid].firstDoc <= docID { index = mid; low = mid + 1 } else { high = mid - 1 }
        }
        guard index >= 0 else { throw FormatError(.corrupt, file: "stored", reason: "no block holds document \(docID)") }
        let block = blocks[index]
        var raw = [UInt8](repeating: 0, count: block.raw)
        let got = raw.withUnsafeMutableBytes { dst in
            LZ4_decompress_safe(file.baseAddress!.advanced(by: block.offset).assumingMemoryBound(to: CChar.self),
                                dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                                Int32(block.compressed), Int32(block.raw))
        }
        guard got == Int32(block.raw) else {
            throw FormatError(.corrupt, file: "stored", offset: block.offset, reason: "LZ4 block does not decompress to \(block.raw) bytes")
        }
        return try raw.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer, file: "stored")
            var doc = block.firstDoc
            while true {
                let fieldCount = try reader.readVarInt(atMost: 1 << 16)
                var fields: [StoredField] = []
                for _ in 0..<fieldCount {
                    let nameBytes = try reader.readBytes(try reader.readVarInt(atMost: reader.remaining))
                    let valueBytes = try reader.readBytes(try reader.readVarInt(atMost: reader.remaining))
                    if doc == docID {
                        fields.append(StoredField(name: String(decoding: nameBytes, as: UTF8.self),
                                                  value: String(decoding: valueBytes, as: UTF8.self)))
                    }
                }
                if doc == docID { return fields }
                doc += 1
            }
        }
    }
}
