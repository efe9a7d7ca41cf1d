import Foundation
import QuarryIndex
import QuarrySearch
import QuarryTestSupport
import XCTest

/// Pruned top-k equals exhaustive top-k (same ids, same scores to the bit) over random corpora
/// and random queries: unions (both algorithms), conjunctions, phrases, mixes, with boosts,
/// field restrictions and field weights. A failing seed is printed so that it can become a
/// named regression test below.
final class PruningPropertyTests: XCTestCase {
    private func buildSearchers(documents: Int, seed: UInt64, in directory: TemporaryDirectory,
                                titleWeight: Float, bodyWeight: Float) throws -> (exhaustiveBase: Searcher, variants: [(String, Searcher)]) {
        let corpus = GeneratedCorpus(documentCount: documents, seed: seed)
        try directory.write("docs.jsonl", corpus.jsonLines)
        _ = try IndexBuilder.build(sources: [directory.file("docs.jsonl")], indexPath: directory.file("index"), options: BuildOptions())
        let reader = try IndexReader.openCurrent(indexPath: directory.file("index"))
        var base = SearchSettings()
        base.bm25 = BM25Parameters(k1: 1.2, b: 0.75, titleWeight: titleWeight, bodyWeight: bodyWeight)
        var variants: [(String, Searcher)] = []
        for algorithm in UnionAlgorithm.allCases {
            var settings = base
            settings.unionAlgorithm = algorithm
            variants.append((algorithm.rawValue, try Searcher(reader: reader, settings: settings)))
        }
        return (try Searcher(reader: reader, settings: base), variants)
    }

    /// A random query of one of several shapes over the generated vocabulary.
    static func randomQuery(_ random: inout SeededGenerator) -> String {
        let vocabulary = GeneratedCorpus.vocabulary
        func word() -> String { vocabulary[Int.random(in: 0..<(Bool.random(using: &random) ? 6 : 50), using: &random)] }
        func boost() -> String { Int.random(in: 0..<3, using: &random) == 0 ? "^\(Int.random(in: 1...4, using: &random))" : "" }
        func field() -> String { ["", "", "", "title:", "body:"][Int.random(in: 0..<5, using: &random)] }
        let size = Int.random(in: 1...4, using: &random)
        switch Int.random(in: 0..<5, using: &random) {
        case 0: return (0..<size).map { _ in field() + word() + boost() }.joined(separator: " OR ")
        case 1: return (0..<size).map { _ in "+" + field() + word() + boost() }.joined(separator: " ")
        case 2: return field() + "\"" + (0..<max(2, size)).map { _ in word() }.joined(separator: " ") + "\"" + boost()
        case 3: return "+" + word() + " " + (0..<size).map { _ in word() + boost() }.joined(separator: " ")
        default: return "(\(word()) OR \(word())\(boost())) AND \"\(word()) \(word())\" -\(word())"
        }
    }

    private func check(seed: UInt64, documents: Int, queries: Int, titleWeight: Float, bodyWeight: Float) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (exhaustiveSearcher, variants) = try buildSearchers(documents: documents, seed: seed, in: directory,
                                                                titleWeight: titleWeight, bodyWeight: bodyWeight)
        var random = SeededGenerator(seed: seed &* 31 &+ 7)
        for index in 0..<queries {
            let query = Self.randomQuery(&random)
            let limit = [1, 3, 10, 10, 50][index % 5]
            let exhaustive = try exhaustiveSearcher.search(query, options: SearchOptions(limit: limit, exactCount: true, snippets: false, fields: false))
            for (name, searcher) in variants {
                let pruned = try searcher.search(query, options: SearchOptions(limit: limit, exactCount: false, snippets: false, fields: false))
                let context = "seed \(seed), query #\(index) '\(query)' limit \(limit), \(name) (\(pruned.algorithm))"
                XCTAssertEqual(pruned.hits.map(\.externalID), exhaustive.hits.map(\.externalID), "ids: \(context)")
                XCTAssertEqual(pruned.hits.map(\.score), exhaustive.hits.map(\.score), "scores: \(context)")
                XCTAssertLessThanOrEqual(pruned.total, exhaustive.total, "lower bound: \(context)")
            }
        }
    }

    func testRandomCorporaAndQueries() throws {
        for seed: UInt64 in [11, 12, 13] {
            try check(seed: seed, documents: 700 + Int(seed % 3) * 400, queries: 120, titleWeight: 2, bodyWeight: 1)
        }
    }

    func testUnusualFieldWeights() throws {
        try check(seed: 21, documents: 900, queries: 80, titleWeight: 0.3, bodyWeight: 5)
        try check(seed: 22, documents: 600, queries: 60, titleWeight: 0, bodyWeight: 1)
    }
}
