import QuarryFormat
import QuarryTestSupport
import XCTest

/// FileFrame.verify is what turns any damage into an error naming the file (STYLE §5, §7).
final class FileFrameTests: XCTestCase {
    private func sampleFile(bodyLength: Int = 200, generation: UInt64 = 3) -> [UInt8] {
        var random = SeededGenerator(seed: UInt64(bodyLength))
        let body = (0..<bodyLength).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        return FileFrame.frame(magic: "QRYP", generation: generation, body: body)
    }

    private func verify(_ bytes: [UInt8], file: String = "postings", magic: String = "QRYP",
                        generation: UInt64 = 3) throws -> Range<Int> {
        try bytes.withUnsafeBytes { try FileFrame.verify($0, file: file, magic: magic, generation: generation) }
    }

    private func assertRejected(_ bytes: [UInt8], _ what: String, code: FormatError.Code? = nil,
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try verify(bytes), what, file: file, line: line) { error in
            guard let error = error as? FormatError else {
                return XCTFail("\(what): not a FormatError: \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.file, "postings", what, file: file, line: line)
            XCTAssertTrue(error.description.contains("'postings'"), "\(what): \(error)", file: file, line: line)
            if let code { XCTAssertEqual(error.code, code, "\(what): \(error)", file: file, line: line) }
        }
    }

    func testIntactFileVerifiesAndReturnsTheBody() throws {
        let bytes = sampleFile()
        XCTAssertEqual(bytes.count, 200 + 32)
        XCTAssertEqual(try verify(bytes), 16..<216)
        let empty = FileFrame.frame(magic: "QRYN", generation: 0, body: [])
        XCTAssertEqual(try verify(empty, file: "norms", magic: "QRYN", generation: 0), 16..<16)
    }

    /// The chunked checksum (for callers that drop pages as they go) accepts and rejects the same
    /// files, and reports chunks covering every checksummed byte in order.
    func testChunkedChecksumReportsEveryChunkAndCatchesDamage() throws {
        var bytes = sampleFile(bodyLength: 5_000)
        var chunks: [Range<Int>] = []
        let body = try bytes.withUnsafeBytes {
            try FileFrame.verify($0, file: "postings", magic: "QRYP", generation: 3, afterChecksumming: { chunks.append($0) })
        }
        XCTAssertEqual(body, 16..<5_016)
        XCTAssertEqual(chunks.first?.lowerBound, 0)
        XCTAssertEqual(chunks.last?.upperBound, bytes.count - 8)
        XCTAssertTrue(zip(chunks, chunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        bytes[2_000] ^= 0x10
        XCTAssertThrowsError(try bytes.withUnsafeBytes {
            try FileFrame.verify($0, file: "postings", magic: "QRYP", generation: 3, afterChecksumming: { _ in })
        })
    }

    /// The worked example in FileFrame.swift: an empty body in generation 3.
    func testHeaderAndFooterLayout() {
        let bytes = FileFrame.frame(magic: "QRYN", generation: 3, body: [])
        XCTAssertEqual(Array(bytes[0..<16]), [0x51, 0x52, 0x59, 0x4E, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(FileFrame.formatVersion, 2)
        XCTAssertEqual(Array(bytes[16..<24]), [0x51, 0x45, 0x4E, 0x44, 1, 0, 0, 0])
        XCTAssertEqual(Array(bytes[28..<32]), [0, 0, 0, 0], "the checksum's upper 32 bits are zero")
    }

    func testFlippedByteAnywhereIsRejected() {
        let bytes = sampleFile()
        for offset in bytes.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = bytes
                damaged[offset] ^= flip
                assertRejected(damaged, "byte \(offset) xor \(flip)")
            }
        }
    }

    func testTruncatedFileIsRejected() {
        let bytes = sampleFile()
        for length in 0..<bytes.count {
            assertRejected(Array(bytes[0..<length]), "truncated to \(length) bytes", code: .corrupt)
        }
        // A file cut short and then padded to its old length (a torn write).
        var torn = Array(bytes[0..<100])
        torn.append(contentsOf: [UInt8](repeating: 0, count: bytes.count - 100))
        assertRejected(torn, "torn write", code: .corrupt)
    }

    func testWrongMagicIsRejected() {
        let bytes = sampleFile()
        XCTAssertThrowsError(try verify(bytes, file: "terms", magic: "QRYT")) { error in
            let error = error as? FormatError
            XCTAssertEqual(error?.file, "terms")
            XCTAssertEqual(error?.code, .corrupt)
            XCTAssertTrue(error?.description.contains("'terms'") == true, "\(String(describing: error))")
            XCTAssertTrue(error?.reason.contains("QRYT") == true, "names the expected magic: \(String(describing: error))")
        }
    }

    /// Another format version with a valid checksum: `.version`, naming which side is older.
    func testOtherVersionIsRejectedNamingTheOlderSide() {
        for (version, side) in [(FileFrame.formatVersion + 1, "this program is older"), (FileFrame.formatVersion - 1, "the index is older")] {
            var bytes = sampleFile()
            bytes.replaceSubrange(4..<8, with: withUnsafeBytes(of: version.littleEndian, Array.init))
            let crc = Checksum.crc32(Array(bytes[0..<(bytes.count - 8)]))
            bytes.replaceSubrange((bytes.count - 8)..., with: FileFrame.footerChecksum(crc))
            XCTAssertThrowsError(try verify(bytes)) { error in
                let error = error as? FormatError
                XCTAssertEqual(error?.code, .version, "version \(version)")
                XCTAssertEqual(error?.file, "postings")
                XCTAssertTrue(error?.description.contains("'postings'") == true)
                XCTAssertTrue(error?.reason.contains(side) == true, "version \(version): \(String(describing: error))")
            }
        }
    }

    func testOtherGenerationIsRejected() {
        let bytes = sampleFile(generation: 4)
        XCTAssertThrowsError(try verify(bytes, generation: 3)) { error in
            let error = error as? FormatError
            XCTAssertEqual(error?.file, "postings")
            XCTAssertTrue(error?.reason.contains("generation 4") == true, "\(String(describing: error))")
        }
    }
}
