import QuarryAnalysis
@testable import QuarrySearch
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
