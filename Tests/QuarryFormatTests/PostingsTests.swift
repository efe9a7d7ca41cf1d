import QuarryFormat
import QuarryTestSupport
import XCTest

/// PostingsEncoder + PostingCursor round trips against the lists they were built from.
final class PostingsTests: XCTestCase {
    /// One term's list as built by hand.
    struct TermList {
        var docIDs: [UInt32] = []
        var termFrequencies: [UInt32] = []
        /// Positions per document.
        var positions: [[UInt32]] = []
        var info = TermPostingsInfo(docFreq: 0, postingsOffset: 0, positionsOffset: 0)
    }

    static let docFreqs = [1, 2, 127, 128, 129, 1000, 5000]

    /// Field length of a document: a fixed pseudo-random function, so the encoder and the
    /// brute-force bounds agree.
    static func fieldLength(_ docID: UInt32) -> UInt32 {
        var generator = SeededGenerator(seed: UInt64(docID) &* 31 &+ 5)
        return UInt32(1 + generator.next() % 500)
    }

    /// Builds the lists, encodes them one after another into framed postings and positions files.
    static func makeLists(seed: UInt64) -> (lists: [TermList], postings: [UInt8], positions: [UInt8]) {
        var random = SeededGenerator(seed: seed)
        var postings = ByteWriter()
        var positionsOut = ByteWriter()
        var lists: [TermList] = []
        for (termIndex, docFreq) in docFreqs.enumerated() {
            var list = TermList()
            var doc: UInt32 = termIndex % 2 == 0 ? 0 : UInt32(random.next() % 1000)
            for i in 0..<docFreq {
                if i > 0 {
                    // Mostly small gaps, sometimes wide ones (wide doc-id widths), once a huge one.
                    let gap: UInt64 = random.next() % 10 == 0 ? 1 + random.next() % 100_000 : 1 + random.next() % 4
                    doc += UInt32(gap)
                    if i == docFreq / 2 && docFreq > 100 { doc += 1 << 24 }
                }
                let tf: UInt32 = random.next() % 50 == 0 ? UInt32(20 + random.next() % 300) : UInt32(1 + random.next() % 3)
                var position = UInt32(random.next() % 5)
                var docPositions: [UInt32] = []
                for _ in 0..<tf {
                    docPositions.append(position)
                    // Gaps of 1 to 4 varint bytes (the decoder has a path for each length).
                    let spread: UInt64 = random.next() % 400 == 0 ? 30_000_000 : (random.next() % 20 == 0 ? 100_000 : 10)
                    position += UInt32(1 + random.next() % spread)
                }
                list.docIDs.append(doc)
                list.termFrequencies.append(tf)
                list.positions.append(docPositions)
            }
            list.info = TermPostingsInfo(docFreq: docFreq,
                                         postingsOffset: UInt64(FileFrame.headerByteCount + postings.count),
                                         positionsOffset: UInt64(FileFrame.headerByteCount + positionsOut.count))
            PostingsEncoder.encode(docIDs: list.docIDs, termFrequencies: list.termFrequencies,
                                   positions: list.positions.flatMap { $0 }, fieldLength: fieldLength,
                                   postings: &postings, positionsOut: &positionsOut)
            lists.append(list)
        }
        return (lists,
                FileFrame.frame(magic: PostingsFormat.postingsMagic, generation: 1, body: postings.bytes),
                FileFrame.frame(magic: PostingsFormat.positionsMagic, generation: 1, body: positionsOut.bytes))
    }

    /// Calls `body` with a cursor factory over the framed files.
    static func withCursors(_ postings: [UInt8], _ positions: [UInt8],
                            _ body: ((TermPostingsInfo) throws -> PostingCursor) throws -> Void) throws {
        try postings.withUnsafeBytes { postingsFile in
            try positions.withUnsafeBytes { positionsFile in
                let postingsBody = try FileFrame.verify(postingsFile, file: "postings", magic: PostingsFormat.postingsMagic, generation: 1)
                let positionsBody = try FileFrame.verify(positionsFile, file: "positions", magic: PostingsFormat.positionsMagic, generation: 1)
                try body { info in
                    try PostingCursor(info: info, postings: postingsFile, postingsBody: postingsBody,
                                      positions: positionsFile, positionsBody: positionsBody)
                }
            }
        }
    }

