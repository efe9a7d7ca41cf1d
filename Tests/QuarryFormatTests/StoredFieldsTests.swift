import QuarryFormat
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
                // Larger than a whole block (16 KiB): a block of its own.
                let big = (0..<3000).map { "wörd\($0)" }.joined(separator: " ")
                XCTAssertGreaterThan(big.utf8.count, 16 * 1024)
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
}
