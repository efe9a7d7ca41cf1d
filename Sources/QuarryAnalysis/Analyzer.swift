/// Turns text into the terms that are indexed and queried: split into words (`WordScanner`),
/// lowercase, fold diacritics, drop stop words and over-long tokens, stem with Snowball.
///
/// Not thread-safe (libstemmer is not, and the stem cache is mutable): one Analyzer per thread.
public final class Analyzer {
    /// The settings this analyzer was made with.
    public let settings: AnalyzerSettings

    private let stemmer: SnowballStemmer?
    /// The stop words, lowercased/folded as the settings say.
    private let stopwords: Set<String>
    /// `settings.maxTokenBytes`, at least 1.
    private let maxTermBytes: Int
    /// Pre-stem term -> stem, or "" for a stop word. Natural text repeats words, and a dictionary
    /// hit is much cheaper than running the Snowball program again: 3.4 -> 10 M tokens/s on 5 MB
    /// of generated English-like ASCII (release, this machine).
    private var stemCache: [String: String] = [:]
    /// Original non-ASCII word -> lowercased/folded NFC form. The Foundation NFD/NFC round trip
    /// costs ~1 µs a word; a hit ~0.1 µs (5 MB with 1 word in 7 accented,
    /// english, release: 3.7 -> 8.7 M tokens/s).
    private var foldCache: [String: String] = [:]
    /// Bounds each cache's memory (~100k short strings, a few MB); cleared whole when full.
    static let stemCacheCapacity = 100_000
    /// Surface word -> term, for `HighlightScanner` (snippets); made on first use.
    lazy var surfaceWords = SurfaceWordTable()

    /// Throws `AnalyzerError(.unknownLanguage)` when libstemmer has no such algorithm.
    public init(settings: AnalyzerSettings = .default) throws {
        self.settings = settings
        if settings.language == AnalyzerSettings.noStemming {
            stemmer = nil
        } else if let stemmer = SnowballStemmer(language: settings.language) {
            self.stemmer = stemmer
        } else {
            let available = AnalyzerSettings.availableLanguages().joined(separator: ", ")
            throw AnalyzerError(
                code: .unknownLanguage,
                message: "unknown stemmer language '\(settings.language)'; available: \(available)"
                    + " (or '\(AnalyzerSettings.noStemming)' for no stemming)")
        }
        maxTermBytes = max(1, settings.maxTokenBytes)
        stopwords = Set(settings.stopwords.map {
            UnicodeFolding.normalize($0, lowercase: settings.lowercase, fold: settings.foldDiacritics)
        })
    }

    /// All tokens of `text`, in order.
    public func tokens(in text: String) -> [Token] {
        var tokens: [Token] = []
        forEachToken(in: text) { tokens.append($0) }
        return tokens
    }

    /// Calls `body` with each token of `text`, in order: the same tokens as `tokens(in:)`, without
    /// building an array. The indexer's fast path.
    public func forEachToken(in text: String, _ body: (Token) -> Void) {
        analyze(text, stem: true, dropStopwords: true, body)
    }

    /// Normalizes one already-split word the same way as `tokens(in:)` (for query terms):
    /// the term of the first token `word` analyzes to, or nil if none (a stop word, too long, or
    /// no letters or digits). A word with separators in it ("6:10", "U.S.-supplied") gives only its
    /// first token: use `tokens(in:)` when a query word may hold several.
    public func normalize(word: String) -> String? {
        var term: String?
        analyze(word, stem: true, dropStopwords: true) { token in
            if term == nil { term = token.term }
        }
        return term
    }

    /// Lowercase and fold only, no stemming and no stop words (for prefix* queries: "the*" must
    /// still match "theory"). nil when `word` has no letters or digits or is longer than
    /// `maxTokenBytes`; splits like `normalize(word:)`.
    public func normalizeWithoutStemming(word: String) -> String? {
        var term: String?
        analyze(word, stem: false, dropStopwords: false) { token in
            if term == nil { term = token.term }
        }
        return term
    }

