import QuarryFormat
import QuarryTestSupport
import XCTest

/// Decoders never read past their input, even on corrupt data (STYLE §3): valid files with
/// random bytes changed, handed to the readers without the checksum check (as if the file
/// changed after it was verified), must throw or answer, never trap.
final class CorruptInputFuzzTests: XCTestCase {
    /// `file` with 1...4 random bytes changed inside the body (header and footer kept, so the
    /// 16-byte footer padding the decoders rely on is still there).
    private func mutated(_ file: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        var bytes = file
        let bodyCount = bytes.count - FileFrame.headerByteCount - FileFrame.footerByteCount
        guard bodyCount > 0 else { return bytes }
        for _ in 0..<(1 + Int(random.next() % 4)) {
            let offset = FileFrame.headerByteCount + Int(random.next() % UInt64(bodyCount))
            bytes[offset] = random.next() % 3 == 0 ? 0xFF : UInt8(truncatingIfNeeded: random.next())
        }
        return bytes
    }

    private func body(_ bytes: UnsafeRawBufferPointer) -> Range<Int> {
        FileFrame.headerByteCount..<(bytes.count - FileFrame.footerByteCount)
    }

    func testDamagedTermDictionaryThrowsOrAnswers() {
        let keys = TermDictionaryTests.makeKeys(count: 300, seed: 8)
        let (file, _) = TermDictionaryTests.makeDictionary(keys, seed: 9)
        var random = SeededGenerator(seed: 10)
        for _ in 0..<1500 {
            let damaged = mutated(file, using: &random)
            damaged.withUnsafeBytes { bytes in
                guard let dictionary = try? TermDictionary(file: bytes, body: body(bytes)) else { return }
                for key in keys.prefix(20) + [[0], [2, 0x7A], [5]] { _ = try? dictionary.lookup(key) }
                var visited = 0
                try? dictionary.forEach(withPrefix: [1]) { _, _ in visited += 1; return visited < 10_000 }
            }
        }
    }

    func testDamagedIDsAndNormsThrowOrAnswer() {
        let idsFile = FileFrame.frame(magic: IDsFormat.magic, generation: 1, body: IDsFormat.body(ids: (0..<50).map { "id-\($0)" }))
        let normsFile = FileFrame.frame(magic: NormsFormat.magic, generation: 1,
                                        body: NormsFormat.body(lengths: [[UInt32](repeating: 3, count: 50), [UInt32](repeating: 9, count: 50)], docCount: 50))
        var random = SeededGenerator(seed: 11)
        for _ in 0..<2000 {
            mutated(idsFile, using: &random).withUnsafeBytes { bytes in
                guard let ids = try? IDsReader(file: bytes, body: body(bytes)) else { return }
                for docID in 0..<ids.docCount { _ = ids.id(UInt32(docID)) }
            }
            mutated(normsFile, using: &random).withUnsafeBytes { bytes in
                guard let norms = try? NormsReader(file: bytes, body: body(bytes)) else { return }
                for field in 0..<norms.fieldCount {
                    if let lengths = norms.lengths(field: field), norms.docCount > 0 { _ = lengths[norms.docCount - 1] }
                }
            }
        }
    }

    /// next(), advance(toAtLeast:) and positions(into:) over damaged postings and positions.
    func testDamagedPostingsNextAdvanceAndPositionsThrowOrStop() throws {
        let (lists, postings, positions) = PostingsTests.makeLists(seed: 12)
        var random = SeededGenerator(seed: 13)
        var buffer: [UInt32] = []
        for round in 0..<150 {
            let damagedPostings = round % 2 == 0 ? mutated(postings, using: &random) : postings
            let damagedPositions = round % 2 == 1 || round % 3 == 0 ? mutated(positions, using: &random) : positions
            damagedPostings.withUnsafeBytes { postingsFile in
                damagedPositions.withUnsafeBytes { positionsFile in
                    for list in lists {
                        guard let cursor = try? PostingCursor(info: list.info, postings: postingsFile, postingsBody: body(postingsFile),
                                                              positions: positionsFile, positionsBody: body(positionsFile)) else { continue }
                        var steps = 0
                        while cursor.docID != PostingCursor.end && steps <= list.docIDs.count {
                            _ = cursor.termFrequency
                            if steps % 3 == 0 { cursor.positions(into: &buffer) }
                            for block in 0..<cursor.blockCount where steps == 0 {
                                _ = cursor.blockLastDocID(block); _ = cursor.blockMaxTF(block); _ = cursor.blockMinFieldLength(block)
                            }
                            if steps % 2 == 0 {
                                cursor.next()
                            } else {
                                cursor.advance(toAtLeast: cursor.docID &+ 1 &+ UInt32(random.next() % 300))
                            }
                            steps += 1
                        }
                        XCTAssertLessThanOrEqual(steps, list.docIDs.count, "a cursor yields at most docFreq documents")
                    }
                }
            }
        }
    }

