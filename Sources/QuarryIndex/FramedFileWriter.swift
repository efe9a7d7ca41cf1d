import QuarryFormat
import QuarrySystem

/// Writes one framed index file (see `FileFrame`): header, streamed body, footer with the
/// CRC-32 of everything before it; `finish()` fsyncs. Returns size and checksum for meta.
final class FramedFileWriter {
    private let output: OutputFile
    private var crc: UInt32 = 0
    let file: IndexFile

    init(directory: String, file: IndexFile, generation: UInt64) throws {
        self.file = file
        output = try OutputFile(creating: directory + "/" + file.rawValue)
        try write(FileFrame.header(magic: file.magic, generation: generation))
    }

    /// Bytes written so far, header included: the file offset of the next byte.
    var offset: Int { output.byteCount }

    func write(_ bytes: [UInt8]) throws {
        crc = bytes.withUnsafeBytes { Checksum.crc32($0, seed: crc) }
        try output.write(bytes)
    }

    /// Writes the footer, fsyncs, closes. Returns the meta entry.
    func finish() throws -> IndexMeta.FileInfo {
        try write(FileFrame.footerPrefix())
        let checksum = FileFrame.footerChecksum(crc)
        try output.write(checksum)
        try output.finish()
        return IndexMeta.FileInfo(bytes: output.byteCount, crc32: IndexMeta.hex(crc))
    }
}
