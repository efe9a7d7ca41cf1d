import QuarryAnalysis

/// The snippet algorithm as it was before `HighlightScanner` (analyzer over every chunk, a Set
/// per window), kept verbatim as the reference that `SnippetBuilder` must agree with.
struct ReferenceSnippetBuilder {
    static let highlightStart: Character = "\u{02}"
    static let highlightEnd: Character = "\u{03}"
    static let scanLimitBytes = 64 * 1024
    static let firstChunkBytes = 4 * 1024
    static let leadingContextBytes = 40

    let terms: Set<String>
    let prefixes: [String]
    let maxBytes: Int

    init(terms: Set<String>, prefixes: [String], maxBytes: Int) {
        self.terms = terms
        self.prefixes = prefixes
        self.maxBytes = max(16, maxBytes)
    }

    func snippet(for text: String, analyzer: Analyzer) -> String {
        let utf8 = Array(text.utf8)
        // Analyze in growing chunks (4 KiB, 16 KiB, 64 KiB, ...) and stop once every query term
        // has been seen: most documents show all their terms early, and analyzing a whole
        // 300 KiB manual for ten hits would cost milliseconds.
        var tokens: [Token] = []
        var isMatch: [Bool] = []
        var seenTerms = Set<String>()
        var offset = 0
        var chunkBytes = Self.firstChunkBytes
        while offset < utf8.count && offset < Self.scanLimitBytes {
            var end = min(utf8.count, offset + chunkBytes, Self.scanLimitBytes)
            // Cut at whitespace so that no word is split between chunks.
            while end < utf8.count && utf8[end] != 0x20 && utf8[end] != 0x0A && utf8[end] != 0x09 { end += 1 }
            let chunk = String(decoding: utf8[offset..<end], as: UTF8.self)
            for var token in analyzer.tokens(in: chunk) {
                token.utf8Range = (token.utf8Range.lowerBound + offset)..<(token.utf8Range.upperBound + offset)
                var matched = terms.contains(token.term)
                if !matched && !prefixes.isEmpty,
                   let plain = analyzer.normalizeWithoutStemming(word: String(decoding: utf8[token.utf8Range], as: UTF8.self)) {
                    matched = prefixes.contains { plain.hasPrefix($0) }
                }
                if matched { seenTerms.insert(token.term) }
                tokens.append(token)
                isMatch.append(matched)
            }
            offset = end
            chunkBytes *= 4
            if prefixes.isEmpty && !terms.isEmpty && seenTerms.count >= terms.count { break }
        }
        guard !tokens.isEmpty else { return "" }
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
        var windowEnd = tokens[last].utf8Range.upperBound
        // Keep punctuation glued to the last word ("fast."), and drop trailing whitespace.
        while windowEnd < utf8.count && windowEnd - windowStart < maxBytes + 8, !Self.isSpace(utf8[windowEnd]) { windowEnd += 1 }
        var rest = windowEnd
        while rest < utf8.count && Self.isSpace(utf8[rest]) { rest += 1 }
        let cutAtEnd = rest < utf8.count
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
        if cutAtEnd { out += "…" }
        while out.first == " " { out.removeFirst() }
        while out.last == " " { out.removeLast() }
        return out
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D }

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
