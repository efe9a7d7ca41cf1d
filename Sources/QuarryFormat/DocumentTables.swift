/// External ids: the "ids" file.
///
///     IDsFile --> Header "QRYI", IDBytes, IDOffset u64le^(DocCount + 1), DocCount u64le, Footer
///
/// IDBytes holds every document's external id (UTF-8) back to back in doc-id order; IDOffset[i]
/// is where id i starts, relative to the start of IDBytes, and IDOffset[DocCount] is its length.
/// Ids are uncompressed so that a query's top-k ids cost one slice each.
/// Example: ids "a", "bc": `61 62 63 | 00.. 01.. 03.. (u64le each) | 02 00 00 00 00 00 00 00`.
public enum IDsFormat {
    public static let magic = "QRYI"

    /// The body for `ids` (in doc-id order).
    public static func body(ids: [String]) -> [UInt8] {
        var bytes = ByteWriter()
        var offsets: [UInt64] = [0]
        offsets.reserveCapacity(ids.count + 1)
        for id in ids {
            bytes.append(contentsOf: id.utf8)
            offsets.append(UInt64(bytes.count))
        }
        for offset in offsets { bytes.appendUInt64(offset) }
        bytes.appendUInt64(UInt64(ids.count))
        return bytes.bytes
    }
}

/// Reads external ids from a mapped, verified ids file.
public struct IDsReader {
    private let file: UnsafeRawBufferPointer
    private let bytesBase: Int
    private let offsetsBase: Int
    /// Number of documents.
    public let docCount: Int

    public init(file: UnsafeRawBufferPointer, body: Range<Int>) throws {
        self.file = file
        var trailer = ByteReader(file, offset: body.upperBound - 8, file: "ids")
        let count = Int(clamping: try trailer.readUInt64())
        guard count < body.count / 8 else {
            throw FormatError(.corrupt, file: "ids", offset: body.upperBound - 8, reason: "document count \(count) too large for the file")
        }
        docCount = count
        bytesBase = body.lowerBound
        offsetsBase = body.upperBound - 8 - 8 * (count + 1)
        var previous: UInt64 = 0
        for i in 0...count {
            let offset = loadLE64(file.baseAddress!, offsetsBase + 8 * i)
            guard offset >= previous, Int(clamping: offset) <= offsetsBase - bytesBase else {
                throw FormatError(.corrupt, file: "ids", offset: offsetsBase + 8 * i, reason: "id offset \(offset) out of order or range")
            }
            previous = offset
        }
    }

    /// The external id of `docID` (must be < docCount).
    public func id(_ docID: UInt32) -> String {
        let i = Int(docID)
        // Safe: offsets were checked increasing and inside the id bytes at init.
        let start = Int(loadLE64(file.baseAddress!, offsetsBase + 8 * i))
        let end = Int(loadLE64(file.baseAddress!, offsetsBase + 8 * (i + 1)))
        return String(decoding: UnsafeRawBufferPointer(rebasing: file[(bytesBase + start)..<(bytesBase + end)]), as: UTF8.self)
    }
}

/// Per-field document lengths: the "norms" file.
///
///     NormsFile --> Header "QRYN", FieldCount u32le, DocCount u32le, (Length u32le^DocCount)^FieldCount, Footer
///
/// Length = tokens the analyzer produced for that field of that document (0 when absent).
/// Exact lengths (not quantized): BM25 here matches a naive implementation to the last bit.
/// Example: 2 fields, 2 docs, title lengths 3, 0 and body lengths 10, 7:
/// `02 00 00 00 02 00 00 00 | 03.. 00.. | 0A.. 07..`.
public enum NormsFormat {
    public static let magic = "QRYN"

    public static func body(lengths: [[UInt32]], docCount: Int) -> [UInt8] {
        var bytes = ByteWriter(capacity: 8 + lengths.count * docCount * 4)
        bytes.appendUInt32(UInt32(lengths.count))
        bytes.appendUInt32(UInt32(docCount))
        for field in lengths {
            precondition(field.count == docCount)
            for length in field { bytes.appendUInt32(length) }
        }
        return bytes.bytes
    }
}

/// Field lengths from a mapped, verified norms file.
public struct NormsReader {
    private let file: UnsafeRawBufferPointer
    private let base: Int
    public let fieldCount: Int
    public let docCount: Int

    public init(file: UnsafeRawBufferPointer, body: Range<Int>) throws {
        self.file = file
        var reader = ByteReader(file, offset: body.lowerBound, file: "norms")
        fieldCount = Int(try reader.readUInt32())
        docCount = Int(try reader.readUInt32())
        base = reader.offset
        guard fieldCount <= 255, base + fieldCount * docCount * 4 == body.upperBound else {
            throw FormatError(.corrupt, file: "norms", offset: body.lowerBound,
                              reason: "\(fieldCount) fields x \(docCount) docs do not fill the \(body.count)-byte body")
        }
    }

    /// Pointer to the `docCount` lengths of `field`. Safe: checked against the body at init.
    public func lengths(field: Int) -> UnsafePointer<UInt32>? {
        guard field < fieldCount, docCount > 0 else { return nil }
        return file.baseAddress!.advanced(by: base + field * docCount * 4).assumingMemoryBound(to: UInt32.self)
    }
}
