/// Finds the words of a text and which of them a query matches, for snippets.
///
/// It reports the same words, in the same order, as `Analyzer.tokens(in:)` (stop words and
/// over-long words are left out) and decides for each one whether its term is one of `terms`
/// or, failing that, whether its unstemmed form starts with one of `prefixes` (as prefix
/// queries match). The analyzed term depends only on the word's bytes, so the analyzer keeps
/// its id per distinct surface word ("Dogs", "dogs" and "dog's" are three) in its
/// `SurfaceWordTable`, across queries. A word seen before costs a scan, a hash, a probe and a
/// comparison with the query's term ids: no String, no allocation, no stemming.
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
        /// Which matched term the word has (0 ..< `matchIndexCount`), or -1 when it matches nothing.
        public var matchIndex: Int
        public var isMatch: Bool { matchIndex >= 0 }
    }

    /// The analyzed query terms to mark.
    public let terms: Set<String>
    /// Lowercased, folded, unstemmed prefixes to mark.
    public let prefixes: [String]
    /// Match indices handed out so far: one per query term (its place in `termList`), then one
    /// per other term that a word matched through a prefix, in order of first match.
    public private(set) var matchIndexCount: Int
    private let termList: [String]
    private var prefixMatchIndexByTerm: [String: Int32] = [:]

    /// The ids of `termList` in the table of the analyzer last scanned with, at its `epoch`.
    private var termIDs: [Int32] = []
    private var matchIndexByTermID: [Int32: Int32] = [:]
    private var table: ObjectIdentifier?
    private var tableEpoch = -1
    /// For prefix queries: this scanner's stamp in that table.
    private var stamp: UInt32 = 0
    /// Up to this many query terms, a word's term id is looked for by a linear scan.
    private static let linearLookupLimit = 8

    public init(terms: Set<String>, prefixes: [String]) {
        self.terms = terms
        self.prefixes = prefixes
        termList = terms.sorted()
        matchIndexCount = termList.count
    }

    /// Appends the kept words of `text`'s UTF-8 bytes in `utf8Range` to `words`, with offsets
    /// into the whole text. Cut `utf8Range` at ASCII whitespace so that no word is split.
    public func scan(_ text: String, utf8Range: Range<Int>, analyzer: Analyzer, into words: inout [Word]) {
        let table = analyzer.surfaceWords
        table.prepare()
        if self.table != ObjectIdentifier(table) || tableEpoch != table.epoch {
            self.table = ObjectIdentifier(table)
            tableEpoch = table.epoch
            termIDs = termList.map { table.termID($0) }
            matchIndexByTermID = [:]
            if termIDs.count > Self.linearLookupLimit {
                for (index, id) in termIDs.enumerated() { matchIndexByTermID[id] = Int32(index) }
            }
            stamp = prefixes.isEmpty ? 0 : table.newStamp()
        }
        let base = utf8Range.lowerBound
        var text = text
        text.withUTF8 { bytes in
            precondition(utf8Range.lowerBound >= 0 && utf8Range.upperBound <= bytes.count, "range outside the text")
            // Safe: the range lies within `bytes`; a scalar cut at its end is decoded from bytes
            // that still lie within the valid UTF-8 of `bytes`.
            let slice = UnsafeBufferPointer(rebasing: bytes[utf8Range])
            table.scan(slice, stamp: stamp, analyzer: analyzer,
                       decide: { termID, surface in decision(termID: termID, surface: surface, analyzer: analyzer) },
                       keep: { range, decision in
                           words.append(Word(utf8Range: (base + range.lowerBound)..<(base + range.upperBound),
                                             matchIndex: Int(decision)))
                       })
        }
    }

    /// The match index of a kept word with this term id and these bytes, or -1.
    @inline(__always)
    private func decision(termID: Int32, surface: UnsafeBufferPointer<UInt8>, analyzer: Analyzer) -> Int32 {
        if termIDs.count <= Self.linearLookupLimit {
            for index in termIDs.indices where termIDs[index] == termID { return Int32(index) }
        } else if let index = matchIndexByTermID[termID] {
            return index
        }
        return prefixes.isEmpty ? -1 : prefixDecision(surface: surface, analyzer: analyzer)
    }

    /// A word whose term is not a query term: does its unstemmed form start with a prefix?
    private func prefixDecision(surface: UnsafeBufferPointer<UInt8>, analyzer: Analyzer) -> Int32 {
        let word = String(decoding: surface, as: UTF8.self)
        guard let plain = analyzer.normalizeWithoutStemming(word: word),
              prefixes.contains(where: { plain.hasPrefix($0) }) else { return -1 }
        let term = analyzer.normalize(word: word) ?? ""
        if let index = prefixMatchIndexByTerm[term] { return index }
        let index = Int32(matchIndexCount)
        prefixMatchIndexByTerm[term] = index
        matchIndexCount += 1
        return index
    }
}
