@testable import QuarryFormat
import QuarryTestSupport
import XCTest

/// StoredFieldsWriter / StoredFieldsReader round trips.
final class StoredFieldsTests: XCTestCase {
    static func makeFile(_ documents: [[StoredField]]) -> [UInt8] {
        var writer = StoredFieldsWriter()
        var body: [UInt8] = []
        for document in documents {
            if let block = writer.add(document) { body += block }
        }
        body += writer.finish()
        return FileFrame.frame(magic: StoredFieldsFormat.magic, generation: 2, body: body)
    }

    static func withReader(_ file: [UInt8], _ body: (StoredFieldsReader) throws -> Void) throws {
        try file.withUnsafeBytes { bytes in
            let range = try FileFrame.verify(bytes, file: "stored", magic: StoredFieldsFormat.magic, generation: 2)
            try body(try StoredFieldsReader(file: bytes, body: range))
        }
    }

    func testSmallLargeAndUnicodeDocumentsRoundTrip() throws {
        var random = SeededGenerator(seed: 11)
        let words = ["naïve", "café", "日本語", "emoji 🎉👩‍👩‍👧", "Ελληνικά", "\"quotes\"", "tab\there", "line\nbreak", "", "x"]
        var documents: [[StoredField]] = []
        for i in 0..<600 {
            var fields = [StoredField(name: "title", value: "Title \(i) " + words[i % words.count]),
                          StoredField(name: "body", value: (0..<Int(random.next() % 40)).map { _ in words[Int(random.next() % UInt64(words.count))] }.joined(separator: " "))]
            if i % 5 == 0 { fields.append(StoredField(name: "url", value: "https://example.org/\(i)")) }
            if i % 7 == 0 { fields.append(StoredField(name: "tags", value: "a, b, ünï")) }
            if i == 300 {
                // Larger than a whole block: a block of its own.
                let big = (0..<3000).map { "wörd\($0)" }.joined(separator: " ")
                XCTAssertGreaterThan(big.utf8.count, StoredFieldsFormat.blockRawByteCount)
                fields = [StoredField(name: "title", value: "big"), StoredField(name: "body", value: big)]
            }
            if i == 301 { fields = [] }   // a document with no stored fields at all
            documents.append(fields)
        }
        let file = Self.makeFile(documents)
        try Self.withReader(file) { reader in
            for (docID, fields) in documents.enumerated() {
                XCTAssertEqual(try reader.document(UInt32(docID)), fields, "doc \(docID)")
            }
            // Random access order does not matter.
            for _ in 0..<200 {
                let docID = Int(random.next() % UInt64(documents.count))
                XCTAssertEqual(try reader.document(UInt32(docID)), documents[docID])
            }
            XCTAssertThrowsError(try reader.document(UInt32(documents.count)), "a document past the last")
        }
    }

    func testSingleHugeDocumentAndSingleTinyDocument() throws {
        let huge = [[StoredField(name: "body", value: String(repeating: "ab😀", count: 20_000))]]
        try Self.withReader(Self.makeFile(huge)) { reader in
            XCTAssertEqual(try reader.document(0), huge[0])
        }
        let tiny = [[StoredField(name: "title", value: "Hi")]]
        try Self.withReader(Self.makeFile(tiny)) { reader in
            XCTAssertEqual(try reader.document(0), tiny[0])
        }
    }

    /// The worked example at the top of StoredFields.swift, byte for byte.
    func testWorkedExampleBytes() throws {
        var writer = StoredFieldsWriter()
        XCTAssertNil(writer.add([StoredField(name: "title", value: "Hi")]))
        let body = writer.finish()
        let lz4 = StoredFieldsWriter.compress([0x01, 0x05, 0x74, 0x69, 0x74, 0x6C, 0x65, 0x02, 0x48, 0x69])
        XCTAssertEqual(lz4.count, 11)
        XCTAssertEqual(Array(body[0..<8]), [0x01, 0, 0, 0, 0x0A, 0, 0, 0], "DocsInBlock 1, DocRawEnd 10")
        XCTAssertEqual(Array(body[8..<19]), lz4)
        XCTAssertEqual(Array(body[19..<39]), [0x01, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x13, 0, 0, 0]
                       , "BlockCount 1, FirstDocID 0, Offset 16, StoredLength 19")
        XCTAssertEqual(Array(body[39..<43]), [0x0A, 0, 0, 0], "RawLength 10")
        XCTAssertEqual(Array(body[43..<51]), [35, 0, 0, 0, 0, 0, 0, 0], "TableOffset: 16 + 19")
        XCTAssertEqual(body.count, 51)
    }

