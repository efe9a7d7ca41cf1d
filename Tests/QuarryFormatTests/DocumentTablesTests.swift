import QuarryFormat
import QuarryTestSupport
import XCTest

/// The ids and norms files round trip.
final class DocumentTablesTests: XCTestCase {
    private func withIDs(_ ids: [String], _ body: (IDsReader) throws -> Void) throws {
        let file = FileFrame.frame(magic: IDsFormat.magic, generation: 1, body: IDsFormat.body(ids: ids))
        try file.withUnsafeBytes { bytes in
            let range = try FileFrame.verify(bytes, file: "ids", magic: IDsFormat.magic, generation: 1)
            try body(try IDsReader(file: bytes, body: range))
        }
    }

    func testIDsRoundTrip() throws {
        var ids = (0..<1000).map { "doc-\($0)" }
        ids += ["a", "日本/記事.md", "naïve café", "x", String(repeating: "long", count: 500), "🎉"]
        try withIDs(ids) { reader in
            XCTAssertEqual(reader.docCount, ids.count)
            for (docID, id) in ids.enumerated() { XCTAssertEqual(reader.id(UInt32(docID)), id) }
        }
        try withIDs([]) { reader in XCTAssertEqual(reader.docCount, 0) }
        try withIDs(["only"]) { reader in XCTAssertEqual(reader.id(0), "only") }
    }

    /// The worked example in DocumentTables.swift: ids "a", "bc".
    func testIDsDocumentedExample() {
        XCTAssertEqual(IDsFormat.body(ids: ["a", "bc"]),
                       [0x61, 0x62, 0x63] + [0, 1, 3, 2].flatMap { withUnsafeBytes(of: UInt64($0).littleEndian, Array.init) })
    }

    func testNormsRoundTrip() throws {
        var random = SeededGenerator(seed: 5)
        for docCount in [0, 1, 2, 129, 5000] {
            let lengths = (0..<2).map { _ in (0..<docCount).map { _ in UInt32(truncatingIfNeeded: random.next() % 100_000) } }
            let file = FileFrame.frame(magic: NormsFormat.magic, generation: 1, body: NormsFormat.body(lengths: lengths, docCount: docCount))
            try file.withUnsafeBytes { bytes in
                let range = try FileFrame.verify(bytes, file: "norms", magic: NormsFormat.magic, generation: 1)
                let reader = try NormsReader(file: bytes, body: range)
                XCTAssertEqual(reader.fieldCount, 2)
                XCTAssertEqual(reader.docCount, docCount)
                for field in 0..<2 {
                    guard docCount > 0 else { XCTAssertNil(reader.lengths(field: field)); continue }
                    let pointer = try XCTUnwrap(reader.lengths(field: field))
                    XCTAssertEqual(Array(UnsafeBufferPointer(start: pointer, count: docCount)), lengths[field], "docCount \(docCount) field \(field)")
                }
                XCTAssertNil(reader.lengths(field: 2))
            }
        }
    }

    func testNormsBodyThatDoesNotAddUpIsRejected() throws {
        var body = NormsFormat.body(lengths: [[1, 2], [3, 4]], docCount: 2)
        body.removeLast(4)
        let file = FileFrame.frame(magic: NormsFormat.magic, generation: 1, body: body)
        try file.withUnsafeBytes { bytes in
            XCTAssertThrowsError(try NormsReader(file: bytes, body: FileFrame.headerByteCount..<(bytes.count - FileFrame.footerByteCount))) { error in
                XCTAssertEqual((error as? FormatError)?.file, "norms")
            }
        }
    }
}
