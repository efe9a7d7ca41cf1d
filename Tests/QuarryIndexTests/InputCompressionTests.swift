import CZlib
import CZstd
import Foundation
import XCTest
import QuarryIndex

/// gzip members via zlib's deflate (windowBits 15 + 16 writes a gzip header).
func gzipCompress(_ input: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    let rc = deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                           ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    precondition(rc == Z_OK)
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
    var input = input
    let produced = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = UInt32(outBuffer.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return outBuffer.count - Int(stream.avail_out)
        }
    }
    return Array(output[..<produced])
}

func zstdCompress(_ input: [UInt8]) -> [UInt8] {
    var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
    let produced = output.withUnsafeMutableBytes { out in
        input.withUnsafeBytes { ZSTD_compress(out.baseAddress, out.count, $0.baseAddress, $0.count, 3) }
    }
    precondition(ZSTD_isError(produced) == 0)
    return Array(output[..<produced])
}

final class InputCompressionTests: XCTestCase {
    private func corpusBytes() -> [UInt8] {
        // Several MB, so the decompressors fill many 1 MiB reads; one bad line in the middle.
        Array((makeCorpus(count: 2000) + "{broken\n" + makeCorpus(count: 2000, seed: 9)).utf8)
    }

    private func assertSameDocuments(_ path: String, as plainPath: String,
                                      file: StaticString = #filePath, line: UInt = #line) throws {
        let plain = try readAll([plainPath])
        let other = try readAll([path])
        XCTAssertEqual(plain.documents.count, 4000, file: file, line: line)
        XCTAssertEqual(other.documents.map(render), plain.documents.map(render), file: file, line: line)
        XCTAssertEqual(other.documents.map(\.origin.line), plain.documents.map(\.origin.line), file: file, line: line)
        XCTAssertEqual(other.bad.map(\.reason), plain.bad.map(\.reason), file: file, line: line)
        XCTAssertEqual(other.bad.map(\.origin), [RecordOrigin(file: path, line: 2001)], file: file, line: line)
    }

    func testGzipEqualsPlain() throws {
        let dir = try InputScratchDirectory()
        let bytes = corpusBytes()
        let plain = try dir.write("c.jsonl", bytes)
        let gz = try dir.write("c.jsonl.gz", gzipCompress(bytes))
        try assertSameDocuments(gz, as: plain)
        // Detected by magic bytes too, whatever the name.
        try assertSameDocuments(try dir.write("c.data", gzipCompress(bytes)), as: plain)
        // Concatenated members (`cat a.gz b.gz`), split in the middle of a line.
        let cut = bytes.count / 3 + 17
        let members = gzipCompress(Array(bytes[..<cut])) + gzipCompress(Array(bytes[cut...]))
        try assertSameDocuments(try dir.write("members.jsonl.gz", members), as: plain)
    }

    func testZstdEqualsPlain() throws {
        let dir = try InputScratchDirectory()
        let bytes = corpusBytes()
        let plain = try dir.write("c.jsonl", bytes)
        try assertSameDocuments(try dir.write("c.jsonl.zst", zstdCompress(bytes)), as: plain)
        try assertSameDocuments(try dir.write("c.bin", zstdCompress(bytes)), as: plain)
        let cut = bytes.count / 2 + 5
        let frames = zstdCompress(Array(bytes[..<cut])) + zstdCompress(Array(bytes[cut...]))
        try assertSameDocuments(try dir.write("frames.zst", frames), as: plain)
    }

    func testCorruptAndTruncatedStreamsThrowNamingTheFile() throws {
        let dir = try InputScratchDirectory()
        let bytes = corpusBytes()
        let gz = gzipCompress(bytes)
        let zst = zstdCompress(bytes)
        var flippedGz = gz
        flippedGz[gz.count / 2] ^= 0xff
        var flippedZst = zst
        flippedZst[zst.count / 2] ^= 0xff
        let cases: [(String, [UInt8], String)] = [
            ("flipped.jsonl.gz", flippedGz, "corrupt gzip data"),
            ("truncated.jsonl.gz", Array(gz[..<(gz.count / 2)]), "truncated gzip stream"),
            ("trailer.jsonl.gz", Array(gz[..<(gz.count - 3)]), "truncated gzip stream"),
            ("flipped.jsonl.zst", flippedZst, "corrupt zstd data"),
            ("truncated.jsonl.zst", Array(zst[..<(zst.count / 2)]), "truncated zstd stream"),
            ("plain.jsonl.gz", Array(#"{"id":"1"}"#.utf8), "not gzip data"),
            ("plain.jsonl.zst", Array(#"{"id":"1"}"#.utf8), "not zstd data"),
        ]
        for (name, data, expected) in cases {
            let path = try dir.write(name, data)
            XCTAssertThrowsError(try readAll([path]), name) { error in
                let message = (error as? InputError)?.message ?? "\(error)"
                XCTAssertTrue(message.hasPrefix("cannot read '\(path)': "), message)
                XCTAssertTrue(message.contains(expected), "\(name): \(message)")
            }
        }
    }

    func testEmptyCompressedNameIsEmptyInput() throws {
        let dir = try InputScratchDirectory()
        XCTAssertEqual(try readAll([try dir.write("empty.jsonl.gz", [])]).sequence, [])
    }

    /// A FIFO stands in for standard input: not a regular file (no total size), gzip found by magic.
    func testGzipThroughAFIFO() throws {
        let dir = try InputScratchDirectory()
        let fifo = dir.path + "/feed"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let bytes = Array(makeCorpus(count: 500).utf8)
        let compressed = gzipCompress(bytes)
        let writer = Thread {
            if let handle = FileHandle(forWritingAtPath: fifo) {
                handle.write(Data(compressed))
                handle.closeFile()
            }
        }
        writer.start()
        let reader = try DocumentReader(sources: [fifo])
        XCTAssertNil(reader.totalBytes)
        var count = 0
        while let result = try reader.next() {
            XCTAssertEqual(try result.get().id, "doc-\(count)")
            count += 1
        }
        XCTAssertEqual(count, 500)
        XCTAssertEqual(reader.bytesRead, compressed.count)
    }
}
