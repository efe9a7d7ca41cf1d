import XCTest
import QuarryAnalysis

/// SplitMix64: a seeded generator, so a failing seed can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class FuzzTests: XCTestCase {
    /// Pieces chosen to hit every rule: ASCII, apostrophes, dots, marks, other scripts, emoji,
    /// controls, U+FFFD, letters that expand when folded or lowercased.
    static let pieces: [String] = [
        "a", "B", "z", "Q", "0", "7", " ", "  ", "\n", "\t", ".", ",", ":", "'", "’", "‘", "-", "—",
        "“", "”", "«", "»", "_", "@", "\u{0}", "\u{7}", "\u{FFFD}", "\u{301}", "\u{308}", "é", "Å",
        "ß", "ẞ", "İ", "ı", "ﬁ", "Ω", "ς", "Σ", "й", "Ж", "東", "한", "क", "ि", "😀", "👍🏽", "١", "Ⅻ",
        "U.S.", "e.g.", "p.m.", "Kyiv’s", "don't", "6:10",
    ]

    static func randomText(byteCount: Int, seed: UInt64) -> String {
        var generator = SplitMix64(state: seed)
        var text = ""
        while text.utf8.count < byteCount {
            text += pieces.randomElement(using: &generator)!
        }
        return text
    }

    func testRandomTextNeverCrashesAndRangesAreOrdered() throws {
        let settingsList: [AnalyzerSettings] = [
            .default,
            .init(language: "none", lowercase: false, foldDiacritics: false, maxTokenBytes: 8),
            .init(language: "russian", stopwords: ["a", "b"], maxTokenBytes: 3),
        ]
        for (settingsIndex, settings) in settingsList.enumerated() {
            let analyzer = try Analyzer(settings: settings)
            for seed in UInt64(1)...20 {
                let text = Self.randomText(byteCount: 20_000, seed: seed)
                let byteCount = text.utf8.count
                let bytes = Array(text.utf8)
                var previousEnd = 0
                var previousPosition = -1
                for token in analyzer.tokens(in: text) {
                    let context = "settings \(settingsIndex) seed \(seed) token \(token)"
                    XCTAssertFalse(token.term.isEmpty, context)
                    XCTAssertLessThan(token.utf8Range.lowerBound, token.utf8Range.upperBound, context)
                    XCTAssertGreaterThanOrEqual(token.utf8Range.lowerBound, previousEnd, context)
                    XCTAssertLessThanOrEqual(token.utf8Range.upperBound, byteCount, context)
                    XCTAssertGreaterThan(token.position, previousPosition, context)
                    // The original word alone analyzes to the same term.
                    let original = String(decoding: bytes[token.utf8Range], as: UTF8.self)
                    XCTAssertEqual(analyzer.normalize(word: original), token.term, context)
                    previousEnd = token.utf8Range.upperBound
                    previousPosition = token.position
                }
            }
        }
    }
}
