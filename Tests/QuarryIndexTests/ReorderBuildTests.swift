import Foundation
import QuarryFormat
import QuarryTestSupport
import XCTest
@testable import QuarryIndex

/// A generation built with reordering holds exactly what the plain one holds, under other doc ids.
final class ReorderBuildTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("quarry-reorder")
    }

    override func tearDown() {
        directory?.remove()
        directory = nil
    }

    /// One posting as a reader sees it, named by external id.
    private struct Posting: Hashable {
        var id: String
        var tf: UInt32
        var positions: [UInt32]
    }

    private func build(_ source: String, into name: String, reorder: ReorderMethod, threads: Int = 2) throws -> (IndexReader, BuildSummary) {
        var options = BuildOptions()
        options.threads = threads
        options.reorder = ReorderOptions(method: reorder)
        options.reorder.minDocFreq = 2
        options.reorder.bisection.leafSize = 4
        let summary = try IndexBuilder.build(sources: [source], indexPath: directory.file(name), options: options)
        return (try IndexReader.openCurrent(indexPath: directory.file(name)), summary)
    }

    /// Every term's postings by external id; checks each block's skip-entry maxima on the way.
    private func postings(_ reader: IndexReader, file: StaticString = #filePath, line: UInt = #line) throws -> [[UInt8]: Set<Posting>] {
        var result: [[UInt8]: Set<Posting>] = [:]
        try reader.terms.forEach(withPrefix: []) { key, info in
            let cursor = try reader.cursor(info)
            let field = IndexField(rawValue: key[0])!
            let lengths = reader.fieldLengths(field)!
            var set = Set<Posting>()
            var blockMaxTF: [Int: UInt32] = [:], blockMinLength: [Int: UInt32] = [:]
            while cursor.docID != PostingCursor.end {
                var positions: [UInt32] = []
                XCTAssertTrue(cursor.positions(into: &positions), file: file, line: line)
                set.insert(Posting(id: reader.externalID(cursor.docID), tf: cursor.termFrequency, positions: positions))
                let block = cursor.decodedBlock
                blockMaxTF[block] = max(blockMaxTF[block] ?? 0, cursor.termFrequency)
                blockMinLength[block] = min(blockMinLength[block] ?? .max, lengths[Int(cursor.docID)])
                cursor.next()
            }
            XCTAssertFalse(cursor.isCorrupt, file: file, line: line)
            if cursor.blockCount > 1 {
                for block in 0..<cursor.blockCount {
                    XCTAssertEqual(cursor.blockMaxTF(block), blockMaxTF[block], "max tf of block \(block)", file: file, line: line)
                    XCTAssertEqual(cursor.blockMinFieldLength(block), blockMinLength[block], "min length of block \(block)", file: file, line: line)
                }
            }
            result[key] = set
            return true
        }
        return result
    }

    func testReorderedGenerationHoldsTheSameDocumentsPostingsLengthsAndStoredFields() throws {
        // Generated documents (multi-block terms), plus a few with extra stored fields.
        var text = GeneratedCorpus(documentCount: 900, seed: 3).jsonLines
        for i in 0..<5 {
            text += jsonLine(["id": "extra-\(i)", "title": "Extra \(i)", "body": "river stone extra", "url": "https://example.org/\(i)",
                              "tags": "a,b"]) + "\n"
        }
        try directory.write("docs.jsonl", text)
        let (plain, plainSummary) = try build(directory.file("docs.jsonl"), into: "plain", reorder: .none)
        let (reordered, summary) = try build(directory.file("docs.jsonl"), into: "bp", reorder: .bp)
        XCTAssertNil(plainSummary.reorder)
        let stats = try XCTUnwrap(summary.reorder)
        XCTAssertGreaterThan(stats.postings, 0)
        XCTAssertGreaterThan(stats.peakAccountedBytes, 0)
        XCTAssertEqual(reordered.docCount, plain.docCount)
        XCTAssertEqual(reordered.meta.terms, plain.meta.terms)
        XCTAssertEqual(reordered.meta.fields, plain.meta.fields)
        XCTAssertEqual(reordered.meta.files["positions"]?.bytes, plain.meta.files["positions"]?.bytes)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.file("bp/gen-000001/" + GenerationReorderer.temporaryDirectoryName)))

        // The order really changed, and doc ids map one to one by external id.
        let plainIDs = (0..<plain.docCount).map { plain.externalID(UInt32($0)) }
        let reorderedIDs = (0..<reordered.docCount).map { reordered.externalID(UInt32($0)) }
        XCTAssertNotEqual(plainIDs, reorderedIDs)
        XCTAssertEqual(Set(plainIDs), Set(reorderedIDs))
        XCTAssertEqual(Set(reorderedIDs).count, reordered.docCount)
        let plainDoc = Dictionary(uniqueKeysWithValues: plainIDs.enumerated().map { ($1, UInt32($0)) })

        for (newDoc, id) in reorderedIDs.enumerated() {
            let oldDoc = try XCTUnwrap(plainDoc[id])
            XCTAssertEqual(try reordered.storedFields(UInt32(newDoc)), try plain.storedFields(oldDoc), "stored fields of \(id)")
            for field in IndexField.allCases {
                XCTAssertEqual(reordered.fieldLengths(field)![newDoc], plain.fieldLengths(field)![Int(oldDoc)], "\(field.name) length of \(id)")
            }
        }
        let plainPostings = try postings(plain)
        let reorderedPostings = try postings(reordered)
        XCTAssertEqual(plainPostings.count, reorderedPostings.count)
        for (key, set) in plainPostings {
            XCTAssertEqual(reorderedPostings[key], set, "postings of \(String(decoding: key.dropFirst(), as: UTF8.self))")
        }
    }

    func testReorderingIsDeterministicAndHandlesTinyInputs() throws {
        try directory.write("docs.jsonl", GeneratedCorpus(documentCount: 300, seed: 8).jsonLines)
        let (first, _) = try build(directory.file("docs.jsonl"), into: "one", reorder: .bp, threads: 1)
        let (second, _) = try build(directory.file("docs.jsonl"), into: "two", reorder: .bp, threads: 2)
        XCTAssertEqual(first.meta.files, second.meta.files, "same input, same bytes whatever the threads")

        try directory.write("single.jsonl", jsonLine(["id": "only", "title": "One", "body": "river"]) + "\n")
        let (single, summary) = try build(directory.file("single.jsonl"), into: "single", reorder: .bp)
        XCTAssertEqual(single.docCount, 1)
        XCTAssertNil(summary.reorder, "nothing to reorder in one document")
        try directory.write("empty.jsonl", "")
        let (empty, _) = try build(directory.file("empty.jsonl"), into: "empty", reorder: .bp)
        XCTAssertEqual(empty.docCount, 0)
    }
}
