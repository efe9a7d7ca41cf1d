import QuarryAnalysis

/// Builds a short excerpt of a document around the query's matched terms.
///
/// Matched words are wrapped in `highlightStart` / `highlightEnd` (U+0002 / U+0003, the
/// protocol's markers; the client turns them into terminal bold or strips them). The excerpt
/// is the window of at most `maxBytes` UTF-8 bytes that holds the most distinct matched terms,
/// cut at word boundaries, whitespace collapsed, with "…" where text was cut.
///
/// One builder serves all the hits of a query, on one thread: its `HighlightScanner` analyzes
/// each distinct surface word once for the whole query, and its word list is reused from one
/// snippet to the next.
public struct SnippetBuilder {
    public static let highlightStart: Character = "\u{02}"
    public static let highlightEnd: Character = "\u{03}"
    /// How far into a body a snippet looks (huge manuals): chunks end here at the latest (cut at
    /// the next whitespace), so at most ~64 KiB of a document is analyzed, as Lucene's
    /// highlighter analyzes 50K characters by default. (It was 128 KiB plus a last chunk
    /// running to ~340 KiB: on the 5M scale corpus, ten long intersection hits took 20-50 ms to
    /// fetch.) A document whose terms all appear only later gets its best window from the first
    /// 64 KiB.
    static let scanLimitBytes = 64 * 1024
    /// The first chunk analyzed; each next chunk is four times larger.
    static let firstChunkBytes = 4 * 1024
    /// Bytes of context kept before the first match of the window.
    static let leadingContextBytes = 40

    public let terms: Set<String>
    public let prefixes: [String]
    public let maxBytes: Int
    /// Word decisions shared by every snippet of the query (words repeat across hits).
    private let scanner: HighlightScanner
    /// Buffers reused from one snippet to the next.
    private let scratch = Scratch()

    private final class Scratch {
        var words: [HighlightScanner.Word] = []
        /// Per matched term (`HighlightScanner.Word.matchIndex`), the last mark set on it: counts
        /// distinct terms (seen in this text, present in this window) without building a Set.
        var marks: [Int] = []
        private var lastMark = 0

        /// A mark never set before.
        func freshMark() -> Int {
            lastMark += 1
            return lastMark
        }

        /// Makes `marks` cover `termCount` terms.
        func cover(termCount: Int) {
            if marks.count < termCount { marks.append(contentsOf: repeatElement(0, count: termCount - marks.count)) }
        }
    }

    public init(terms: Set<String>, prefixes: [String], maxBytes: Int) {
        self.terms = terms
        self.prefixes = prefixes
        self.maxBytes = max(16, maxBytes)
        scanner = HighlightScanner(terms: terms, prefixes: prefixes)
    }

    public func snippet(for text: String, analyzer: Analyzer) -> String {
        let byteCount = text.utf8.count
        // Analyze in growing chunks (4 KiB, 16 KiB, 64 KiB, ...) and stop once every query term
        // has been seen: most documents show all their terms early, and analyzing a whole
        // 300 KiB manual for ten hits would cost milliseconds.
        scratch.words.removeAll(keepingCapacity: true)
        let seenMark = scratch.freshMark()
        var seenTermCount = 0
        var offset = 0
        var chunkBytes = Self.firstChunkBytes
        while offset < byteCount && offset < Self.scanLimitBytes {
            let end = Self.chunkEnd(text, atOrAfter: min(byteCount, offset + chunkBytes, Self.scanLimitBytes))
            let firstNew = scratch.words.count
            scanner.scan(text, utf8Range: offset..<end, analyzer: analyzer, into: &scratch.words)
            scratch.cover(termCount: scanner.matchIndexCount)
            for word in scratch.words[firstNew...] where word.isMatch && scratch.marks[word.matchIndex] != seenMark {
                scratch.marks[word.matchIndex] = seenMark
                seenTermCount += 1
            }
            offset = end
            chunkBytes *= 4
            if prefixes.isEmpty && !terms.isEmpty && seenTermCount >= terms.count { break }
        }
        let words = scratch.words
        guard !words.isEmpty else { return "" }
        // Best window: starts at a match, most distinct matched terms within maxBytes.
        var bestStart = 0, bestCount = 0
        for i in words.indices where words[i].isMatch {
            let windowMark = scratch.freshMark()
            var count = 0
            var j = i
            while j < words.count && words[j].utf8Range.upperBound - words[i].utf8Range.lowerBound <= maxBytes {
                let match = words[j].matchIndex
                if match >= 0 && scratch.marks[match] != windowMark {
                    scratch.marks[match] = windowMark
                    count += 1
                }
                j += 1
            }
            if count > bestCount { bestCount = count; bestStart = i }
        }
        // Step back for a little context.
        var first = bestStart
        if bestCount > 0 {
            while first > 0 && words[bestStart].utf8Range.lowerBound - words[first - 1].utf8Range.lowerBound <= Self.leadingContextBytes {
                first -= 1
            }
        }
        let windowStart = first == 0 ? 0 : words[first].utf8Range.lowerBound
        var last = first
        while last + 1 < words.count && words[last + 1].utf8Range.upperBound - windowStart <= maxBytes { last += 1 }
        return Self.render(text, windowStart: windowStart, words: words[first...last], maxBytes: maxBytes)
    }

