import Dispatch
import Foundation
import XCTest
import QuarryAnalysis

/// A throughput figure, not a check: skipped unless QUARRY_ANALYSIS_BENCH=1, never asserts a time.
///
///     QUARRY_ANALYSIS_BENCH=1 swift test -c release --filter ThroughputTests
final class ThroughputTests: XCTestCase {
    /// ~5 MB of English-like ASCII: a 30k-word vocabulary of pseudo-words with English suffixes,
    /// drawn Zipf-like, 10% capitalized, 2% numbers, with punctuation between words.
    static func generatedText(byteCount: Int) -> String {
        var generator = SplitMix64(state: 42)
        let letters = Array("etaoinshrdlcumwfgypbvkjxqz")
        let suffixes = ["", "", "", "s", "ed", "ing", "ly", "ation", "ness", "er", "'s"]
        var vocabulary: [String] = []
        for _ in 0..<30_000 {
            let length = Int.random(in: 2...8, using: &generator)
            var word = String((0..<length).map { _ in
                // Squared uniform: frequent letters first, roughly like English.
                let skew = Double.random(in: 0..<1, using: &generator) * Double.random(in: 0..<1, using: &generator)
                return letters[min(25, Int(skew * 26))]
            })
            word += suffixes.randomElement(using: &generator)!
            vocabulary.append(word)
        }
        let separators = [" ", " ", " ", " ", " ", " ", ", ", ". ", " - ", "\n", " (", ") ", ": ", " \""]
        var text = ""
        text.reserveCapacity(byteCount + 64)
        while text.utf8.count < byteCount {
            let rank = Int(pow(Double(vocabulary.count), Double.random(in: 0..<1, using: &generator)))
            var word = vocabulary[min(vocabulary.count, rank) - 1]
            if Int.random(in: 0..<10, using: &generator) == 0 { word = word.prefix(1).uppercased() + word.dropFirst() }
            if Int.random(in: 0..<50, using: &generator) == 0 { word = String(Int.random(in: 0..<3000, using: &generator)) }
            text += word
            text += separators.randomElement(using: &generator)!
        }
        return text
    }

    func testThroughput() throws {
        guard ProcessInfo.processInfo.environment["QUARRY_ANALYSIS_BENCH"] == "1" else {
            throw XCTSkip("set QUARRY_ANALYSIS_BENCH=1 (and use -c release) for the throughput figure")
        }
        let text = Self.generatedText(byteCount: 5_000_000)
        let megabytes = Double(text.utf8.count) / 1e6
        for (name, settings) in [("english", AnalyzerSettings.default),
                                 ("none", AnalyzerSettings(language: "none")),
                                 ("english+stop", AnalyzerSettings(stopwords: AnalyzerSettings.englishStopwords))] {
            let analyzer = try Analyzer(settings: settings)
            var bestSeconds = Double.infinity
            var tokenCount = 0
            for _ in 0..<5 {
                let start = DispatchTime.now().uptimeNanoseconds
                tokenCount = 0
                analyzer.forEachToken(in: text) { _ in tokenCount += 1 }
                bestSeconds = min(bestSeconds, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            print(String(format: "analysis throughput %@: %.2f MB, %d tokens, best of 5 %.3f s = %.2f M tokens/s, %.1f MB/s",
                         name, megabytes, tokenCount, bestSeconds, Double(tokenCount) / bestSeconds / 1e6,
                         megabytes / bestSeconds))
        }
    }
}