    /// Each document is decompressed only up to its own end: the first, a middle and the last
    /// document of every block, a document larger than a block between small ones, and blocks
    /// of one document.
    func testEveryPositionInABlockAndDocumentsLargerThanABlock() throws {
        var random = SeededGenerator(seed: 12)
        var documents: [[StoredField]] = []
        for i in 0..<400 {
            let length: Int
            switch i % 97 {
            case 13: length = StoredFieldsFormat.blockRawByteCount * 3 + 17   // a block of its own
            case 14: length = StoredFieldsFormat.blockRawByteCount - 40       // closes a block nearly alone
            default: length = Int(random.next() % 700)
            }
            let body = String((0..<length).map { _ in Character(Unicode.Scalar(UInt8(0x61 + random.next() % 26))) })
            var fields = [StoredField(name: "title", value: "t\(i)"), StoredField(name: "body", value: body)]
            if i % 3 == 0 { fields.append(StoredField(name: "url", value: "u\(i)")) }
            documents.append(fields)
        }
        var writer = StoredFieldsWriter()
        var bodyBytes: [UInt8] = []
        var blockLastDocs: [Int] = []
        for (docID, document) in documents.enumerated() {
            if let block = writer.add(document) {
                bodyBytes += block
                blockLastDocs.append(docID)
            }
        }
        bodyBytes += writer.finish()
        XCTAssertGreaterThan(blockLastDocs.count, 20)
        let file = FileFrame.frame(magic: StoredFieldsFormat.magic, generation: 2, body: bodyBytes)
        try Self.withReader(file) { reader in
            for docID in blockLastDocs + blockLastDocs.map({ $0 + 1 }).filter({ $0 < documents.count }) {
                XCTAssertEqual(try reader.document(UInt32(docID)), documents[docID], "doc \(docID) (last or first of a block)")
            }
            for docID in (0..<documents.count).reversed() {
                XCTAssertEqual(try reader.document(UInt32(docID)), documents[docID], "doc \(docID)")
            }
        }
    }

    /// A block header that lies (a document end past the raw block, more documents than the
    /// block has room for) is reported, not trusted.
    func testLyingBlockHeaderThrows() throws {
        var writer = StoredFieldsWriter()
        for i in 0..<3 { _ = writer.add([StoredField(name: "body", value: "document \(i)")]) }
        let body = writer.finish()
        // One block at body offset 0: DocsInBlock u32, then DocRawEnd u32 x 3.
        var pastEnd = body
        pastEnd.replaceSubrange(12..<16, with: [0xFF, 0xFF, 0, 0])
        try Self.withReader(FileFrame.frame(magic: StoredFieldsFormat.magic, generation: 2, body: pastEnd)) { reader in
            XCTAssertEqual(try reader.document(0), [StoredField(name: "body", value: "document 0")])
            XCTAssertThrowsError(try reader.document(2)) { XCTAssertTrue("\($0)".contains("raw bytes"), "\($0)") }
        }
        var tooMany = body
        tooMany.replaceSubrange(0..<4, with: [0xFF, 0xFF, 0xFF, 0x0F])
        try Self.withReader(FileFrame.frame(magic: StoredFieldsFormat.magic, generation: 2, body: tooMany)) { reader in
            XCTAssertThrowsError(try reader.document(1))
        }
        var backwards = body
        backwards.replaceSubrange(8..<12, with: [0x01, 0, 0, 0])  // doc 1 would end before it starts
        try Self.withReader(FileFrame.frame(magic: StoredFieldsFormat.magic, generation: 2, body: backwards)) { reader in
            XCTAssertThrowsError(try reader.document(1))
        }
    }
}
