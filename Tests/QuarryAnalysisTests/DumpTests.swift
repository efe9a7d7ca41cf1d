import XCTest
import QuarryAnalysis

final class DumpTests: XCTestCase {
    func testDump() throws {
        let a = try Analyzer()
        for text in ["“We are ready,” said U.S. officials at 6:10 p.m. on Friday — the U.S.-supplied systems reached Kyiv’s outskirts.\n© 2026 Example News",
                     "Café Ångström naïve", "running runs ran", "Kyiv's Kyiv’s Kyiv ‘quoted’ don't 'tis", "Москва новый йод Ελληνικά γλώσσα 東京都 한국어 हिन्दी", "e.g. J.R.R. U.S.A U.S.A.F. A. Smith 3.14 1,000 foo_bar x\u{FFFD}y a\u{0}b"] {
            print(a.tokens(in: text).map { "\($0.term)@\($0.position)[\(Array(text.utf8)[$0.utf8Range].count)]" }.joined(separator: " "))
        }
        print(AnalyzerSettings.availableLanguages())
        print(AnalyzerSettings.default.fingerprint)
        do { _ = try Analyzer(settings: .init(language: "xx")) } catch { print(error) }
    }
}