    /// The first offset at or after `end` that is the end of the text or a space, newline or tab:
    /// chunks end there, so that no word is split between two of them.
    private static func chunkEnd(_ text: String, atOrAfter end: Int) -> Int {
        var text = text
        return text.withUTF8 { utf8 in
            var end = end
            while end < utf8.count && utf8[end] != 0x20 && utf8[end] != 0x0A && utf8[end] != 0x09 { end += 1 }
            return end
        }
    }

    /// The window from `windowStart` through `words` (the last one included): matches marked,
    /// whitespace collapsed, "…" where text was cut, no space at either end.
    private static func render(_ text: String, windowStart: Int, words: ArraySlice<HighlightScanner.Word>,
                               maxBytes: Int) -> String {
        var text = text
        return text.withUTF8 { utf8 in
            // Safe: every index below is checked against utf8.count or comes from a word range
            // the scanner found in this text.
            var windowEnd = words.last!.utf8Range.upperBound
            // Keep punctuation glued to the last word ("fast."), and drop trailing whitespace.
            while windowEnd < utf8.count && windowEnd - windowStart < maxBytes + 8, !isSpace(utf8[windowEnd]) { windowEnd += 1 }
            var rest = windowEnd
            while rest < utf8.count && isSpace(utf8[rest]) { rest += 1 }
            let cutAtEnd = rest < utf8.count
            var out: [UInt8] = []
            out.reserveCapacity(maxBytes + 16)
            if windowStart > 0 { out.append(contentsOf: ellipsis) }
            var cursor = windowStart
            for word in words where word.isMatch {
                collapse(utf8, cursor..<word.utf8Range.lowerBound, into: &out)
                out.append(highlightStartByte)
                out.append(contentsOf: utf8[word.utf8Range])
                out.append(highlightEndByte)
                cursor = word.utf8Range.upperBound
            }
            collapse(utf8, cursor..<windowEnd, into: &out)
            if cutAtEnd { out.append(contentsOf: ellipsis) }
            var result = String(decoding: out, as: UTF8.self)
            // By Character, as before: a space followed by a combining mark is not " ".
            while result.first == " " { result.removeFirst() }
            while result.last == " " { result.removeLast() }
            return result
        }
    }

    private static let highlightStartByte: UInt8 = 0x02
    private static let highlightEndByte: UInt8 = 0x03
    /// "…" in UTF-8.
    private static let ellipsis: [UInt8] = [0xE2, 0x80, 0xA6]

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D }

    /// Appends `bytes[range]` with every run of whitespace (and control characters) as one space.
    private static func collapse(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into out: inout [UInt8]) {
        var lastWasSpace = false
        for index in range {
            let byte = bytes[index]
            if byte < 0x20 || byte == 0x20 || byte == 0x7F {
                if !lastWasSpace { out.append(0x20) }
                lastWasSpace = true
            } else {
                out.append(byte)
                lastWasSpace = false
            }
        }
    }
}