    func testNextVisitsEveryDocumentWithItsTFAndPositions() throws {
        let (lists, postings, positions) = Self.makeLists(seed: 1)
        try Self.withCursors(postings, positions) { open in
            for list in lists {
                let cursor = try open(list.info)
                XCTAssertEqual(cursor.docFreq, list.docIDs.count)
                XCTAssertEqual(cursor.blockCount, (list.docIDs.count + 127) / 128)
                var buffer: [UInt32] = []
                for i in list.docIDs.indices {
                    let doc = i == 0 ? cursor.docID : cursor.next()
                    XCTAssertEqual(doc, list.docIDs[i], "docFreq \(list.docIDs.count), index \(i)")
                    XCTAssertEqual(cursor.docID, doc)
                    XCTAssertEqual(cursor.termFrequency, list.termFrequencies[i], "docFreq \(list.docIDs.count), index \(i)")
                    // Positions of every other document only: the lazy skip over unread documents is exercised too.
                    if i % 2 == 0 || i % 128 == 127 {
                        XCTAssertTrue(cursor.positions(into: &buffer))
                        XCTAssertEqual(buffer, list.positions[i], "docFreq \(list.docIDs.count), index \(i)")
                    }
                }
                XCTAssertEqual(cursor.next(), PostingCursor.end)
                XCTAssertEqual(cursor.next(), PostingCursor.end, "stays at the end")
                XCTAssertFalse(cursor.isCorrupt)
                XCTAssertTrue(cursor.positions(into: &buffer))
                XCTAssertEqual(buffer, [], "no positions at the end")
            }
        }
    }

    /// alignOnCommon visits exactly the documents both lists hold, from any start, with both
    /// cursors on each (tfs and positions readable there), for every pair of generated lists.
    func testAlignOnCommonVisitsTheIntersection() throws {
        let (lists, postings, positions) = Self.makeLists(seed: 5)
        var random = SeededGenerator(seed: 6)
        var visited = 0
        try Self.withCursors(postings, positions) { open in
            for (i, first) in lists.enumerated() {
                for second in lists[i...] {
                    let expected = Set(first.docIDs).intersection(second.docIDs).sorted()
                    let start = random.next() % 3 == 0 ? UInt32(truncatingIfNeeded: random.next() % 2_000_000) : 0
                    let a = try open(first.info), b = try open(second.info)
                    var got: [UInt32] = []
                    var doc = PostingCursor.alignOnCommon(a, b, atLeast: start)
                    while doc != PostingCursor.end {
                        XCTAssertEqual(a.docID, doc)
                        XCTAssertEqual(b.docID, doc)
                        let index = first.docIDs.firstIndex(of: doc)!
                        XCTAssertEqual(a.termFrequency, first.termFrequencies[index])
                        if got.count % 7 == 0 {
                            var buffer: [UInt32] = []
                            XCTAssertTrue(a.positions(into: &buffer))
                            XCTAssertEqual(buffer, first.positions[index])
                        }
                        got.append(doc)
                        doc = PostingCursor.alignOnCommon(a, b, atLeast: doc + 1)
                    }
                    XCTAssertEqual(got, expected.filter { $0 >= start }, "lists of \(first.docIDs.count) and \(second.docIDs.count) from \(start)")
                    visited += got.count
                }
            }
        }
        XCTAssertGreaterThan(visited, 1000, "the generated lists barely overlap: the check would be vacuous")
    }

    func testBlockBoundsMatchBruteForce() throws {
        let (lists, postings, positions) = Self.makeLists(seed: 2)
        try Self.withCursors(postings, positions) { open in
            for list in lists {
                let cursor = try open(list.info)
                let blockCount = cursor.blockCount
                for block in 0..<blockCount {
                    let range = (block * 128)..<min((block + 1) * 128, list.docIDs.count)
                    XCTAssertEqual(cursor.blockLastDocID(block), list.docIDs[range.last!], "docFreq \(list.docIDs.count) block \(block)")
                    XCTAssertEqual(cursor.blockMaxTF(block), list.termFrequencies[range].max()!, "docFreq \(list.docIDs.count) block \(block)")
                    // Single-block lists carry no skip entry: 0 means "unknown" (documented).
                    let expectedMinLength = blockCount == 1 ? 0 : list.docIDs[range].map(Self.fieldLength).min()!
                    XCTAssertEqual(cursor.blockMinFieldLength(block), expectedMinLength, "docFreq \(list.docIDs.count) block \(block)")
                }
                // block(containing:) reads skip entries only.
                for (i, doc) in list.docIDs.enumerated() where i % 37 == 0 {
                    XCTAssertEqual(cursor.block(containing: doc), i / 128)
                }
                XCTAssertEqual(cursor.block(containing: list.docIDs.last! + 1), blockCount)
            }
        }
    }

