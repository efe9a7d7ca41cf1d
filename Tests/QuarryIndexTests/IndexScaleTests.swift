import Foundation
import QuarryIndex
import QuarryTestSupport
import XCTest

/// Bounded-memory builds (issue #6): spilled runs, their merge, the analysis threads and the id
/// registry must not change a single output byte.
final class IndexScaleTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("quarry-indexscale")
    }

    override func tearDown() {
        directory?.remove()
        directory = nil
    }

    /// A corpus with a large vocabulary (Zipf words plus rare pseudo-words), long and empty
    /// documents, repeated ids and a broken line.
    private func writeCorpus(documentCount: Int) throws -> (path: String, duplicates: [String]) {
        let base = GeneratedCorpus(documentCount: documentCount, seed: 7)
        var random = SeededGenerator(seed: 99)
        var lines: [String] = []
        var duplicates: [String] = []
        for (i, document) in base.documents.enumerated() {
            var body = document.body
            let rare = Int(random.next() % 12)
            for _ in 0..<rare { body += " x" + String(random.next() % 50_000, radix: 36) }
            if i % 97 == 5 { body += String(repeating: " common rare\(i)", count: 40) }
            var id = document.id
            if i > 0 && i % 211 == 0 {
                id = "doc-\(i - 1)" // an id seen before: reported, not indexed
                duplicates.append(id)
            }
            lines.append(jsonLine(["id": id, "title": document.title, "body": body, "url": "u\(i)"]))
            if i == 1_000 { lines.append("{\"id\": broken") }
        }
        try directory.write("corpus.jsonl", lines.joined(separator: "\n") + "\n")
        return (directory.file("corpus.jsonl"), duplicates)
    }

    private func build(_ source: String, into name: String, threads: Int, memoryBytes: Int) throws -> (BuildSummary, [String]) {
        var options = BuildOptions()
        options.threads = threads
        options.memoryBytes = memoryBytes
        var bad: [String] = []
        let summary = try IndexBuilder.build(sources: [source], indexPath: directory.file(name), options: options,
                                             onBadRecord: { bad.append($0.description) })
        return (summary, bad)
    }

    private func files(_ name: String) throws -> [String: Data] {
        let generation = directory.file(name) + "/gen-000001"
        var result: [String: Data] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: generation) {
            result[file] = try Data(contentsOf: URL(fileURLWithPath: generation + "/" + file))
        }
        return result
    }

    func testSpilledRunsAndThreadCountsGiveByteIdenticalGenerations() throws {
        let (source, duplicates) = try writeCorpus(documentCount: 1_500)
        let (inMemory, badInMemory) = try build(source, into: "a", threads: 1, memoryBytes: 512 << 20)
        let (spilledOne, badOne) = try build(source, into: "b", threads: 1, memoryBytes: 256 << 10)
        let (spilledTwo, badTwo) = try build(source, into: "c", threads: 2, memoryBytes: 256 << 10)
        let (tiny, _) = try build(source, into: "d", threads: 2, memoryBytes: 64 << 10)
        XCTAssertEqual(inMemory.runs, 0)
        XCTAssertGreaterThan(spilledOne.runs, 1, "the small budget must spill several runs")
        XCTAssertEqual(spilledOne.runs, spilledTwo.runs, "spill points depend on the input only")
        XCTAssertEqual(spilledOne.threads, 1)
        XCTAssertEqual(spilledTwo.threads, 2)
        XCTAssertGreaterThanOrEqual(tiny.runs, 1)

        // Bad records: the same, in input order, and the duplicates exactly.
        XCTAssertEqual(badOne, badInMemory)
        XCTAssertEqual(badTwo, badInMemory)
        XCTAssertEqual(badInMemory.filter { $0.contains("duplicate id") }.count, duplicates.count)
        XCTAssertEqual(badInMemory.count, duplicates.count + 1)
        XCTAssertEqual(inMemory.documents, 1_500 - duplicates.count)

        let reference = try files("a")
        XCTAssertEqual(Set(reference.keys), ["meta", "terms", "postings", "positions", "norms", "ids", "stored"],
                       "no temporary file is left in a published generation")
        for name in ["b", "c", "d"] {
            let other = try files(name)
            XCTAssertEqual(Set(other.keys), Set(reference.keys), name)
            for (file, bytes) in reference {
                XCTAssertTrue(other[file] == bytes, "\(name)/\(file) differs from the in-memory build")
            }
        }
        let reader = try IndexReader.openCurrent(indexPath: directory.file("d"))
        XCTAssertEqual(reader.docCount, 1_500 - duplicates.count)
    }

    func testFailedBuildLeavesNoGenerationOrTemporaryFiles() throws {
        let (source, _) = try writeCorpus(documentCount: 800)
        var options = BuildOptions()
        options.strict = true
        options.memoryBytes = 64 << 10
        XCTAssertThrowsError(try IndexBuilder.build(sources: [source], indexPath: directory.file("x"), options: options))
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.file("x")).filter { $0 != "lock" }
        XCTAssertEqual(left, [], "a failed build leaves nothing behind")
    }

    func testDuplicateIDsAcrossTheRegistrysSortedArrayAreReportedExactly() throws {
        // 5,000 ids (well past the recent table of a small budget), each id again later.
        var lines: [String] = []
        for i in 0..<5_000 { lines.append(jsonLine(["id": "id-\(i)", "title": "t", "body": "b \(i)"])) }
        for i in stride(from: 0, to: 5_000, by: 7) { lines.append(jsonLine(["id": "id-\(i)", "title": "again", "body": ""])) }
        lines.append(jsonLine(["id": "id-5000", "title": "new", "body": ""]))
        try directory.write("ids.jsonl", lines.joined(separator: "\n") + "\n")
        let (summary, bad) = try build(directory.file("ids.jsonl"), into: "i", threads: 2, memoryBytes: 256 << 10)
        let expected = (0..<5_000).filter { $0 % 7 == 0 }.count
        XCTAssertEqual(bad.count, expected)
        XCTAssertTrue(bad.allSatisfy { $0.contains("duplicate id") })
        XCTAssertEqual(summary.documents, 5_001)
        let reader = try IndexReader.openCurrent(indexPath: directory.file("i"))
        XCTAssertEqual(reader.externalID(UInt32(5_000)), "id-5000")
        XCTAssertEqual(reader.externalID(UInt32(4_999)), "id-4999")
    }
}
