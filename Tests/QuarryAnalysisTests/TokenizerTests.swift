import XCTest
import QuarryAnalysis

/// Word splitting, positions and byte ranges, with the default settings unless a test says.
final class TokenizerTests: XCTestCase {
    /// The original text each token's `utf8Range` covers.
    private func originals(_ tokens: [Token], in text: String) -> [String] {
        let bytes = Array(text.utf8)
        return tokens.map { String(decoding: bytes[$0.utf8Range], as: UTF8.self) }
    }

    func testNewsParagraph() throws {
        let text = """
            “We are ready,” said U.S. officials at 6:10 p.m. on Friday — the U.S.-supplied \
            systems reached Kyiv’s outskirts.
            © 2026 Example News
            """
        let tokens = try Analyzer().tokens(in: text)
        XCTAssertEqual(tokens.map(\.term), [
            "we", "are", "readi", "said", "us", "offici", "at", "6", "10", "pm", "on", "friday",
            "the", "us", "suppli", "system", "reach", "kyiv", "outskirt", "2026", "exampl", "news",
        ])
        XCTAssertEqual(tokens.map(\.position), Array(0..<22))
        XCTAssertEqual(originals(tokens, in: text), [
            "We", "are", "ready", "said", "U.S.", "officials", "at", "6", "10", "p.m.", "on", "Friday",
            "the", "U.S.", "supplied", "systems", "reached", "Kyiv’s", "outskirts", "2026", "Example",
            "News",
        ])
    }

    func testForEachTokenGivesTheSameTokens() throws {
        let analyzer = try Analyzer()
        let text = "U.S.-supplied systems, Kyiv’s “outskirts” — 6:10 p.m. Ångström"
        var seen: [Token] = []
        analyzer.forEachToken(in: text) { seen.append($0) }
        XCTAssertEqual(seen, analyzer.tokens(in: text))
        // Second pass: answered from the stem and fold caches, same tokens.
        XCTAssertEqual(analyzer.tokens(in: text + " " + text).prefix(seen.count), seen[...])
    }

    func testApostrophes() throws {
        let analyzer = try Analyzer()
        let kyiv = analyzer.tokens(in: "Kyiv Kyiv's Kyiv’s Kyiv‘s").map(\.term)
        XCTAssertEqual(kyiv, ["kyiv", "kyiv", "kyiv", "kyiv"])
        // Quotes around a word are not part of it; an apostrophe not between letters separates.
        let text = "‘quoted’ 'tis rock 'n' roll 90's don't"
        let tokens = analyzer.tokens(in: text)
        XCTAssertEqual(originals(tokens, in: text), ["quoted", "tis", "rock", "n", "roll", "90", "s", "don't"])
        XCTAssertEqual(tokens.last?.term, "don't")
    }

    func testAcronymsAndNumbers() throws {
        let analyzer = try Analyzer(settings: .init(language: "none"))
        let text = "U.S.A. e.g. J.R.R. U.S.A A. Smith 6:10 3.14 1,000 mp3 4th"
        let tokens = analyzer.tokens(in: text)
        XCTAssertEqual(tokens.map(\.term), [
            "usa", "eg", "jrr", "us", "a", "a", "smith", "6", "10", "3", "14", "1", "000", "mp3", "4th",
        ])
        XCTAssertEqual(originals(tokens, in: text).prefix(5), ["U.S.A.", "e.g.", "J.R.R.", "U.S.", "A"])
    }

