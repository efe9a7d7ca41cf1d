@testable import QuarryAnalysis
@testable import QuarrySearch
import QuarryTestSupport
import XCTest

final class SnippetTests: XCTestCase {
    private let start = String(SnippetBuilder.highlightStart)
    private let end = String(SnippetBuilder.highlightEnd)

    func testMarksMatchedWordsInTheirOriginalForm() throws {
        let analyzer = try Analyzer()
        let builder = SnippetBuilder(terms: ["run", "dog"], prefixes: [], maxBytes: 200)
        let snippet = builder.snippet(for: "The Dogs were  running\nfast.", analyzer: analyzer)
        XCTAssertEqual(snippet, "The \(start)Dogs\(end) were \(start)running\(end) fast.")
    }

    func testPicksTheWindowWithTheMostDistinctTermsAndMarksCuts() throws {
        let analyzer = try Analyzer()
        let filler = Array(repeating: "lorem ipsum dolor", count: 40).joined(separator: " ")
        let text = "alpha at the start. " + filler + " here alpha meets omega together. " + filler
        let builder = SnippetBuilder(terms: ["alpha", "omega"], prefixes: [], maxBytes: 80)
        let snippet = builder.snippet(for: text, analyzer: analyzer)
        XCTAssertTrue(snippet.hasPrefix("…"), snippet)
        XCTAssertTrue(snippet.hasSuffix("…"), snippet)
        XCTAssertTrue(snippet.contains("\(start)alpha\(end) meets \(start)omega\(end)"), snippet)
        XCTAssertLessThanOrEqual(snippet.utf8.count, 80 + 2 * 3 + 8, snippet)
    }

    func testFindsMatchesBeyondTheFirstChunkAndStripsControlCharacters() throws {
        let analyzer = try Analyzer()
        let text = String(repeating: "filler words here ", count: 2000) + "the \u{02}needle\u{03} is here"
        let builder = SnippetBuilder(terms: ["needl"], prefixes: [], maxBytes: 60)
        let snippet = builder.snippet(for: text, analyzer: analyzer)
        XCTAssertTrue(snippet.contains("\(start)needle\(end)"), snippet)
        XCTAssertEqual(snippet.filter { $0 == SnippetBuilder.highlightStart }.count, 1, "stored control characters are not markers")
    }

    func testPrefixQueriesHighlightAndNoMatchGivesTheStart() throws {
        let analyzer = try Analyzer()
        let builder = SnippetBuilder(terms: [], prefixes: ["mem"], maxBytes: 200)
        XCTAssertEqual(builder.snippet(for: "Virtual memory and memcpy.", analyzer: analyzer),
                       "Virtual \(start)memory\(end) and \(start)memcpy\(end).")
        let none = SnippetBuilder(terms: ["zzz"], prefixes: [], maxBytes: 20)
        XCTAssertEqual(none.snippet(for: "one two three four five six seven", analyzer: analyzer), "one two three four…")
        XCTAssertEqual(none.snippet(for: "", analyzer: analyzer), "")
    }
}

/// `SnippetBuilder` (surface-word cache, no Set per window) against the algorithm it replaced,
/// on random text: words with inflections, stop words, acronyms, apostrophes, numbers, accents,
/// combining marks, CJK, control characters and odd whitespace; texts from a few bytes to past
/// the 4 KiB and 16 KiB chunk cuts. One builder serves many texts, as it serves a query's hits.
final class SnippetEquivalenceTests: XCTestCase {
    private static let vocabulary: [String] = [
        "run", "runs", "running", "Runner", "dog", "Dogs", "dog's", "DOG", "memory", "memcpy", "mem",
        "the", "and", "of", "a", "is", "The", "U.S.", "e.g.", "U.S", "J.R.R.", "don't", "Kyiv’s", "it's",
        "3.14", "6:10", "1,000", "2024", "café", "Café", "naïve", "cafe\u{301}", "über", "Straße", "東京",
        "日本語", "Ωmega", "alpha", "omega", "quick", "brown", "fox", "jumps", "lazy", "happily", "happy",
        "generalization", "generalize", "x", "I", "—", "-", "...", "(", ")", "\"", "'", "’", "\u{02}",
        "\u{03}", "\u{7F}", "a\u{0}b", String(repeating: "long", count: 20), "\u{FFFD}", "e\u{301}",
    ]
    private static let separators: [String] = [" ", " ", " ", "  ", "\n", "\t", "\r\n", ", ", ". ", " \u{301}", ""]

    private func randomText(byteTarget: Int, using generator: inout SeededGenerator) -> String {
        var text = ""
        while text.utf8.count < byteTarget {
            text += Self.vocabulary.randomElement(using: &generator)!
            text += Self.separators.randomElement(using: &generator)!
        }
        return text
    }

