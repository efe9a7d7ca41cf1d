import Foundation
import QuarryAnalysis
import QuarryFormat
import QuarryIndex
import QuarryTestSupport
import XCTest

/// IndexBuilder.build -> files on disk -> IndexReader.openCurrent, against a brute-force
/// inversion with the same Analyzer; corruption of every file; bad records; publishing.
final class IndexBuildTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("quarry-indexbuild")
    }

    override func tearDown() {
        directory?.remove()
        directory = nil
    }

    private var indexPath: String { directory.file("index") }

    /// Builds from `sources`, collecting bad records.
    @discardableResult
    private func build(_ sources: [String], strict: Bool = false, bad: inout [BadRecord]) throws -> BuildSummary {
        var options = BuildOptions()
        options.strict = strict
        var collected: [BadRecord] = []
        defer { bad = collected }
        return try IndexBuilder.build(sources: sources, indexPath: indexPath, options: options,
                                      onBadRecord: { collected.append($0) })
    }

    @discardableResult
    private func build(_ sources: [String], strict: Bool = false) throws -> BuildSummary {
        var bad: [BadRecord] = []
        let summary = try build(sources, strict: strict, bad: &bad)
        XCTAssertEqual(bad, [], "unexpected bad records")
        return summary
    }

    private func writeCorpus(_ name: String = "corpus.jsonl", documentCount: Int = 400, seed: UInt64 = 1) throws -> (path: String, corpus: GeneratedCorpus) {
        let corpus = GeneratedCorpus(documentCount: documentCount, seed: seed)
        try directory.write(name, corpus.jsonLines)
        return (directory.file(name), corpus)
    }

    private func current() throws -> String? {
        let path = indexPath + "/CURRENT"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func generationDirectories() throws -> [String] {
        guard FileManager.default.fileExists(atPath: indexPath) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: indexPath).filter { $0.hasPrefix("gen-") }.sorted()
    }

    // MARK: round trip

    /// One field of one document as the analyzer sees it.
    private struct Posting: Equatable {
        var docID: UInt32
        var positions: [UInt32]
    }

    func testEveryFileRoundTripsAgainstBruteForceInversion() throws {
        // Documents with extra stored fields, unicode and an empty title among generated ones.
        let corpus = GeneratedCorpus(documentCount: 500, seed: 42)
        var lines: [String] = []
        var expectedFields: [[StoredField]] = []
        var expectedIDs: [String] = []
        for (i, document) in corpus.documents.enumerated() {
            var title = document.title, body = document.body
            if i == 3 { title = "Naïve café — Ünïcode ÉLAN"; body += " façade résumé 日本語 東京" }
            var object: [String: Any] = ["id": document.id, "title": title, "body": body]
            var fields = [StoredField(name: "title", value: title), StoredField(name: "body", value: body)]
            if i % 10 == 0 {
                object["url"] = "https://example.org/\(i)"
                fields.append(StoredField(name: "url", value: "https://example.org/\(i)"))
            }
            lines.append(jsonLine(object))
            expectedFields.append(fields)
            expectedIDs.append(document.id)
        }
        try directory.write("docs.jsonl", lines.joined(separator: "\n") + "\n")
        let summary = try build([directory.file("docs.jsonl")])
        XCTAssertEqual(summary.generation, "gen-000001")
        XCTAssertEqual(summary.documents, 500)

        let reader = try IndexReader.openCurrent(indexPath: indexPath)
        XCTAssertEqual(reader.generationName, "gen-000001")
        XCTAssertEqual(reader.docCount, 500)
        XCTAssertEqual(reader.meta.docs, 500)
        for docID in 0..<reader.docCount {
            XCTAssertEqual(reader.externalID(UInt32(docID)), expectedIDs[docID])
            XCTAssertEqual(try reader.storedFields(UInt32(docID)), expectedFields[docID], "doc \(docID)")
        }

        // Brute-force inversion with the same analyzer.
        let analyzer = try Analyzer(settings: .default)
        var inverted: [IndexField: [String: [Posting]]] = [.title: [:], .body: [:]]
        var lengths: [IndexField: [UInt32]] = [.title: [], .body: []]
        for (docID, fields) in expectedFields.enumerated() {
            for field in IndexField.allCases {
                let text = fields.first { $0.name == field.name }!.value
                let tokens = analyzer.tokens(in: text)
                lengths[field]!.append(UInt32(tokens.count))
                var byTerm: [String: [UInt32]] = [:]
                for token in tokens { byTerm[token.term, default: []].append(UInt32(token.position)) }
                for (term, positions) in byTerm {
                    inverted[field]![term, default: []].append(Posting(docID: UInt32(docID), positions: positions.sorted()))
                }
            }
        }

        var termTotal = 0
        var buffer: [UInt32] = []
        for field in IndexField.allCases {
            let expected = inverted[field]!
            termTotal += expected.count
            // Norms.
            let pointer = try XCTUnwrap(reader.fieldLengths(field))
            XCTAssertEqual(Array(UnsafeBufferPointer(start: pointer, count: reader.docCount)), lengths[field]!, "\(field.name) lengths")
            XCTAssertEqual(reader.meta.fields.first { $0.id == Int(field.rawValue) }?.length_sum,
                           lengths[field]!.reduce(0) { $0 + UInt64($1) })
            // The dictionary holds exactly the expected terms of the field.
            var listed: [String] = []
            try reader.terms.forEach(withPrefix: [field.rawValue]) { key, _ in
                listed.append(String(decoding: key.dropFirst(), as: UTF8.self))
                return true
            }
            XCTAssertEqual(Set(listed), Set(expected.keys), "\(field.name) terms")
            XCTAssertEqual(listed.count, expected.count)
            // Every term's postings, tfs and positions.
            for (term, postings) in expected {
                let info = try XCTUnwrap(try reader.postingsInfo(field: field, term: term), "\(field.name):\(term)")
                XCTAssertEqual(info.docFreq, postings.count, "\(field.name):\(term)")
                let cursor = try reader.cursor(info)
                for (i, posting) in postings.enumerated() {
                    let doc = i == 0 ? cursor.docID : cursor.next()
                    XCTAssertEqual(doc, posting.docID, "\(field.name):\(term) #\(i)")
                    XCTAssertEqual(cursor.termFrequency, UInt32(posting.positions.count), "\(field.name):\(term) #\(i)")
                    XCTAssertTrue(cursor.positions(into: &buffer))
                    XCTAssertEqual(buffer, posting.positions, "\(field.name):\(term) #\(i)")
                }
                XCTAssertEqual(cursor.next(), PostingCursor.end, "\(field.name):\(term)")
            }
        }
        XCTAssertEqual(reader.terms.termCount, termTotal)
        XCTAssertEqual(reader.meta.terms, termTotal)
        XCTAssertNil(try reader.postingsInfo(field: .body, term: "nosuchtermanywhere"))
        // Frequent words span several 128-document blocks (the corpus is Zipf-distributed).
        XCTAssertGreaterThan(inverted[.body]!.values.map(\.count).max()!, 128)
    }

    func testEmptySourceBuildsAnEmptyGeneration() throws {
        try directory.write("empty.jsonl", "")
        try build([directory.file("empty.jsonl")])
        let reader = try IndexReader.openCurrent(indexPath: indexPath)
        XCTAssertEqual(reader.docCount, 0)
        XCTAssertEqual(reader.terms.termCount, 0)
    }

    func testNoIndexYetIsReported() {
        XCTAssertThrowsError(try IndexReader.openCurrent(indexPath: indexPath)) { error in
            XCTAssertEqual((error as? IndexError)?.code, .noIndex)
        }
    }

    // MARK: corruption

    func testDamagedFilesAreRejectedNamingTheFile() throws {
        try build([try writeCorpus(documentCount: 300).path])
        XCTAssertNoThrow(try IndexReader.openCurrent(indexPath: indexPath))
        let generation = indexPath + "/gen-000001/"
        var random = SeededGenerator(seed: 77)
        for file in ["meta"] + IndexFile.allCases.map(\.rawValue) {
            let path = generation + file
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            XCTAssertGreaterThan(original.count, 32, file)
            var damages: [(String, Data)] = []
            for _ in 0..<3 {
                let offset = Int(random.next() % UInt64(original.count))
                var flipped = original
                flipped[offset] ^= UInt8(1 + random.next() % 255)
                damages.append(("flip byte \(offset)", flipped))
            }
            var firstFlipped = original
            firstFlipped[0] ^= 0x01
            damages.append(("flip byte 0", firstFlipped))
            var lastFlipped = original
            lastFlipped[original.count - 1] ^= 0x80
            damages.append(("flip last byte", lastFlipped))
            damages.append(("truncate by 1 byte", original.prefix(original.count - 1)))
            damages.append(("truncate to half", original.prefix(original.count / 2)))
            damages.append(("truncate to 0 bytes", Data()))
            for (what, bytes) in damages {
                try bytes.write(to: URL(fileURLWithPath: path))
                XCTAssertThrowsError(try IndexReader.openCurrent(indexPath: indexPath), "\(file): \(what)") { error in
                    guard let error = error as? IndexError else { return XCTFail("\(file): \(what): \(error)") }
                    XCTAssertTrue([.corrupt, .version].contains(error.code), "\(file): \(what): \(error)")
                    XCTAssertTrue(error.message.contains("'\(file)'"), "\(file): \(what): message does not name the file: \(error)")
                    XCTAssertTrue(error.message.contains("gen-000001"), "\(file): \(what): \(error)")
                }
            }
            try original.write(to: URL(fileURLWithPath: path))
            XCTAssertNoThrow(try IndexReader.openCurrent(indexPath: indexPath), "\(file) restored")
        }
    }

    /// An index written by the previous format version (1: whole-block stored fields) is
    /// refused at open with a message that says which side is older and what to do.
    func testIndexOfThePreviousFormatVersionIsRefusedClearly() throws {
        try build([try writeCorpus(documentCount: 20).path])
        let metaPath = indexPath + "/gen-000001/meta"
        var meta = try IndexMeta.decode(Array(try Data(contentsOf: URL(fileURLWithPath: metaPath))))
        meta.format_version = Int(FileFrame.formatVersion) - 1
        try Data(try meta.encoded()).write(to: URL(fileURLWithPath: metaPath))
        XCTAssertThrowsError(try IndexReader.openCurrent(indexPath: indexPath)) { error in
            guard let error = error as? IndexError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.code, .version, "\(error)")
            XCTAssertTrue(error.message.contains("the index is older than this program"), error.message)
            XCTAssertTrue(error.message.contains("rebuild the index"), error.message)
        }
    }

    func testMissingFileIsRejectedNamingTheFile() throws {
        try build([try writeCorpus(documentCount: 50).path])
        let path = indexPath + "/gen-000001/positions"
        try FileManager.default.removeItem(atPath: path)
        XCTAssertThrowsError(try IndexReader.openCurrent(indexPath: indexPath)) { error in
            XCTAssertTrue("\(error)".contains("'positions'"), "\(error)")
        }
    }

    // MARK: bad records

    /// Good records interleaved with broken JSON, invalid UTF-8, a missing id, a duplicate id,
    /// a blank line and a 100 MB line.
    private func writeMalformedSource() throws -> (path: String, goodIDs: [String: String]) {
        let path = directory.file("mixed.jsonl")
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        func line(_ text: String) { handle.write(Data((text + "\n").utf8)) }
        // id -> a word only that document holds.
        let goodIDs = ["good-1": "aardvarkish", "good-2": "brontosaur", "good-3": "cormorant", "good-4": "dromedary", "good-5": "echidna"]
        line(jsonLine(["id": "good-1", "title": "First", "body": "the aardvarkish one"]))            // 1
        line(#"{"id": "broken", "title": "no end"#)                                                  // 2 broken JSON
        line(jsonLine(["id": "good-2", "title": "Second", "body": "a brontosaur"]))                 // 3
        var invalid = Array(#"{"id":"bad-utf8","body":"caf"#.utf8)
        invalid += [0xC3, 0x28, 0xFF]
        invalid += Array("\"}\n".utf8)
        handle.write(Data(invalid))                                                                   // 4 invalid UTF-8
        line(jsonLine(["title": "No id here", "body": "orphan"]))                                    // 5 no id
        line(jsonLine(["id": "good-1", "title": "Again", "body": "duplicate"]))                      // 6 duplicate id
        line(jsonLine(["id": "good-3", "title": "Third", "body": "cormorant"]))                      // 7
        // 8: a 100 MB line, written in 1 MiB chunks.
        handle.write(Data(#"{"id":"huge","body":""#.utf8))
        let chunk = Data(repeating: UInt8(ascii: "a"), count: 1 << 20)
        for _ in 0..<100 { handle.write(chunk) }
        handle.write(Data("\"}\n".utf8))
        line(jsonLine(["id": "good-4", "title": "Fourth", "body": "dromedary"]))                     // 9
        line("")                                                                                     // 10 blank: skipped
        line("not json at all")                                                                      // 11
        line(jsonLine(["id": "good-5", "title": "Fifth", "body": "echidna"]))                        // 12
        return (path, goodIDs)
    }

    func testBadRecordsAreReportedWithLineNumbersAndSkipped() throws {
        let (path, goodIDs) = try writeMalformedSource()
        var bad: [BadRecord] = []
        let summary = try build([path], bad: &bad)
        XCTAssertEqual(bad.map(\.origin.line), [2, 4, 5, 6, 8, 11], "\(bad)")
        XCTAssertTrue(bad.allSatisfy { $0.origin.file == path })
        let reasons = bad.map(\.reason)
        if reasons.count == 6 {
            XCTAssertTrue(reasons[0].contains("invalid JSON"), reasons[0])
            XCTAssertTrue(reasons[1].contains("invalid UTF-8"), reasons[1])
            XCTAssertTrue(reasons[2].contains("missing id"), reasons[2])
            XCTAssertTrue(reasons[3].contains("duplicate id 'good-1'"), reasons[3])
            XCTAssertTrue(reasons[4].contains("over the limit"), reasons[4])
            XCTAssertTrue(reasons[5].contains("invalid JSON"), reasons[5])
        }
        for record in bad {
            XCTAssertTrue(record.description.hasPrefix("\(path):\(record.origin.line): "), record.description)
        }
        XCTAssertEqual(summary.badRecords, 6)
        XCTAssertEqual(summary.documents, goodIDs.count)

        // Every good document is there and findable by its own word.
        let reader = try IndexReader.openCurrent(indexPath: indexPath)
        XCTAssertEqual(reader.docCount, goodIDs.count)
        let docIDs = Dictionary(uniqueKeysWithValues: (0..<reader.docCount).map { (reader.externalID(UInt32($0)), UInt32($0)) })
        XCTAssertEqual(Set(docIDs.keys), Set(goodIDs.keys))
        let analyzer = try Analyzer(settings: .default)
        for (id, word) in goodIDs {
            let term = try XCTUnwrap(analyzer.tokens(in: word).first?.term)
            let info = try XCTUnwrap(try reader.postingsInfo(field: .body, term: term), "\(id): \(term)")
            XCTAssertEqual(info.docFreq, 1)
            XCTAssertEqual(try reader.cursor(info).docID, docIDs[id], id)
        }
        // The first good-1 wins over the duplicate.
        XCTAssertEqual(try reader.storedFields(docIDs["good-1"]!).first?.value, "First")
    }

    func testStrictBuildPublishesNothing() throws {
        let (path, _) = try writeMalformedSource()
        // No previous generation: CURRENT stays absent.
        var bad: [BadRecord] = []
        XCTAssertThrowsError(try build([path], strict: true, bad: &bad)) { error in
            XCTAssertEqual((error as? IndexError)?.code, .badRecords, "\(error)")
        }
        XCTAssertEqual(bad.count, 6, "bad records are still reported under --strict")
        XCTAssertNil(try current())
        XCTAssertEqual(try generationDirectories(), [])

        // With a previous generation: CURRENT still names it.
        try build([try writeCorpus(documentCount: 20).path])
        XCTAssertEqual(try current(), "gen-000001")
        XCTAssertThrowsError(try build([path], strict: true, bad: &bad)) { error in
            XCTAssertEqual((error as? IndexError)?.code, .badRecords, "\(error)")
        }
        XCTAssertEqual(try current(), "gen-000001")
        XCTAssertEqual(try generationDirectories(), ["gen-000001"])
        XCTAssertEqual(try IndexReader.openCurrent(indexPath: indexPath).docCount, 20)
    }

    // MARK: publishing

    func testPublishingKeepsTheLiveAndThePreviousGeneration() throws {
        let source = try writeCorpus(documentCount: 30).path
        XCTAssertEqual(try build([source]).generation, "gen-000001")
        XCTAssertEqual(try current(), "gen-000001")

        let second = try build([source])
        XCTAssertEqual(second.generation, "gen-000002")
        XCTAssertEqual(try current(), "gen-000002")
        XCTAssertEqual(try generationDirectories(), ["gen-000001", "gen-000002"])
        XCTAssertEqual(second.removedGenerations, [])

        let third = try build([source])
        XCTAssertEqual(third.generation, "gen-000003")
        XCTAssertEqual(try current(), "gen-000003")
        XCTAssertEqual(try generationDirectories(), ["gen-000002", "gen-000003"])
        XCTAssertEqual(third.removedGenerations, ["gen-000001"])
        XCTAssertEqual(try IndexReader.openCurrent(indexPath: indexPath).generationName, "gen-000003")
        XCTAssertFalse(FileManager.default.fileExists(atPath: indexPath + "/CURRENT.tmp"))
    }

    func testLeftoverHalfWrittenGenerationIsRemovedAndNeverPublished() throws {
        let source = try writeCorpus(documentCount: 30).path
        try build([source])
        // A crash mid-build: a generation newer than CURRENT, with junk in it.
        let leftover = indexPath + "/gen-000009"
        try FileManager.default.createDirectory(atPath: leftover, withIntermediateDirectories: true)
        try Data("junk".utf8).write(to: URL(fileURLWithPath: leftover + "/postings"))
        try Data("{\"half".utf8).write(to: URL(fileURLWithPath: leftover + "/meta"))

        let summary = try build([source])
        XCTAssertFalse(FileManager.default.fileExists(atPath: leftover), "the leftover generation is removed")
        XCTAssertNotEqual(summary.generation, "gen-000009")
        XCTAssertEqual(try current(), summary.generation)
        XCTAssertEqual(try generationDirectories(), ["gen-000001", summary.generation])
        XCTAssertEqual(try IndexReader.openCurrent(indexPath: indexPath).docCount, 30)
    }

    func testLeftoverGenerationWithoutAnyCurrentIsRemoved() throws {
        let leftover = indexPath + "/gen-000001"
        try FileManager.default.createDirectory(atPath: leftover, withIntermediateDirectories: true)
        try Data("junk".utf8).write(to: URL(fileURLWithPath: leftover + "/terms"))
        try build([try writeCorpus(documentCount: 10).path])
        XCTAssertEqual(try current(), "gen-000001")
        XCTAssertEqual(try IndexReader.openCurrent(indexPath: indexPath).docCount, 10, "a fresh gen-000001, not the junk")
    }

    func testSecondWriterIsLockedOut() throws {
        let source = try writeCorpus(documentCount: 10).path
        let lock = try IndexDirectory(path: indexPath).lockForWriting()
        XCTAssertThrowsError(try build([source])) { error in
            XCTAssertEqual((error as? IndexError)?.code, .locked, "\(error)")
        }
        XCTAssertNil(try current())
        XCTAssertEqual(try generationDirectories(), [])
        lock.release()
        XCTAssertEqual(try build([source]).generation, "gen-000001")
    }
}