    func testAdvanceToRandomTargetsMatchesBruteForce() throws {
        let (lists, postings, positions) = Self.makeLists(seed: 3)
        var random = SeededGenerator(seed: 33)
        try Self.withCursors(postings, positions) { open in
            for list in lists {
                for round in 0..<20 {
                    let cursor = try open(list.info)
                    let last = list.docIDs.last!
                    var index = 0   // brute force: index of the cursor's document in list.docIDs
                    var buffer: [UInt32] = []
                    while true {
                        let step = random.next() % 10
                        if step == 0 {
                            // Sometimes next() in between.
                            index += 1
                            let doc = cursor.next()
                            if index >= list.docIDs.count { XCTAssertEqual(doc, PostingCursor.end); break }
                            XCTAssertEqual(doc, list.docIDs[index])
                            continue
                        }
                        let target: UInt32
                        switch random.next() % 4 {
                        case 0: target = list.docIDs[Int(random.next() % UInt64(list.docIDs.count))]    // exact hit (maybe behind)
                        case 1: target = UInt32(random.next() % (UInt64(last) + 2))                     // anywhere, incl. gaps
                        case 2: target = list.docIDs[index] &+ UInt32(random.next() % 3000)              // nearby
                        default: target = list.docIDs[min(index + Int(random.next() % 300), list.docIDs.count - 1)] + 1
                        }
                        let doc = cursor.advance(toAtLeast: target)
                        if list.docIDs[index] < target {
                            index = list.docIDs.firstIndex { $0 >= target } ?? list.docIDs.count
                        }
                        if index >= list.docIDs.count {
                            XCTAssertEqual(doc, PostingCursor.end, "docFreq \(list.docIDs.count) round \(round) target \(target)")
                            break
                        }
                        XCTAssertEqual(doc, list.docIDs[index], "docFreq \(list.docIDs.count) round \(round) target \(target)")
                        XCTAssertEqual(cursor.termFrequency, list.termFrequencies[index])
                        if random.next() % 2 == 0 {
                            XCTAssertTrue(cursor.positions(into: &buffer))
                            XCTAssertEqual(buffer, list.positions[index], "docFreq \(list.docIDs.count) index \(index)")
                        }
                    }
                    XCTAssertEqual(cursor.docID, PostingCursor.end)
                    XCTAssertEqual(cursor.advance(toAtLeast: 0), PostingCursor.end, "never moves backwards")
                    XCTAssertFalse(cursor.isCorrupt)
                }
                // Past the end in one jump, and to `end` itself.
                let cursor = try open(list.info)
                XCTAssertEqual(cursor.advance(toAtLeast: list.docIDs.last! + 1), PostingCursor.end)
                let other = try open(list.info)
                XCTAssertEqual(other.advance(toAtLeast: PostingCursor.end), PostingCursor.end)
                let exact = try open(list.info)
                XCTAssertEqual(exact.advance(toAtLeast: list.docIDs.last!), list.docIDs.last!)
            }
        }
    }

    /// The worked example in Postings.swift: docs 7 and 11 with tf 1 and 3.
    func testDocumentedExampleBytes() {
        var postings = ByteWriter()
        var positions = ByteWriter()
        PostingsEncoder.encode(docIDs: [7, 11], termFrequencies: [1, 3], positions: [4, 0, 5, 9],
                               fieldLength: { _ in 10 }, postings: &postings, positionsOut: &positions)
        XCTAssertEqual(postings.bytes, [0x03, 0x02, 0x27, 0x08])
        XCTAssertEqual(positions.bytes, [0x04, 0x00, 0x05, 0x04])
    }

    func testTermOutsideTheFileIsRejectedAtCursorCreation() throws {
        let (lists, postings, positions) = Self.makeLists(seed: 4)
        try Self.withCursors(postings, positions) { open in
            var info = lists[0].info
            info.postingsOffset = UInt64(postings.count)
            XCTAssertThrowsError(try open(info))
            info = lists[0].info
            info.positionsOffset = UInt64.max
            XCTAssertThrowsError(try open(info))
            info = lists[0].info
            info.docFreq = 0
            XCTAssertThrowsError(try open(info))
        }
    }
}
