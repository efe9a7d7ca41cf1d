/// How matched terms are marked inside `SearchHit.snippet` on the wire.
///
/// A matched term is wrapped in two ASCII control characters: U+0002 (STX, "start of text")
/// before it and U+0003 (ETX, "end of text") after it. On the wire they appear as the JSON
/// escapes `\u0002` and `\u0003`, so every client can find them without parsing HTML or
/// markdown, and plain text never collides with them. Example:
///
///     "snippet": "… shelling in \u0002Kharkiv\u0003 overnight …"
///
/// Producers (the engine's snippet generator) must call `sanitize(_:)` on stored text first, so
/// that a stray U+0002/U+0003 in a document cannot fake a mark. Consumers either `render` the
/// marks (the `quarry` client uses ANSI bold on a terminal) or `strip` them (plain output).
/// `quarry search --json` passes them through unchanged.
public enum Highlight {
    /// Opens a matched term: U+0002 START OF TEXT.
    public static let start: Unicode.Scalar = "\u{02}"
    /// Closes a matched term: U+0003 END OF TEXT.
    public static let end: Unicode.Scalar = "\u{03}"

    /// Wraps `term` in the marks.
    public static func mark(_ term: String) -> String {
        "\(Character(start))\(term)\(Character(end))"
    }

    /// Removes both marks (for plain output). Same as `render(_:open:close:)` with empty strings.
    public static func strip(_ snippet: String) -> String {
        render(snippet, open: "", close: "")
    }

    /// Removes U+0002/U+0003 from source text before marks are added.
    public static func sanitize(_ text: String) -> String {
        strip(text)
    }

    /// Replaces the start mark by `open` and the end mark by `close`, e.g. ANSI escapes.
    public static func render(_ snippet: String, open: String, close: String) -> String {
        guard snippet.unicodeScalars.contains(where: { $0 == start || $0 == end }) else { return snippet }
        var result = String.UnicodeScalarView()
        let openScalars = open.unicodeScalars
        let closeScalars = close.unicodeScalars
        for scalar in snippet.unicodeScalars {
            if scalar == start {
                result.append(contentsOf: openScalars)
            } else if scalar == end {
                result.append(contentsOf: closeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }
}