    /// Regression (found by the e2e suite): a skip entry claiming LastDocID 1000 for a block
    /// whose docs end at 127 made advance(toAtLeast: 500) scan past the block buffer and return
    /// garbage (529). It must stop, exhausted and marked corrupt.
    func testAdvanceTrustsNoLyingSkipEntry() throws {
        var postings = ByteWriter()
        var positions = ByteWriter()
        let docs = (0...128).map { UInt32($0) }
        PostingsEncoder.encode(docIDs: docs, termFrequencies: docs.map { _ in 1 }, positions: docs.map { _ in 0 },
                               fieldLength: { _ in 1 }, postings: &postings, positionsOut: &positions)
        var postingsBytes = postings.bytes
        // Skip entry 0, LastDocID (bytes 0..<4 of the term's postings): 127 -> 1000.
        postingsBytes.replaceSubrange(0..<4, with: [0xE8, 0x03, 0, 0])
        let postingsFile = FileFrame.frame(magic: PostingsFormat.postingsMagic, generation: 1, body: postingsBytes)
        let positionsFile = FileFrame.frame(magic: PostingsFormat.positionsMagic, generation: 1, body: positions.bytes)
        let info = TermPostingsInfo(docFreq: docs.count, postingsOffset: UInt64(FileFrame.headerByteCount),
                                    positionsOffset: UInt64(FileFrame.headerByteCount))
        try postingsFile.withUnsafeBytes { p in
            try positionsFile.withUnsafeBytes { x in
                let cursor = try PostingCursor(info: info, postings: p, postingsBody: body(p), positions: x, positionsBody: body(x))
                XCTAssertEqual(cursor.advance(toAtLeast: 500), PostingCursor.end)
                XCTAssertTrue(cursor.isCorrupt)
            }
        }
    }

    func testDamagedStoredFieldsThrowOrAnswer() {
        var writer = StoredFieldsWriter()
        var bodyBytes: [UInt8] = []
        let documents = (0..<60).map { i in
            [StoredField(name: "title", value: "title \(i)"),
             StoredField(name: "body", value: String(repeating: "word\(i % 7) ", count: (i * 37) % 300))]
        }
        for document in documents {
            if let block = writer.add(document) { bodyBytes += block }
        }
        bodyBytes += writer.finish()
        let file = FileFrame.frame(magic: StoredFieldsFormat.magic, generation: 1, body: bodyBytes)
        var random = SeededGenerator(seed: 14)
        for _ in 0..<2000 {
            mutated(file, using: &random).withUnsafeBytes { bytes in
                guard let reader = try? StoredFieldsReader(file: bytes, body: body(bytes)) else { return }
                for docID in 0...documents.count { _ = try? reader.document(UInt32(docID)) }
            }
        }
    }

    /// Regression (found by the e2e suite): a stored-fields block offset of 2^64 - 1 overflowed
    /// `offset + compressed` and trapped; it must throw.
    func testStoredBlockTableWithHugeOffsetThrows() throws {
        var writer = StoredFieldsWriter()
        _ = writer.add([StoredField(name: "title", value: "hello")])
        var bodyBytes = writer.finish()
        // Table: BlockCount u32, then FirstDocID u32, Offset u64 ... ; the table starts at the
        // offset stored in the last 8 bytes, relative to the file start (header included).
        let tableOffset = Int(bodyBytes.suffix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) - FileFrame.headerByteCount
        bodyBytes.replaceSubrange((tableOffset + 8)..<(tableOffset + 16), with: [UInt8](repeating: 0xFF, count: 8))
        let file = FileFrame.frame(magic: StoredFieldsFormat.magic, generation: 1, body: bodyBytes)
        let refused: Bool = file.withUnsafeBytes { bytes in
            (try? StoredFieldsReader(file: bytes, body: body(bytes))) == nil
        }
        XCTAssertTrue(refused, "a block offset of 2^64 - 1 is refused with an error")
    }
}