    func testSeparators() throws {
        let analyzer = try Analyzer(settings: .init(language: "none"))
        let text = "a\u{0}b\tc\u{FFFD}d_e«f»g–h—i/j@k#l\u{7}m"
        XCTAssertEqual(analyzer.tokens(in: text).map(\.term),
                       ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"])
        XCTAssertEqual(analyzer.tokens(in: ""), [])
        XCTAssertEqual(analyzer.tokens(in: " — “” ... \u{301}"), [])  // a lone mark starts no word
    }

    func testDiacritics() throws {
        let analyzer = try Analyzer()
        XCTAssertEqual(analyzer.tokens(in: "Café Ångström naïve").map(\.term), ["cafe", "angstrom", "naiv"])
        // Decomposed input folds the same as precomposed.
        XCTAssertEqual(analyzer.tokens(in: "Cafe\u{301}").map(\.term), ["cafe"])
        let plain = try Analyzer(settings: .init(language: "none"))
        XCTAssertEqual(plain.tokens(in: "Straße Æsir Łódź Øresund").map(\.term),
                       ["strasse", "aesir", "lodz", "oresund"])
    }

    func testNoFoldingKeepsNFC() throws {
        let analyzer = try Analyzer(settings: .init(language: "none", foldDiacritics: false))
        XCTAssertEqual(analyzer.tokens(in: "Café Cafe\u{301}").map(\.term), ["café", "café"])
        let cased = try Analyzer(settings: .init(language: "none", lowercase: false))
        XCTAssertEqual(cased.tokens(in: "Café ÅNGSTRÖM").map(\.term), ["Cafe", "ANGSTROM"])
    }

    func testStemming() throws {
        XCTAssertEqual(try Analyzer().tokens(in: "running runs ran").map(\.term), ["run", "run", "ran"])
        XCTAssertEqual(try Analyzer(settings: .init(language: "french")).tokens(in: "chevaux").map(\.term),
                       ["cheval"])
        XCTAssertEqual(try Analyzer(settings: .init(language: "none")).tokens(in: "running").map(\.term),
                       ["running"])
    }

    func testOtherScripts() throws {
        let analyzer = try Analyzer(settings: .init(language: "none"))
        let text = "Москва, новый йод! Ελληνικά ΟΔΟΣ οδος 東京都 한국어 हिन्दी"
        let tokens = analyzer.tokens(in: text)
        // Cyrillic й keeps its breve, Greek accents fold, final ς equals σ, Hangul and Devanagari
        // keep their marks, a CJK run is one token.
        XCTAssertEqual(tokens.map(\.term),
                       ["москва", "новый", "йод", "ελληνικα", "οδοσ", "οδοσ", "東京都", "한국어", "हिन्दी"])
        XCTAssertEqual(originals(tokens, in: text),
                       ["Москва", "новый", "йод", "Ελληνικά", "ΟΔΟΣ", "οδος", "東京都", "한국어", "हिन्दी"])
        let russian = try Analyzer(settings: .init(language: "russian"))
        XCTAssertEqual(russian.tokens(in: "книги").map(\.term), ["книг"])
    }

    func testStopwordsLeavePositionGaps() throws {
        let analyzer = try Analyzer(settings: .init(stopwords: AnalyzerSettings.englishStopwords))
        let tokens = analyzer.tokens(in: "The cat and THE hat")
        XCTAssertEqual(tokens.map(\.term), ["cat", "hat"])
        XCTAssertEqual(tokens.map(\.position), [1, 4])
        // The list is lowercased/folded like the text, and compared before stemming.
        let custom = try Analyzer(settings: .init(stopwords: ["Café", "running"]))
        let customTokens = custom.tokens(in: "cafe CAFÉ running runs")
        XCTAssertEqual(customTokens.map(\.term), ["run"])
        XCTAssertEqual(customTokens.map(\.position), [3])
    }

    func testMaxTokenBytesDropsButKeepsPosition() throws {
        let analyzer = try Analyzer(settings: .init(language: "none", maxTokenBytes: 7))
        let tokens = analyzer.tokens(in: "short overlongword naïveté U.S.A.B.C.D.E.F.")
        // "naïveté" is 9 bytes as written but 7 folded: the folded form is what counts.
        XCTAssertEqual(tokens.map(\.term), ["short", "naivete"])
        XCTAssertEqual(tokens.map(\.position), [0, 2])
        let unfolded = try Analyzer(settings: .init(language: "none", foldDiacritics: false, maxTokenBytes: 7))
        XCTAssertEqual(unfolded.tokens(in: "naïveté ok").map(\.position), [1])
    }

    func testNormalizeAgreesWithTokens() throws {
        let analyzer = try Analyzer(settings: .init(stopwords: AnalyzerSettings.englishStopwords))
        let words = ["Running", "Kyiv’s", "U.S.", "Café", "Ångström", "officials", "2026", "Москва",
                     "naïve", "p.m.", "don't"]
        for word in words {
            XCTAssertEqual(analyzer.normalize(word: word), analyzer.tokens(in: word).first?.term, word)
        }
        XCTAssertEqual(analyzer.normalize(word: "Running"), "run")
        XCTAssertNil(analyzer.normalize(word: "The"))
        XCTAssertNil(analyzer.normalize(word: "—"))
        XCTAssertEqual(analyzer.normalize(word: "6:10"), "6")  // first token only
        XCTAssertEqual(analyzer.normalizeWithoutStemming(word: "Running"), "running")
        XCTAssertEqual(analyzer.normalizeWithoutStemming(word: "Théo"), "theo")
        XCTAssertEqual(analyzer.normalizeWithoutStemming(word: "The"), "the")  // prefixes keep stop words
        XCTAssertNil(analyzer.normalizeWithoutStemming(word: String(repeating: "x", count: 65)))
    }
}
