import Foundation
import QuarryIndex
import QuarrySearch
import QuarryTestSupport
import XCTest

/// Reordering renumbers documents and nothing else: every query gives the same external ids
/// with the same scores (within 1e-5) on the reordered index as on the plain one.
final class ReorderedSearchTests: XCTestCase {
    static let tolerance: Float = 1e-5

    func testRandomQueriesGiveTheSameResultsOnAReorderedIndex() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let corpus = GeneratedCorpus(documentCount: 1200, seed: 21)
        try directory.write("docs.jsonl", corpus.jsonLines)
        func open(_ name: String, _ method: ReorderMethod) throws -> Searcher {
            var options = BuildOptions()
            options.reorder = ReorderOptions(method: method)
            options.reorder.minDocFreq = 2
            _ = try IndexBuilder.build(sources: [directory.file("docs.jsonl")], indexPath: directory.file(name), options: options)
            return try Searcher(reader: try IndexReader.openCurrent(indexPath: directory.file(name)), settings: SearchSettings())
        }
        let plain = try open("plain", .none)
        let reordered = try open("bp", .bp)
        var random = SeededGenerator(seed: 17)
        for queryIndex in 0..<150 {
            let wordCount = Int.random(in: 1...4, using: &random)
            let words = (0..<wordCount).map { _ in
                GeneratedCorpus.vocabulary[Int.random(in: 0..<(Bool.random(using: &random) ? 8 : 50), using: &random)]
            }
            let text: String
            switch queryIndex % 3 {
            case 0: text = words.joined(separator: " ")
            case 1: text = words.map { "+" + $0 }.joined(separator: " ")
            default: text = "\"" + words.prefix(3).joined(separator: " ") + "\""
            }
            for limit in [10, 5_000] {
                let options = SearchOptions(limit: limit, exactCount: limit > 10, snippets: false, fields: false)
                let expected = try plain.search(text, options: options)
                let found = try reordered.search(text, options: options)
                let context = "query #\(queryIndex) '\(text)' limit \(limit)"
                XCTAssertEqual(found.hits.count, expected.hits.count, context)
                // Rank by rank the scores agree; ties may come in another order, so ids are
                // compared as id -> score (all hits) and by score (top 10).
                for (hit, other) in zip(found.hits, expected.hits) {
                    XCTAssertEqual(hit.score, other.score, accuracy: Self.tolerance * max(1, other.score), context)
                }
                if limit > 10 {
                    XCTAssertEqual(found.total, expected.total, context)
                    let expectedScores = Dictionary(uniqueKeysWithValues: expected.hits.map { ($0.externalID, $0.score) })
                    for hit in found.hits {
                        guard let score = expectedScores[hit.externalID] else {
                            XCTFail("\(hit.externalID) found only on the reordered index: \(context)")
                            continue
                        }
                        XCTAssertEqual(hit.score, score, accuracy: Self.tolerance * max(1, score), "\(hit.externalID): \(context)")
                    }
                } else {
                    let tenth = expected.hits.last?.score ?? 0
                    let strictlyAbove = { (hits: [SearchHitResult]) in Set(hits.filter { $0.score > tenth + Self.tolerance * max(1, tenth) }.map(\.externalID)) }
                    XCTAssertEqual(strictlyAbove(found.hits), strictlyAbove(expected.hits), "top ids above the last score: \(context)")
                }
            }
        }
    }
}