    // MARK: - The pipeline

    @inline(__always)
    private func analyze(_ text: String, stem: Bool, dropStopwords: Bool, _ body: (Token) -> Void) {
        var text = text
        let lowercase = settings.lowercase
        let checkStopwords = dropStopwords && !stopwords.isEmpty
        var position = 0
        text.withUTF8 { bytes in
            WordScanner.scan(bytes) { word in
                defer { position += 1 }
                let preStem: String
                if word.isASCII {
                    let byteCount = word.isAcronym ? (word.end - word.start + 1) / 2 : word.end - word.start
                    guard byteCount <= maxTermBytes else { return }
                    preStem = Self.asciiTerm(bytes, word, byteCount: byteCount, lowercase: lowercase)
                } else {
                    preStem = unicodeTerm(bytes, word)
                    guard preStem.utf8.count <= maxTermBytes, !preStem.isEmpty else { return }
                }
                let term: String
                if stem, stemmer != nil {
                    // One cache look-up answers both "stop word?" and "stem?".
                    term = stemmedOrEmptyIfStopword(preStem, checkStopwords: checkStopwords)
                    if term.isEmpty { return }
                } else {
                    if checkStopwords, stopwords.contains(preStem) { return }
                    term = preStem
                }
                body(Token(term: term, position: position, utf8Range: word.start..<word.end))
            }
        }
    }

    /// The lowercased bytes of an ASCII word, dots dropped from an acronym ("U.S." has 2 letters
    /// in 4 bytes: `(4 + 1) / 2`).
    @inline(__always)
    private static func asciiTerm(_ bytes: UnsafeBufferPointer<UInt8>, _ word: WordScanner.Word,
                                  byteCount: Int, lowercase: Bool) -> String {
        String(unsafeUninitializedCapacity: byteCount) { term in
            var written = 0
            var index = word.start
            // Safe: `term` has `byteCount` bytes, the word's letter count, and the loop writes one
            // byte per letter (acronyms step over their dots).
            while written < byteCount {
                let byte = bytes[index]
                term[written] = lowercase && byte &- 0x41 < 26 ? byte | 0x20 : byte
                written += 1
                index += word.isAcronym ? 2 : 1
            }
            return byteCount
        }
    }

    /// A word with non-ASCII in it: dots out of an acronym, then `UnicodeFolding.normalize`.
    /// Cached by the original word (only an acronym has dots, so the bytes decide the result).
    private func unicodeTerm(_ bytes: UnsafeBufferPointer<UInt8>, _ word: WordScanner.Word) -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[word.start..<word.end])
        let original = String(decoding: slice, as: UTF8.self)
        if let cached = foldCache[original] { return cached }
        var raw = original
        if word.isAcronym { raw.removeAll { $0 == "." } }
        let term = UnicodeFolding.normalize(raw, lowercase: settings.lowercase, fold: settings.foldDiacritics)
        if foldCache.count >= Self.stemCacheCapacity { foldCache.removeAll(keepingCapacity: true) }
        foldCache[original] = term
        return term
    }

    /// The stem of `word`, or "" when `checkStopwords` and it is a stop word. Cached per
    /// analyzer; a stop word is cached as "". `checkStopwords` is the same for every call that
    /// reaches here (both callers drop stop words), so the cached "" never leaks to a caller
    /// that keeps stop words.
    private func stemmedOrEmptyIfStopword(_ word: String, checkStopwords: Bool) -> String {
        if let cached = stemCache[word] { return cached }
        let term: String
        if checkStopwords, stopwords.contains(word) {
            term = ""
        } else if let stemmer {
            term = stemmer.stem(word)
        } else {
            term = word
        }
        if stemCache.count >= Self.stemCacheCapacity { stemCache.removeAll(keepingCapacity: true) }
        stemCache[word] = term
        return term
    }
}
