/// Finds the words of a text and which of them a query matches, for snippets.
///
/// It reports the same words, in the same order, as `Analyzer.tokens(in:)` (stop words and
/// over-long words are left out) and decides for each one whether its term is one of `terms`
/// or, failing that, whether its unstemmed form starts with one of `prefixes` (as prefix
/// queries match). The analyzed term depends only on the word's bytes, so the analyzer keeps it
/// per distinct surface word ("Dogs", "dogs" and "dog's" are three) in its `SurfaceWordTable`,
/// across queries; this scanner's decision is kept there too, per word, for the query. A word
/// seen before costs a scan, a hash and a probe: no String, no allocation, no stemming.
///
/// Why a surface word can be analyzed alone: `WordScanner` words depend on nothing outside their
/// own bytes (a word starts at a letter or digit after a separator, and its apostrophe and
/// acronym rules look only inside it), so `Analyzer.normalize(word:)` of the word's bytes gives
/// the term `tokens(in:)` gives it in context, or nil where the word is dropped.
///
/// Not thread-safe, like `Analyzer`: one scanner per query, on one thread.
public final class HighlightScanner {
    /// One kept word of the scanned text.
    public struct Word: Equatable, Sendable {
        /// Byte offsets of the word in the text's UTF-8.
        public var utf8Range: Range<Int>
        /// Index in `matchedTerms` of the word's term when it matches, else -1.
        public var matchIndex: Int
        public var isMatch: Bool { matchIndex >= 0 }
    }

    /// The analyzed query terms to mark.
    public let terms: Set<String>
    /// Lowercased, folded, unstemmed prefixes to mark.
    public let prefixes: [String]
    /// The distinct terms of matched words, in order of first match (`Word.matchIndex` indexes it).
    public private(set) var matchedTerms: [String] = []
    private var matchIndexByTerm: [String: Int] = [:]
    /// This scanner's stamp in the table of the analyzer it last scanned with.
    private var stamp: UInt32 = 0
    private var stampedTable: ObjectIdentifier?

    public init(terms: Set<String>, prefixes: [String]) {
        self.terms = terms
        self.prefixes = prefixes
    }

    /// Appends the kept words of `text`'s UTF-8 bytes in `utf8Range` to `words`, with offsets
    /// into the whole text. Cut `utf8Range` at ASCII whitespace so that no word is split.
    public func scan(_ text: String, utf8Range: Range<Int>, analyzer: Analyzer, into words: inout [Word]) {
        let table = analyzer.surfaceWords
        if stampedTable != ObjectIdentifier(table) {
            stampedTable = ObjectIdentifier(table)
            stamp = table.newStamp()
        }
        let base = utf8Range.lowerBound
        var text = text
        text.withUTF8 { bytes in
            precondition(utf8Range.lowerBound >= 0 && utf8Range.upperBound <= bytes.count, "range outside the text")
            // Safe: the range lies within `bytes`; a scalar cut at its end is decoded from bytes
            // that still lie within the valid UTF-8 of `bytes`.
            let slice = UnsafeBufferPointer(rebasing: bytes[utf8Range])
            table.scan(slice, stamp: stamp, analyzer: analyzer,
                       decide: { term, surface in decision(term: term, surface: surface, analyzer: analyzer) },
                       keep: { range, decision in
                           words.append(Word(utf8Range: (base + range.lowerBound)..<(base + range.upperBound),
                                             matchIndex: Int(decision)))
                       })
        }
    }

    /// Whether a kept word with this term and these bytes matches: its `matchedTerms` index, or -1.
    private func decision(term: String, surface: UnsafeBufferPointer<UInt8>, analyzer: Analyzer) -> Int32 {
        var matched = terms.contains(term)
        if !matched && !prefixes.isEmpty,
           let plain = analyzer.normalizeWithoutStemming(word: String(decoding: surface, as: UTF8.self)) {
            matched = prefixes.contains { plain.hasPrefix($0) }
        }
        guard matched else { return -1 }
        if let index = matchIndexByTerm[term] { return Int32(index) }
        matchedTerms.append(term)
        matchIndexByTerm[term] = matchedTerms.count - 1
        return Int32(matchedTerms.count - 1)
    }
}
