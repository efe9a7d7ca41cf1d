/// One analyzed word of a text.
public struct Token: Equatable, Sendable {
    /// The indexed form: lowercased, folded and stemmed as the settings say.
    public var term: String
    /// Word position, 0-based. A dropped stop word or over-long token still consumes a position,
    /// so phrase queries do not match across it (as in Lucene).
    public var position: Int
    /// Byte offsets of the original word in the input's UTF-8, for snippet highlighting.
    /// An acronym's range includes its dots ("U.S." is 4 bytes).
    public var utf8Range: Range<Int>

    /// A token with the given fields.
    public init(term: String, position: Int, utf8Range: Range<Int>) {
        self.term = term
        self.position = position
        self.utf8Range = utf8Range
    }
}
