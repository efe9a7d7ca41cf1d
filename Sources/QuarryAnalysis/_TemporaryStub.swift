// TEMPORARY: stand-in with the agreed API until the real analyzer merges. Deleted at merge.
public struct AnalyzerSettings: Codable, Equatable, Sendable {
    public var language: String
    public var lowercase: Bool
    public var foldDiacritics: Bool
    public var stopwords: [String]
    public var maxTokenBytes: Int
    public init(language: String = "english", lowercase: Bool = true, foldDiacritics: Bool = true, stopwords: [String] = [], maxTokenBytes: Int = 64) {
        self.language = language; self.lowercase = lowercase; self.foldDiacritics = foldDiacritics; self.stopwords = stopwords; self.maxTokenBytes = maxTokenBytes
    }
    public static let `default` = AnalyzerSettings()
    public static let englishStopwords: [String] = ["a", "the"]
    public var fingerprint: String { "stub language=\(language)" }
}
public struct AnalyzerError: Error, CustomStringConvertible { public var message: String; public var description: String { message } }
public struct Token: Equatable, Sendable { public var term: String; public var position: Int; public var utf8Range: Range<Int> }
public final class Analyzer {
    public let settings: AnalyzerSettings
    public init(settings: AnalyzerSettings = .default) throws { self.settings = settings }
    public func tokens(in text: String) -> [Token] { var r: [Token] = []; forEachToken(in: text) { r.append($0) }; return r }
    public func forEachToken(in text: String, _ body: (Token) -> Void) {
        let bytes = Array(text.utf8); var i = 0; var pos = 0
        while i < bytes.count {
            while i < bytes.count && !isWord(bytes[i]) { i += 1 }
            let s = i
            while i < bytes.count && isWord(bytes[i]) { i += 1 }
            if i > s { body(Token(term: String(decoding: bytes[s..<i], as: UTF8.self).lowercased(), position: pos, utf8Range: s..<i)); pos += 1 }
        }
    }
    private func isWord(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b >= 128 }
    public func normalize(word: String) -> String? { tokens(in: word).first?.term }
    public func normalizeWithoutStemming(word: String) -> String? { tokens(in: word).first?.term }
}
