/// The frame every binary index file shares: a 16-byte header and a 16-byte footer.
///
///     IndexFile --> Header, Body, Footer
///     Header    --> Magic 4 bytes (e.g. "QRYP"), FormatVersion u32le, Generation u64le
///     Footer    --> FooterMagic "QEND", ChecksumKind u32le (1 = zlib CRC-32), Checksum u64le
///
/// The checksum covers every byte before the Checksum field (header, body, FooterMagic and
/// ChecksumKind); its upper 32 bits are zero. Readers verify it over the whole file at open,
/// so a flipped bit anywhere or a truncated file is reported with the file's name before any
/// query reads it. The 16-byte footer also guarantees that the bit-unpacking loads of up to 8
/// bytes past the end of a posting block stay inside the file.
///
/// Example: an empty "norms" body in generation 3 is
/// `51 52 59 4E | 02 00 00 00 | 03 00 00 00 00 00 00 00 | 51 45 4E 44 | 01 00 00 00 | crc32 (8 bytes)`.
public enum FileFrame {
    /// The on-disk format version this build writes and reads. 2: stored-field blocks carry
    /// their documents' ends and hold 4 KiB (StoredFields.swift); an index of version 1 is
    /// refused with "the index is older than this program" and must be rebuilt.
    public static let formatVersion: UInt32 = 2
    public static let headerByteCount = 16
    public static let footerByteCount = 16
    /// "QEND" as a little-endian u32.
    public static let footerMagic: UInt32 = 0x444E_4551

    /// The 16 header bytes for a file with `magic` (4 ASCII characters).
    public static func header(magic: String, generation: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: headerByteCount)
        let magicBytes = Array(magic.utf8)
        precondition(magicBytes.count == 4, "file magic must be 4 ASCII bytes")
        writer.append(contentsOf: magicBytes)
        writer.appendUInt32(formatVersion)
        writer.appendUInt64(generation)
        return writer.bytes
    }

    /// The first 8 footer bytes (magic and checksum kind), which the checksum covers.
    public static func footerPrefix() -> [UInt8] {
        var writer = ByteWriter(capacity: 8)
        writer.appendUInt32(footerMagic)
        writer.appendUInt32(Checksum.kindCRC32)
        return writer.bytes
    }

    /// The last 8 footer bytes: the checksum.
    public static func footerChecksum(_ crc: UInt32) -> [UInt8] {
        var writer = ByteWriter(capacity: 8)
        writer.appendUInt64(UInt64(crc))
        return writer.bytes
    }

    /// Frames a body held in memory: header + body + footer.
    public static func frame(magic: String, generation: UInt64, body: [UInt8]) -> [UInt8] {
        var bytes = header(magic: magic, generation: generation)
        bytes.append(contentsOf: body)
        bytes.append(contentsOf: footerPrefix())
        let crc = Checksum.crc32(bytes)
        bytes.append(contentsOf: footerChecksum(crc))
        return bytes
    }

    /// Bytes checksummed between two calls of `verify`'s `afterChecksumming` (64 MiB).
    public static let checksumChunkByteCount = 64 << 20

    /// Checks the header, footer and checksum of a whole file; returns the body's byte range.
    ///
    /// Throws `FormatError` naming `file`: truncated, wrong magic, other format version,
    /// other generation, or checksum mismatch (expected vs found).
    /// `afterChecksumming`, when given, is called with each range of `checksumChunkByteCount`
    /// bytes (offsets from the start of `bytes`) once the checksum has read it, in order.
    public static func verify(_ bytes: UnsafeRawBufferPointer, file: String, magic: String,
                              generation: UInt64, afterChecksumming: ((Range<Int>) -> Void)? = nil) throws -> Range<Int> {
        let minimum = headerByteCount + footerByteCount
        guard bytes.count >= minimum else {
            throw FormatError(.corrupt, file: file, offset: 0,
                              reason: "file is \(bytes.count) bytes, shorter than header + footer (\(minimum)); truncated")
        }
        var reader = ByteReader(bytes, file: file)
        let foundMagic = try reader.readBytes(4)
        guard Array(foundMagic) == Array(magic.utf8) else {
            throw FormatError(.corrupt, file: file, offset: 0,
                              reason: "magic is \(hex(Array(foundMagic))), expected \(magic)")
        }
        let version = try reader.readUInt32()
        guard version == formatVersion else {
            let side = version > formatVersion ? "this program is older than the index" : "the index is older than this program"
            throw FormatError(.version, file: file, offset: 4,
                              reason: "format version \(version), this program reads version \(formatVersion): \(side)")
        }
        let foundGeneration = try reader.readUInt64()
        var footer = ByteReader(bytes, offset: bytes.count - footerByteCount, file: file)
        let foundFooterMagic = try footer.readUInt32()
        let kind = try footer.readUInt32()
        let stored = try footer.readUInt64()
        guard foundFooterMagic == footerMagic else {
            throw FormatError(.corrupt, file: file, offset: bytes.count - footerByteCount,
                              reason: "footer magic missing (found 0x\(String(foundFooterMagic, radix: 16))); the file is truncated or overwritten")
        }
        guard kind == Checksum.kindCRC32 else {
            throw FormatError(.corrupt, file: file, offset: bytes.count - 12, reason: "unknown checksum kind \(kind)")
        }
        var computed: UInt32 = 0
        if let afterChecksumming {
            var start = 0
            while start < bytes.count - 8 {
                let end = min(bytes.count - 8, start + checksumChunkByteCount)
                computed = Checksum.crc32(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), seed: computed)
                afterChecksumming(start..<end)
                start = end
            }
        } else {
            computed = Checksum.crc32(UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 8)]))
        }
        guard stored == UInt64(computed) else {
            throw FormatError(.corrupt, file: file, offset: bytes.count - 8,
                              reason: "checksum mismatch: footer says \(hex64(stored)), contents give \(hex64(UInt64(computed)))")
        }
        guard foundGeneration == generation else {
            throw FormatError(.corrupt, file: file, offset: 8,
                              reason: "belongs to generation \(foundGeneration), expected \(generation)")
        }
        return headerByteCount..<(bytes.count - footerByteCount)
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    private static func hex64(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
