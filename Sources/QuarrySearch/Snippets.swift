import QuarryAnalysis

/// Builds a short excerpt of a document around the query's matched terms.
///
/// Matched words are wrapped in `highlightStart` / `highlightEnd` (U+0002 / U+0003, the
/// protocol's markers; the client turns them into terminal bold or strips them). The excerpt
/// is the window of at most `maxBytes` UTF-8 bytes that holds the most distinct matched terms,
/// cut at word boundaries, whitespace collapsed, with "…" where text was cut.
public struct SnippetBuilder {
    public static let highlightStart: Character = "\u{02}"
    public static let highlightEnd: Character = "\u{03}"
    /// Only the first this-many bytes of a body are searched for a window (huge manuals).
    static let scanLimitBytes = 128 * 1024
    /// Bytes of context kept before the first match of the window.
    static let leadingContextBytes = 40

    public let terms: Set<String>
    public let prefixes: [String]
    public let maxBytes: Int

    public init(terms: Set<String>, prefixes: [String], maxBytes: Int) {
        self.terms = terms
        self.prefixes = prefixes
        self.maxBytes = max(16, maxBytes)
    }

    public func snippet(for text: String, analyzer: Analyzer) -> String {
        var utf8 = Array(text.utf8)
        if utf8.count > Self.scanLimitBytes {
            var cut = Self.scanLimitBytes
            while cut > 0 && (utf8[cut] & 0xC0) == 0x80 { cut -= 1 }  // stay on a scalar boundary
            utf8.removeSubrange(cut...)
        }
        let scanned = String(decoding: utf8, as: UTF8.self)
        let tokens = analyzer.tokens(in: scanned)
        guard !tokens.isEmpty else { return "" }
        var isMatch = [Bool](repeating: false, count: tokens.count)
        for (i, token) in tokens.enumerated() {
            if terms.contains(token.term) {
                isMatch[i] = true
            } else if !prefixes.isEmpty,
                      let plain = analyzer.normalizeWithoutStemming(word: String(decoding: utf8[token.utf8Range], as: UTF8.self)),
                      prefixes.contains(where: { plain.hasPrefix($0) }) {
                isMatch[i] = true
            }
        }
        // Best window: starts at a match, most distinct matched terms within maxBytes.
        var bestStart = 0, bestCount = 0
        for i in tokens.indices where isMatch[i] {
            var seen = Set<String>()
            var j = i
            while j < tokens.count && tokens[j].utf8Range.upperBound - tokens[i].utf8Range.lowerBound <= maxBytes {
                if isMatch[j] { seen.insert(tokens[j].term) }
                j += 1
            }
            if seen.count > bestCount { bestCount = seen.count; bestStart = i }
        }
        // Step back for a little context.
        var first = bestStart
        if bestCount > 0 {
            while first > 0 && tokens[bestStart].utf8Range.lowerBound - tokens[first - 1].utf8Range.lowerBound <= Self.leadingContextBytes {
                first -= 1
            }
        }
        let windowStart = first == 0 ? 0 : tokens[first].utf8Range.lowerBound
        var last = first
        while last + 1 < tokens.count && tokens[last + 1].utf8Range.upperBound - windowStart <= maxBytes { last += 1 }
        let windowEnd = tokens[last].utf8Range.upperBound
        var out = ""
        out.reserveCapacity(maxBytes + 16)
        if windowStart > 0 { out += "…" }
        var cursor = windowStart
        for i in first...last where isMatch[i] {
            out += collapse(utf8[cursor..<tokens[i].utf8Range.lowerBound])
            out.append(Self.highlightStart)
            out += String(decoding: utf8[tokens[i].utf8Range], as: UTF8.self)
            out.append(Self.highlightEnd)
            cursor = tokens[i].utf8Range.upperBound
        }
        out += collapse(utf8[cursor..<windowEnd])
        if windowEnd < text.utf8.count { out += "…" }
        return out
    }

    /// The bytes as text with every run of whitespace (and control characters) as one space.
    private func collapse(_ bytes: ArraySlice<UInt8>) -> String {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var lastWasSpace = false
        for byte in bytes {
            if byte < 0x20 || byte == 0x20 || byte == 0x7F {
                if !lastWasSpace { result.append(0x20) }
                lastWasSpace = true
            } else {
                result.append(byte)
                lastWasSpace = false
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}