    func testSameSnippetsAsTheAnalyzerBasedAlgorithm() throws {
        let analyzer = try Analyzer(settings: AnalyzerSettings(language: "english", foldDiacritics: true,
                                                               stopwords: AnalyzerSettings.englishStopwords))
        var generator = SeededGenerator(seed: 20_251_125)
        let termPool = Self.vocabulary.compactMap { analyzer.normalize(word: $0) }
        let prefixPool = ["mem", "run", "caf", "dog", "u", "東", "th"]
        for round in 0..<60 {
            var terms = Set<String>()
            for _ in 0..<Int.random(in: 0...4, using: &generator) { terms.insert(termPool.randomElement(using: &generator)!) }
            if Int.random(in: 0..<8, using: &generator) == 0 { terms.insert("absent") }
            let prefixes = Int.random(in: 0..<4, using: &generator) == 0 ? [prefixPool.randomElement(using: &generator)!] : []
            let maxBytes = [16, 40, 80, 200, 500].randomElement(using: &generator)!
            let builder = SnippetBuilder(terms: terms, prefixes: prefixes, maxBytes: maxBytes)
            let reference = ReferenceSnippetBuilder(terms: terms, prefixes: prefixes, maxBytes: maxBytes)
            for _ in 0..<6 {
                let byteTarget = [0, 1, 30, 300, 3_000, 4_200, 9_000, 25_000].randomElement(using: &generator)!
                let text = randomText(byteTarget: byteTarget, using: &generator)
                let expected = reference.snippet(for: text, analyzer: analyzer)
                let got = builder.snippet(for: text, analyzer: analyzer)
                XCTAssertEqual(got, expected, "round \(round), terms \(terms), prefixes \(prefixes), maxBytes \(maxBytes)")
                if got != expected { return }
            }
        }
    }

    func testInterleavedQueriesAndATableThatStartsOver() throws {
        var generator = SeededGenerator(seed: 99)
        let texts = (0..<12).map { _ in randomText(byteTarget: 2_000, using: &generator) }
        let small = try Analyzer()
        small.surfaceWords = SurfaceWordTable(maxEntries: 16)  // starts over many times per text
        let other = try Analyzer()
        let queries: [(Set<String>, [String])] = [(["dog", "run"], []), (["omega"], ["mem"]), (["alpha", "fox", "happili"], [])]
        let builders = queries.map { SnippetBuilder(terms: $0.0, prefixes: $0.1, maxBytes: 120) }
        let references = queries.map { ReferenceSnippetBuilder(terms: $0.0, prefixes: $0.1, maxBytes: 120) }
        for (index, text) in texts.enumerated() {
            for query in queries.indices {
                // The same builders on alternating analyzers, the queries' stamps interleaved.
                let analyzer = (index + query) % 2 == 0 ? small : other
                XCTAssertEqual(builders[query].snippet(for: text, analyzer: analyzer),
                               references[query].snippet(for: text, analyzer: analyzer), "text \(index), query \(query)")
            }
        }
        XCTAssertLessThanOrEqual(small.surfaceWords.count, 16)
    }

    /// Thousands of distinct words, 1 to 22 bytes (some longer than the 16 bytes a table slot
    /// holds inline), all within the 64 KiB a snippet analyzes: the analyzer's table grows
    /// several times, and finds every word again after.
    func testManyDistinctWordsGrowTheTable() throws {
        let analyzer = try Analyzer()
        var generator = SeededGenerator(seed: 5)
        let words = (0..<5_000).map { _ in
            String((0..<Int.random(in: 1...22, using: &generator)).map { _ in
                Character(Unicode.Scalar(UInt8.random(in: 0x61...0x7A, using: &generator)))
            })
        }
        let text = words.joined(separator: " ")
        let terms = Set(words.shuffled(using: &generator).prefix(3).compactMap { analyzer.normalize(word: $0) })
        let builder = SnippetBuilder(terms: terms, prefixes: [], maxBytes: 200)
        let reference = ReferenceSnippetBuilder(terms: terms, prefixes: [], maxBytes: 200)
        for _ in 0..<2 {  // the second time, every word is found in the table
            XCTAssertEqual(builder.snippet(for: text, analyzer: analyzer), reference.snippet(for: text, analyzer: analyzer))
        }
        XCTAssertLessThan(text.utf8.count, 64 * 1024, "the text must fit in what a snippet analyzes")
        XCTAssertGreaterThan(analyzer.surfaceWords.count, 3_500)
    }

    func testMatchBeyondTheFirstChunksOfAHugeText() throws {
        let analyzer = try Analyzer()
        var generator = SeededGenerator(seed: 7)
        let text = randomText(byteTarget: 200_000, using: &generator) + " needle " + randomText(byteTarget: 1_000, using: &generator)
        for terms: Set<String> in [["needl"], ["needl", "dog"], ["absent"], ["fox", "omega"]] {
            let builder = SnippetBuilder(terms: terms, prefixes: [], maxBytes: 200)
            let reference = ReferenceSnippetBuilder(terms: terms, prefixes: [], maxBytes: 200)
            XCTAssertEqual(builder.snippet(for: text, analyzer: analyzer), reference.snippet(for: text, analyzer: analyzer), "\(terms)")
        }
    }
}
