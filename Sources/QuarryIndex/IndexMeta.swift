import Foundation
import QuarryAnalysis
import QuarryFormat

/// The "meta" file: what a generation holds and how to check it.
///
///     MetaFile --> JSON object (UTF-8, one line, keys sorted), "\n", "crc32 " 8 hex digits, "\n"
///
/// The JSON names the format and its version, the generation number, the document count, each
/// field's id and total length (for BM25's average field length), the analyzer settings and
/// fingerprint, and every other file's byte count and CRC-32 — so a file swapped in from
/// another generation is caught, not only a flipped bit. The trailer line is the CRC-32 of the
/// JSON bytes. meta is written last: a generation without a valid meta is not a generation.
///
/// Example (shortened): `{"analyzer":{...},"docs":2,"fields":[{"id":0,"length_sum":5,"name":"title"},...],
/// "files":{"ids":{"bytes":66,"crc32":"1a2b3c4d"},...},"format":"quarry-index","format_version":2,"generation":3}`
/// then `crc32 5e6f7a8b`.
public struct IndexMeta: Codable, Equatable, Sendable {
    public struct FieldInfo: Codable, Equatable, Sendable {
        public var id: Int
        public var name: String
        public var length_sum: UInt64
    }
    public struct FileInfo: Codable, Equatable, Sendable {
        public var bytes: Int
        public var crc32: String
    }

    public var format = "quarry-index"
    public var format_version = Int(FileFrame.formatVersion)
    public var generation: UInt64
    public var docs: Int
    public var terms: Int
    public var fields: [FieldInfo]
    public var analyzer: AnalyzerSettings
    public var analyzer_fingerprint: String
    public var files: [String: FileInfo]

    /// Bytes of the meta file.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes = [UInt8](try encoder.encode(self))
        let crc = Checksum.crc32(bytes)
        bytes.append(contentsOf: Array("\ncrc32 \(Self.hex(crc))\n".utf8))
        return bytes
    }

    /// Parses and checks a meta file's bytes.
    public static func decode(_ bytes: [UInt8]) throws -> IndexMeta {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
            throw FormatError(.corrupt, file: "meta", offset: bytes.count, reason: "no checksum line; truncated")
        }
        let json = Array(bytes[..<newline])
        let trailer = String(decoding: bytes[(newline + 1)...], as: UTF8.self)
        let expected = "crc32 \(hex(Checksum.crc32(json)))\n"
        guard trailer == expected else {
            throw FormatError(.corrupt, file: "meta", offset: newline + 1,
                              reason: "checksum line is '\(trailer.trimmingCharacters(in: .whitespacesAndNewlines))', contents give '\(expected.dropLast())'")
        }
        do {
            let meta = try JSONDecoder().decode(IndexMeta.self, from: Data(json))
            guard meta.format == "quarry-index" else {
                throw FormatError(.corrupt, file: "meta", offset: 0, reason: "format is '\(meta.format)', expected 'quarry-index'")
            }
            guard meta.format_version == Int(FileFrame.formatVersion) else {
                throw FormatError(.version, file: "meta", offset: 0,
                                  reason: "format version \(meta.format_version), this program reads \(FileFrame.formatVersion): "
                                      + (meta.format_version > Int(FileFrame.formatVersion)
                                         ? "this program is older than the index" : "the index is older than this program"))
            }
            return meta
        } catch let error as FormatError {
            throw error
        } catch {
            throw FormatError(.corrupt, file: "meta", offset: 0, reason: "unreadable JSON: \(error)")
        }
    }

    public static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
