import Foundation
import QuarryAnalysis
import QuarryIndex
import QuarrySearch
import QuarryTestSupport
import XCTest

/// The engine against an independent naive BM25, and pruned top-k against exhaustive top-k.
final class RankingTests: XCTestCase {
    static let tolerance = 1e-4

    private func buildIndex(_ corpus: GeneratedCorpus, in directory: TemporaryDirectory) throws -> IndexReader {
        try directory.write("docs.jsonl", corpus.jsonLines)
        _ = try IndexBuilder.build(sources: [directory.file("docs.jsonl")], indexPath: directory.file("index"), options: BuildOptions())
        return try IndexReader.openCurrent(indexPath: directory.file("index"))
    }

    private func queryText(_ words: [String], _ mode: NaiveBM25.Mode) -> String {
        switch mode {
        case .union: return words.joined(separator: " OR ")
        case .intersection: return words.map { "+" + $0 }.joined(separator: " ")
        case .phrase: return "\"" + words.joined(separator: " ") + "\""
        }
    }

    /// Checks engine top-k against the naive ranking: rank by rank, scores within tolerance, and
    /// each engine id's naive score equal to the naive score at that rank (ties may swap).
    private func assertAgrees(_ engine: [(id: String, score: Float)], naive: [(id: String, score: Double)],
                              limit: Int, context: String, file: StaticString = #filePath, line: UInt = #line) {
        let expected = Array(naive.prefix(limit))
        XCTAssertEqual(engine.count, expected.count, "hit count: \(context)", file: file, line: line)
        let naiveScore = Dictionary(naive.map { ($0.id, $0.score) }, uniquingKeysWith: { a, _ in a })
        for (rank, hit) in engine.enumerated() where rank < expected.count {
            XCTAssertEqual(Double(hit.score), expected[rank].score, accuracy: Self.tolerance * max(1, expected[rank].score),
                           "score at rank \(rank): \(context)", file: file, line: line)
            guard let own = naiveScore[hit.id] else {
                XCTFail("engine returned \(hit.id), which the naive ranking does not match: \(context)", file: file, line: line)
                continue
            }
            XCTAssertEqual(own, expected[rank].score, accuracy: Self.tolerance * max(1, own),
                           "id \(hit.id) at rank \(rank) is not a tie of \(expected[rank].id): \(context)", file: file, line: line)
        }
    }

