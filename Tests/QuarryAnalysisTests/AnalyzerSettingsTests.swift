import Foundation
import XCTest
import QuarryAnalysis

final class AnalyzerSettingsTests: XCTestCase {
    func testFingerprintIsStable() {
        // Pinned literals: these are stored in indexes, so a change here breaks every index.
        XCTAssertEqual(AnalyzerSettings.default.fingerprint,
                       "v1 language=english lowercase=1 fold=1 maxbytes=64 stop=0:cbf29ce484222325")
        XCTAssertEqual(AnalyzerSettings(stopwords: AnalyzerSettings.englishStopwords).fingerprint,
                       "v1 language=english lowercase=1 fold=1 maxbytes=64 stop=33:c2b47a9a63677318")
        XCTAssertEqual(AnalyzerSettings(stopwords: ["b", "a", "b"]).fingerprint,
                       AnalyzerSettings(stopwords: ["a", "b"]).fingerprint)
    }

    func testFingerprintDiffersWhenAnySettingDiffers() {
        let base = AnalyzerSettings(stopwords: ["a", "b"])
        var variants: [AnalyzerSettings] = []
        var changed = base; changed.language = "french"; variants.append(changed)
        changed = base; changed.lowercase = false; variants.append(changed)
        changed = base; changed.foldDiacritics = false; variants.append(changed)
        changed = base; changed.stopwords = ["a"]; variants.append(changed)
        changed = base; changed.stopwords = ["a", "c"]; variants.append(changed)
        changed = base; changed.stopwords = ["ab"]; variants.append(changed)
        changed = base; changed.maxTokenBytes = 65; variants.append(changed)
        let fingerprints = Set([base.fingerprint] + variants.map(\.fingerprint))
        XCTAssertEqual(fingerprints.count, variants.count + 1)
    }

    func testUnknownLanguage() {
        XCTAssertThrowsError(try Analyzer(settings: .init(language: "klingon"))) { error in
            guard let error = error as? AnalyzerError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.code, .unknownLanguage)
            XCTAssertTrue(error.description.hasPrefix("unknown stemmer language 'klingon'; available: "),
                          error.description)
            XCTAssertTrue(error.message.contains("english, "), error.message)
        }
    }

    func testAvailableLanguages() throws {
        let languages = AnalyzerSettings.availableLanguages()
        XCTAssertTrue(languages.contains("english"))
        XCTAssertTrue(languages.contains("russian"))
        for language in languages {
            XCTAssertNoThrow(try Analyzer(settings: .init(language: language)), language)
        }
        XCTAssertNoThrow(try Analyzer(settings: .init(language: "none")))
    }

    func testCodableFillsDefaults() throws {
        let decoded = try JSONDecoder().decode(AnalyzerSettings.self, from: Data(#"{"language":"french"}"#.utf8))
        XCTAssertEqual(decoded, AnalyzerSettings(language: "french"))
        let settings = AnalyzerSettings(language: "german", lowercase: false, foldDiacritics: false,
                                        stopwords: ["der"], maxTokenBytes: 10)
        let roundTripped = try JSONDecoder().decode(AnalyzerSettings.self, from: JSONEncoder().encode(settings))
        XCTAssertEqual(roundTripped, settings)
    }
}
