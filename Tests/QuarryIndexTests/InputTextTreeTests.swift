import Foundation
import XCTest
import QuarryIndex

final class InputTextTreeTests: XCTestCase {
    func testTreeOfTextFiles() throws {
        let dir = try InputScratchDirectory()
        let root = dir.path + "/corpus"
        try dir.write("corpus/b.md", "# Heading here  \n\nFirst paragraph.\n\nSecond.\n")
        try dir.write("corpus/a.txt", "\n\n   Storm hits “the coast”  \r\nBody line one.\r\nBody line two.\r\n")
        try dir.write("corpus/sub/deeper/z.txt", "Deep title\nDeep body")
        try dir.write("corpus/sub/c.TXT", "Upper-case extension\n")
        try dir.write("corpus/a/inner.md", "Inner\nbody")
        try dir.write("corpus/empty.txt", "")
        try dir.write("corpus/blank.md", " \n\t\n\r\n")
        try dir.write("corpus/latin1.txt", [0x54, 0x69, 0x74, 0x6c, 0x65, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a])
        try dir.write("corpus/bom.txt", [0xEF, 0xBB, 0xBF] + Array("Bom title\nbody".utf8))
        try dir.write("corpus/ignored.json", #"{"id":"x"}"#)
        try dir.write("corpus/ignored.html", "<p>x</p>")
        try dir.write("corpus/noext", "x")
        try dir.write("corpus/.hidden.txt", "hidden")
        try dir.write("corpus/.git/HEAD.txt", "hidden dir")
        try FileManager.default.createSymbolicLink(atPath: root + "/loop", withDestinationPath: root)

        let outcome = try readAll([root])
        XCTAssertEqual(outcome.sequence, [
            "doc a.txt", "doc a/inner.md", "doc b.md", "bad 1", "doc bom.txt", "bad 1", "bad 1",
            "doc sub/c.TXT", "doc sub/deeper/z.txt",
        ])
        let byID = Dictionary(uniqueKeysWithValues: outcome.documents.map { ($0.id, $0) })
        XCTAssertEqual(byID["a.txt"]?.title, "Storm hits “the coast”")
        XCTAssertEqual(byID["a.txt"]?.body, "Body line one.\r\nBody line two.")
        XCTAssertEqual(byID["b.md"]?.title, "# Heading here")
        XCTAssertEqual(byID["b.md"]?.body, "First paragraph.\n\nSecond.")
        XCTAssertEqual(byID["sub/c.TXT"]?.body, "")
        XCTAssertEqual(byID["bom.txt"]?.title, "Bom title")
        XCTAssertEqual(byID["sub/deeper/z.txt"]?.origin, RecordOrigin(file: root + "/sub/deeper/z.txt", line: 1))
        XCTAssertEqual(byID["sub/deeper/z.txt"]?.fields.count, 0)
        XCTAssertEqual(outcome.bad.map(\.description), [
            "\(root)/blank.md:1: empty document",
            "\(root)/empty.txt:1: empty document",
            "\(root)/latin1.txt:1: invalid UTF-8 at byte 10",
        ])
    }

    func testOverLimitFileIsABadRecord() throws {
        let dir = try InputScratchDirectory()
        try dir.write("t/big.txt", "Title\n" + String(repeating: "x", count: 200))
        try dir.write("t/small.txt", "Title\nbody")
        let outcome = try readAll([dir.path + "/t"], limits: InputLimits(maxRecordBytes: 100))
        XCTAssertEqual(outcome.sequence, ["bad 1", "doc small.txt"])
        XCTAssertEqual(outcome.bad.first?.reason, "record is 206 bytes, over the limit of 100 bytes")
    }

    func testUnreadableDirectoryThrows() throws {
        let dir = try InputScratchDirectory()
        XCTAssertThrowsError(try DocumentReader(sources: [dir.path + "/missing-dir/"])) { error in
            XCTAssertEqual((error as? InputError)?.message,
                           "cannot open '\(dir.path)/missing-dir/': No such file or directory")
        }
    }
}