    func testEngineAgreesWithNaiveBM25AndPruningIsExact() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let corpus = GeneratedCorpus(documentCount: 1500, seed: 42)
        let reader = try buildIndex(corpus, in: directory)
        let analyzer = try Analyzer()
        let naive = NaiveBM25(documents: corpus.documents.map { ($0.id, $0.title, $0.body) }, analyzer: analyzer)
        let searcher = try Searcher(reader: reader, settings: SearchSettings())
        var maxScoreSettings = SearchSettings()
        maxScoreSettings.unionAlgorithm = .maxScore
        let maxScoreSearcher = try Searcher(reader: reader, settings: maxScoreSettings)
        var wandSettings = SearchSettings()
        wandSettings.unionAlgorithm = .blockMaxWAND
        let wandSearcher = try Searcher(reader: reader, settings: wandSettings)
        var random = SeededGenerator(seed: 7)
        var checked = 0
        for queryIndex in 0..<300 {
            let mode: NaiveBM25.Mode = [.union, .intersection, .phrase][queryIndex % 3]
            let wordCount = Int.random(in: 1...(mode == .phrase ? 3 : 4), using: &random)
            // Mostly frequent words (long, multi-block lists), sometimes rare ones.
            let words = (0..<wordCount).map { _ in
                GeneratedCorpus.vocabulary[Int.random(in: 0..<(Bool.random(using: &random) ? 8 : 50), using: &random)]
            }
            let text = queryText(words, mode)
            let terms = words.compactMap { analyzer.normalize(word: $0) }
            let expected = naive.rank(terms, mode: mode)
            let limit = [1, 10, 10, 25][queryIndex % 4]
            let pruned = try searcher.search(text, options: SearchOptions(limit: limit, exactCount: false, snippets: false, fields: false))
            let exhaustive = try searcher.search(text, options: SearchOptions(limit: limit, exactCount: true, snippets: false, fields: false))
            let context = "query #\(queryIndex) '\(text)' limit \(limit)"
            assertAgrees(pruned.hits.map { ($0.externalID, $0.score) }, naive: expected, limit: limit, context: context)
            // Pruned top-k equals exhaustive top-k: same ids, same scores to the bit.
            XCTAssertEqual(pruned.hits.map(\.externalID), exhaustive.hits.map(\.externalID), "pruned vs exhaustive ids: \(context)")
            XCTAssertEqual(pruned.hits.map(\.score), exhaustive.hits.map(\.score), "pruned vs exhaustive scores: \(context)")
            // Both union algorithms, forced, give the same exact top k.
            for (name, other) in [("maxscore", maxScoreSearcher), ("bmw", wandSearcher)] {
                let forced = try other.search(text, options: SearchOptions(limit: limit, exactCount: false, snippets: false, fields: false))
                XCTAssertEqual(forced.hits.map(\.externalID), exhaustive.hits.map(\.externalID), "\(name) vs exhaustive ids: \(context)")
                XCTAssertEqual(forced.hits.map(\.score), exhaustive.hits.map(\.score), "\(name) vs exhaustive scores: \(context)")
            }
            XCTAssertTrue(exhaustive.totalIsExact)
            XCTAssertEqual(exhaustive.total, expected.count, "exact count: \(context)")
            XCTAssertLessThanOrEqual(pruned.total, expected.count, "lower bound: \(context)")
            checked += 1
        }
        XCTAssertEqual(checked, 300)
    }

    /// A repeated clause opens one posting list with its boosts summed ("to be or not to be"):
    /// the scores equal the explicitly boosted query's, and the naive ranking's, which adds every
    /// occurrence; a repeated phrase word shares a cursor and still needs both positions.
    func testRepeatedClausesScoreAsOneBoostedClause() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let corpus = GeneratedCorpus(documentCount: 900, seed: 5)
        let reader = try buildIndex(corpus, in: directory)
        let searcher = try Searcher(reader: reader, settings: SearchSettings())
        let analyzer = try Analyzer()
        let naive = NaiveBM25(documents: corpus.documents.map { ($0.id, $0.title, $0.body) }, analyzer: analyzer)
        func hits(_ query: String, exact: Bool = false) throws -> [(id: String, score: Float)] {
            try searcher.search(query, options: SearchOptions(limit: 10, exactCount: exact, snippets: false, fields: false))
                .hits.map { ($0.externalID, $0.score) }
        }
        let words = Array(GeneratedCorpus.vocabulary.prefix(3))
        let (a, b) = (words[0], words[1])
        for (repeated, boosted, mode, terms) in [
            ("+body:\(a) +body:\(b) +body:\(a)", "+body:\(a)^2 +body:\(b)", NaiveBM25.Mode.intersection, [a, b, a]),
            ("\(a) OR \(b) OR \(a) OR \(a)", "\(a)^3 OR \(b)", NaiveBM25.Mode.union, [a, b, a, a]),
        ] {
            let got = try hits(repeated)
            XCTAssertEqual(got.map(\.id), try hits(boosted).map(\.id), repeated)
            XCTAssertEqual(got.map(\.id), try hits(repeated, exact: true).map(\.id), repeated)
            if mode == .union {
                assertAgrees(got, naive: naive.rank(terms.compactMap { analyzer.normalize(word: $0) }, mode: mode),
                             limit: 10, context: repeated)
            }
        }
        let phrase = "\"\(a) \(b) \(a)\""
        assertAgrees(try hits(phrase), naive: naive.rank([a, b, a].compactMap { analyzer.normalize(word: $0) }, mode: .phrase),
                     limit: 10, context: phrase)
        XCTAssertFalse(try hits(phrase).isEmpty, "no document holds \(phrase): the check would be vacuous")
        let doubled = "\"\(a) \(a)\""
        assertAgrees(try hits(doubled), naive: naive.rank([a, a].compactMap { analyzer.normalize(word: $0) }, mode: .phrase),
                     limit: 10, context: doubled)
        XCTAssertFalse(try hits(doubled).isEmpty, "no document holds \(doubled): the check would be vacuous")
    }

    func testBooleanOperatorsMatchTheirDefinition() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let corpus = GeneratedCorpus(documentCount: 400, seed: 3)
        let reader = try buildIndex(corpus, in: directory)
        let searcher = try Searcher(reader: reader, settings: SearchSettings())
        let analyzer = try Analyzer()
        func has(_ doc: GeneratedCorpus.Document, _ word: String) -> Bool {
            let term = analyzer.normalize(word: word)!
            return (analyzer.tokens(in: doc.title) + analyzer.tokens(in: doc.body)).contains { $0.term == term }
        }
        func ids(_ query: String) throws -> Set<String> {
            Set(try searcher.search(query, options: SearchOptions(limit: 10_000, exactCount: true, snippets: false, fields: false)).hits.map(\.externalID))
        }
        let docs = corpus.documents
        XCTAssertEqual(try ids("river -stone"), Set(docs.filter { has($0, "river") && !has($0, "stone") }.map(\.id)))
        XCTAssertEqual(try ids("river AND market"), Set(docs.filter { has($0, "river") && has($0, "market") }.map(\.id)))
        XCTAssertEqual(try ids("+river market"), Set(docs.filter { has($0, "river") }.map(\.id)))
        XCTAssertEqual(try ids("(river OR stone) AND winter"),
                       Set(docs.filter { (has($0, "river") || has($0, "stone")) && has($0, "winter") }.map(\.id)))
        XCTAssertEqual(try ids("garden NOT signal"), Set(docs.filter { has($0, "garden") && !has($0, "signal") }.map(\.id)))
        XCTAssertEqual(try ids("title:river"), Set(docs.filter { analyzer.tokens(in: $0.title).contains { $0.term == analyzer.normalize(word: "river") } }.map(\.id)))
        XCTAssertEqual(try ids("riv*"), Set(docs.filter { has($0, "river") }.map(\.id)))
        XCTAssertEqual(try ids("nosuchword"), [])
    }

    func testBadQueriesAreReportedWithPositions() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let reader = try buildIndex(GeneratedCorpus(documentCount: 20, seed: 1), in: directory)
        var settings = SearchSettings()
        settings.maxDepth = 8
        settings.maxClauses = 16
        let searcher = try Searcher(reader: reader, settings: settings)
        func message(_ query: String) -> String {
            do {
                _ = try searcher.search(query, options: SearchOptions())
                return "no error"
            } catch let error as QueryError {
                return error.description
            } catch {
                return "other: \(error)"
            }
        }
        XCTAssertEqual(message("(river stone"), "unbalanced parenthesis: '(' is never closed at 0")
        XCTAssertEqual(message("river)"), "unbalanced parenthesis: ')' without '(' at 5")
        XCTAssertEqual(message("\"river stone"), "unterminated quote at 0")
        XCTAssertEqual(message("river AND"), "AND needs a clause on both sides at 6")
        XCTAssertEqual(message("-river"), "a query needs at least one clause that is not negated")
        XCTAssertEqual(message(String(repeating: "(", count: 20) + "x" + String(repeating: ")", count: 20)),
                       "parentheses nested deeper than 8 at 8")
        XCTAssertEqual(message((0..<20).map { "w\($0)" }.joined(separator: " ")), "more than 16 clauses at 54")
        XCTAssertEqual(message("river^x"), "boost '^' is not a number between 0 and 1000000 at 5")

    }

    func testClauseLimitCountsPostingListsAfterExpansion() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let reader = try buildIndex(GeneratedCorpus(documentCount: 400, seed: 3), in: directory)
        var settings = SearchSettings()
        settings.maxClauses = 3
        let searcher = try Searcher(reader: reader, settings: settings)
        // Two clauses as written, but four posting lists: each word is in titles and bodies.
        XCTAssertNotNil(try reader.postingsInfo(field: .title, term: "river"))
        XCTAssertNotNil(try reader.postingsInfo(field: .title, term: "stone"))
        XCTAssertThrowsError(try searcher.search("river stone", options: SearchOptions())) { error in
            XCTAssertEqual((error as? QueryError)?.description,
                           "the query expands to more than 3 term clauses (prefix expansions and fields count)")
        }
        XCTAssertNoThrow(try searcher.search("title:river body:stone", options: SearchOptions()))
    }
}
