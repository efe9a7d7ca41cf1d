// A small JSON parser for one JSON Lines record, over the line's bytes.
//
// It parses exactly RFC 8259 (objects, arrays, strings with every escape including \uXXXX
// surrogate pairs, numbers, true/false/null) but builds only what a SourceDocument needs: the
// `id`, `title` and `body` strings and the other top-level scalars as text. Nested values are
// validated and skipped. Any problem is a `RecordFailure` with a short reason; nothing traps.
// Per line it allocates the strings it returns and nothing else (escapes decode into a reused
// scratch buffer). Measured against JSONSerialization in InputBenchmarkTests (see the report).

/// Why a line is not a document; becomes `BadRecord.reason`.
struct RecordFailure: Error {
    var reason: String

    /// "invalid JSON: <what> at byte N"; N counts from 1 at the start of the line.
    static func json(_ what: String, at index: Int) -> RecordFailure {
        RecordFailure(reason: "invalid JSON: \(what) at byte \(index + 1)")
    }

    /// "invalid UTF-8 at byte N"; N counts from 1 at the start of the line.
    static func utf8(at index: Int) -> RecordFailure {
        RecordFailure(reason: "invalid UTF-8 at byte \(index + 1)")
    }
}

/// The fields of one record, before it gets its origin.
struct ParsedRecord {
    var id: String
    var title: String
    var body: String
    var fields: [(name: String, value: String)]
}

/// Parses JSON Lines records; keep one per stream to reuse its scratch buffer.
struct JSONRecordParser {
    /// Containers nested deeper than this are rejected: the skipper recurses once per level,
    /// so this bounds stack use, and no document format needs more.
    static let maxDepth = 64

    /// Escaped strings are decoded here; kept between lines to avoid reallocating.
    private let scratch = ScratchBuffer()

    init() {}

    /// Parses one line: nil for a blank line (only whitespace), else a record or a failure.
    mutating func parse(line: UnsafeRawBufferPointer) -> Result<ParsedRecord, RecordFailure>? {
        let bytes = UnsafeBufferPointer(start: line.baseAddress?.assumingMemoryBound(to: UInt8.self), count: line.count)
        var cursor = Cursor(bytes: bytes, scratch: scratch)
        do {
            guard let record = try cursor.parseRecord() else { return nil }
            return .success(record)
        } catch {
            return .failure(error)
        }
    }
}

// ASCII bytes the parser looks at.
private let quote: UInt8 = 0x22, backslash: UInt8 = 0x5c, comma: UInt8 = 0x2c, colon: UInt8 = 0x3a
private let openBrace: UInt8 = 0x7b, closeBrace: UInt8 = 0x7d, openBracket: UInt8 = 0x5b, closeBracket: UInt8 = 0x5d
private let minus: UInt8 = 0x2d, plus: UInt8 = 0x2b, dot: UInt8 = 0x2e, zero: UInt8 = 0x30, nine: UInt8 = 0x39

/// A byte array owned by one parser: the class keeps it uniquely referenced, so appends never copy.
final class ScratchBuffer {
    var bytes: [UInt8] = []
}

/// Position within one line. `bytes` is lent by the line reader for the duration of one parse.
private struct Cursor {
    let bytes: UnsafeBufferPointer<UInt8>
    let scratch: ScratchBuffer
    var pos = 0

    init(bytes: UnsafeBufferPointer<UInt8>, scratch: ScratchBuffer) {
        self.bytes = bytes
        self.scratch = scratch
    }

    /// The byte at `index`, or 0 past the end (0 is never valid where the parser looks for
    /// structure; a real NUL inside a string is rejected as a control character either way).
    @inline(__always)
    func byte(_ index: Int) -> UInt8 {
        // Safe: index is checked against the line's length.
        index < bytes.count ? bytes[index] : 0
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < bytes.count {
            let b = bytes[pos]
            if b == 0x20 || b == 0x0a || b == 0x0d || b == 0x09 { pos += 1 } else { return }
        }
    }

    /// The failure for an unexpected byte: invalid UTF-8 if that is what it is, else a JSON error.
    func unexpected(_ what: String, at index: Int) -> RecordFailure {
        if index >= bytes.count { return .json("\(what), found end of line", at: index) }
        let b = bytes[index]
        if b >= 0x80, let bad = firstInvalidUTF8(in: UnsafeBufferPointer(rebasing: bytes[index...])) {
            return .utf8(at: index + bad)
        }
        if b >= 0x21 && b < 0x7f {
            return .json("\(what), found '\(Character(Unicode.Scalar(b)))'", at: index)
        }
        return .json("\(what), found byte 0x\(String(b, radix: 16))", at: index)
    }

    // MARK: The record

    /// The top-level object; nil for a blank line.
    mutating func parseRecord() throws(RecordFailure) -> ParsedRecord? {
        skipWhitespace()
        if pos == bytes.count { return nil }
        if bytes[pos] != openBrace {
            try skipValue(depth: 1)
            try expectEndOfLine()
            throw RecordFailure(reason: "not a JSON object")
        }
        pos += 1
        var id: String?
        var title = ""
        var body = ""
        var fields: [(name: String, value: String)] = []
        skipWhitespace()
        if byte(pos) == closeBrace {
            pos += 1
        } else {
            while true {
                guard byte(pos) == quote else { throw unexpected("expected a string key", at: pos) }
                let key = try parseString()
                skipWhitespace()
                guard byte(pos) == colon else { throw unexpected("expected ':' after a key", at: pos) }
                pos += 1
                skipWhitespace()
                switch key {
                case "id":
                    id = try parseID()
                case "title":
                    title = try parseText(field: "title")
                case "body":
                    body = try parseText(field: "body")
                default:
                    if let value = try parseExtraValue(depth: 2) {
                        if let existing = fields.firstIndex(where: { $0.name == key }) {
                            fields[existing].value = value
                        } else {
                            fields.append((name: key, value: value))
                        }
                    }
                }
                skipWhitespace()
                let separator = byte(pos)
                if separator == comma {
                    pos += 1
                    skipWhitespace()
                } else if separator == closeBrace {
                    pos += 1
                    break
                } else {
                    throw unexpected("expected ',' or '}'", at: pos)
                }
            }
        }
        try expectEndOfLine()
        guard let id, !id.isEmpty else { throw RecordFailure(reason: "missing id") }
        return ParsedRecord(id: id, title: title, body: body, fields: fields)
    }

    mutating func expectEndOfLine() throws(RecordFailure) {
        skipWhitespace()
        if pos != bytes.count { throw unexpected("expected the end of the line after the value", at: pos) }
    }

    /// `id`: a string, or an integer kept as its decimal text; null counts as missing.
    mutating func parseID() throws(RecordFailure) -> String? {
        let b = byte(pos)
        if b == quote { return try parseString() }
        if b == minus || (b >= zero && b <= nine) {
            let (text, isInteger) = try parseNumber()
            guard isInteger else { throw RecordFailure(reason: "field 'id' is not a string or integer") }
            return text
        }
        if b == 0x6e {   // n
            try parseLiteral("null")
            return nil
        }
        if b == openBrace || b == openBracket || b == 0x74 || b == 0x66 {   // { [ t f
            throw RecordFailure(reason: "field 'id' is not a string or integer")
        }
        throw unexpected("expected a value", at: pos)
    }

    /// `title` / `body`: a string; null counts as missing ("").
    mutating func parseText(field: String) throws(RecordFailure) -> String {
        let b = byte(pos)
        if b == quote { return try parseString() }
        if b == 0x6e {
            try parseLiteral("null")
            return ""
        }
        if b == openBrace || b == openBracket || b == 0x74 || b == 0x66 || b == minus || (b >= zero && b <= nine) {
            throw RecordFailure(reason: "field '\(field)' is not a string")
        }
        throw unexpected("expected a value", at: pos)
    }

    /// Any other top-level field: scalars as text, arrays as their scalars joined with ", ",
    /// nil for null, empty arrays and objects (validated and skipped).
    mutating func parseExtraValue(depth: Int) throws(RecordFailure) -> String? {
        let b = byte(pos)
        switch b {
        case openBracket:
            return try parseJoinedArray(depth: depth)
        case openBrace:
            try skipValue(depth: depth)
            return nil
        default:
            return try parseScalarText()
        }
    }

    /// A string, number or boolean as text; nil for null. Throws for anything else.
    mutating func parseScalarText() throws(RecordFailure) -> String? {
        let b = byte(pos)
        switch b {
        case quote:
            return try parseString()
        case 0x74:
            try parseLiteral("true")
            return "true"
        case 0x66:
            try parseLiteral("false")
            return "false"
        case 0x6e:
            try parseLiteral("null")
            return nil
        default:
            if b == minus || (b >= zero && b <= nine) { return try parseNumber().text }
            throw unexpected("expected a value", at: pos)
        }
    }

    mutating func parseJoinedArray(depth: Int) throws(RecordFailure) -> String? {
        if depth > JSONRecordParser.maxDepth { throw tooDeep() }
        pos += 1
        var joined = ""
        var elementCount = 0
        skipWhitespace()
        if byte(pos) == closeBracket {
            pos += 1
            return nil
        }
        while true {
            let b = byte(pos)
            if b == openBracket || b == openBrace {
                try skipValue(depth: depth + 1)
            } else if let text = try parseScalarText() {
                if elementCount > 0 { joined += ", " }
                joined += text
                elementCount += 1
            }
            skipWhitespace()
            let separator = byte(pos)
            if separator == comma {
                pos += 1
                skipWhitespace()
            } else if separator == closeBracket {
                pos += 1
                return elementCount > 0 ? joined : nil
            } else {
                throw unexpected("expected ',' or ']'", at: pos)
            }
        }
    }

    func tooDeep() -> RecordFailure {
        .json("nesting deeper than \(JSONRecordParser.maxDepth) levels", at: pos)
    }

    // MARK: Skipping

    /// Validates and skips one value of any kind. `depth` is the depth a container opened here
    /// would have (the top-level object is depth 1).
    mutating func skipValue(depth: Int) throws(RecordFailure) {
        let b = byte(pos)
        switch b {
        case openBrace:
            if depth > JSONRecordParser.maxDepth { throw tooDeep() }
            pos += 1
            skipWhitespace()
            if byte(pos) == closeBrace {
                pos += 1
                return
            }
            while true {
                guard byte(pos) == quote else { throw unexpected("expected a string key", at: pos) }
                try skipString()
                skipWhitespace()
                guard byte(pos) == colon else { throw unexpected("expected ':' after a key", at: pos) }
                pos += 1
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                let separator = byte(pos)
                if separator == comma {
                    pos += 1
                    skipWhitespace()
                } else if separator == closeBrace {
                    pos += 1
                    return
                } else {
                    throw unexpected("expected ',' or '}'", at: pos)
                }
            }
        case openBracket:
            if depth > JSONRecordParser.maxDepth { throw tooDeep() }
            pos += 1
            skipWhitespace()
            if byte(pos) == closeBracket {
                pos += 1
                return
            }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                let separator = byte(pos)
                if separator == comma {
                    pos += 1
                    skipWhitespace()
                } else if separator == closeBracket {
                    pos += 1
                    return
                } else {
                    throw unexpected("expected ',' or ']'", at: pos)
                }
            }
        case quote:
            try skipString()
        default:
            _ = try parseScalarText()
        }
    }

    // MARK: Scalars

    mutating func parseLiteral(_ word: StaticString) throws(RecordFailure) {
        let start = pos
        let count = word.utf8CodeUnitCount
        var matched = pos + count <= bytes.count
        if matched {
            let expected = word.utf8Start
            for i in 0..<count where bytes[pos + i] != expected[i] {
                matched = false
                break
            }
        }
        guard matched else { throw unexpected("expected a value", at: start) }
        pos += count
    }

    /// A number per RFC 8259; returns its text and whether it is an integer (no fraction or exponent).
    mutating func parseNumber() throws(RecordFailure) -> (text: String, isInteger: Bool) {
        let start = pos
        var isInteger = true
        if byte(pos) == minus { pos += 1 }
        let first = byte(pos)
        if first == zero {
            pos += 1
        } else if first > zero && first <= nine {
            while isDigit(byte(pos)) { pos += 1 }
        } else {
            throw unexpected("expected a digit", at: pos)
        }
        if byte(pos) == dot {
            isInteger = false
            pos += 1
            guard isDigit(byte(pos)) else { throw unexpected("expected a digit after '.'", at: pos) }
            while isDigit(byte(pos)) { pos += 1 }
        }
        let e = byte(pos)
        if e == 0x65 || e == 0x45 {
            isInteger = false
            pos += 1
            if byte(pos) == plus || byte(pos) == minus { pos += 1 }
            guard isDigit(byte(pos)) else { throw unexpected("expected a digit in the exponent", at: pos) }
            while isDigit(byte(pos)) { pos += 1 }
        }
        // Safe: start..<pos lies within the line and holds only ASCII.
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        return (text, isInteger)
    }

    @inline(__always)
    func isDigit(_ b: UInt8) -> Bool { b >= zero && b <= nine }

    // MARK: Strings

    /// Index of the first byte at or after `from` that ends a plain run inside a string: a quote,
    /// a backslash, a control character, or the end of the line. ORs the run's bytes into `highBits`.
    @inline(__always)
    func endOfPlainRun(from: Int, highBits: inout UInt8) -> Int {
        var i = from
        let count = bytes.count
        while i < count {
            let b = bytes[i]
            if b == quote || b == backslash || b < 0x20 { return i }
            highBits |= b
            i += 1
        }
        return i
    }

    /// Parses a string starting at the opening quote; validates UTF-8 and decodes escapes.
    mutating func parseString() throws(RecordFailure) -> String {
        let open = pos
        let start = pos + 1
        var highBits: UInt8 = 0
        var i = endOfPlainRun(from: start, highBits: &highBits)
        if i < bytes.count && bytes[i] == quote {
            // Fast path: no escapes; the string is the bytes as they are.
            pos = i + 1
            let raw = UnsafeBufferPointer(rebasing: bytes[start..<i])
            if highBits < 0x80 { return String(decoding: raw, as: UTF8.self) }
            guard let string = String(validating: raw, as: UTF8.self) else {
                throw .utf8(at: start + (firstInvalidUTF8(in: raw) ?? 0))
            }
            return string
        }
        scratch.bytes.removeAll(keepingCapacity: true)
        scratch.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
        while true {
            guard i < bytes.count else { throw .json("unterminated string (opened at byte \(open + 1))", at: i) }
            let b = bytes[i]
            if b == quote { break }
            if b < 0x20 { throw .json("unescaped control character 0x\(String(b, radix: 16)) in a string", at: i) }
            // b is a backslash.
            let escapeStart = i
            i += 1
            switch byte(i) {
            case quote: scratch.bytes.append(quote)
            case backslash: scratch.bytes.append(backslash)
            case 0x2f: scratch.bytes.append(0x2f)   // \/
            case 0x62: scratch.bytes.append(0x08)   // \b
            case 0x66: scratch.bytes.append(0x0c)   // \f
            case 0x6e: scratch.bytes.append(0x0a)   // \n
            case 0x72: scratch.bytes.append(0x0d)   // \r
            case 0x74: scratch.bytes.append(0x09)   // \t
            case 0x75:                        // \uXXXX, maybe a surrogate pair
                var scalar = try hex4(at: i + 1)
                i += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    guard byte(i + 1) == backslash && byte(i + 2) == 0x75 else {
                        throw .json("unpaired surrogate \\u\(String(scalar, radix: 16, uppercase: true))", at: escapeStart)
                    }
                    let low = try hex4(at: i + 3)
                    guard low >= 0xDC00 && low <= 0xDFFF else {
                        throw .json("unpaired surrogate \\u\(String(scalar, radix: 16, uppercase: true))", at: escapeStart)
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                    throw .json("unpaired surrogate \\u\(String(scalar, radix: 16, uppercase: true))", at: escapeStart)
                }
                appendUTF8(scalar)
            default:
                if i >= bytes.count { throw .json("unterminated string (opened at byte \(open + 1))", at: i) }
                throw .json("invalid escape '\\\(Character(Unicode.Scalar(byte(i))))'", at: escapeStart)
            }
            i += 1
            let runStart = i
            i = endOfPlainRun(from: runStart, highBits: &highBits)
            scratch.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
        }
        pos = i + 1
        if highBits < 0x80 { return String(decoding: scratch.bytes, as: UTF8.self) }
        guard let string = String(validating: scratch.bytes, as: UTF8.self) else {
            // Escapes decode to valid UTF-8, so the bad byte is in the raw text: find it there.
            throw .utf8(at: start + (firstInvalidUTF8(in: UnsafeBufferPointer(rebasing: bytes[start..<i])) ?? 0))
        }
        return string
    }

    /// Skips a string starting at the opening quote, with the same validation as parseString.
    mutating func skipString() throws(RecordFailure) {
        // Nested keys and values are rare and short: reuse the full parser.
        _ = try parseString()
    }

    func hex4(at index: Int) throws(RecordFailure) -> UInt32 {
        var value: UInt32 = 0
        for k in 0..<4 {
            let b = byte(index + k)
            let digit: UInt8
            switch b {
            case 0x30...0x39: digit = b - 0x30
            case 0x41...0x46: digit = b - 0x41 + 10
            case 0x61...0x66: digit = b - 0x61 + 10
            default: throw .json("expected 4 hex digits after \\u", at: index - 2)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.bytes.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.bytes.append(UInt8(0xC0 | scalar >> 6))
            scratch.bytes.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.bytes.append(UInt8(0xE0 | scalar >> 12))
            scratch.bytes.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.bytes.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.bytes.append(UInt8(0xF0 | scalar >> 18))
            scratch.bytes.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.bytes.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.bytes.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}

/// The offset of the first byte that starts an ill-formed UTF-8 sequence (overlong forms,
/// surrogates and code points above U+10FFFF are ill-formed), or nil if `bytes` is valid.
func firstInvalidUTF8(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    var i = 0
    let count = bytes.count
    @inline(__always) func isContinuation(_ index: Int) -> Bool {
        index < count && bytes[index] & 0xC0 == 0x80
    }
    @inline(__always) func within(_ index: Int, _ range: ClosedRange<UInt8>) -> Bool {
        index < count && range.contains(bytes[index])
    }
    while i < count {
        let b = bytes[i]
        if b < 0x80 {
            i += 1
            continue
        }
        switch b {
        case 0xC2...0xDF:
            guard isContinuation(i + 1) else { return i }
            i += 2
        case 0xE0:
            guard within(i + 1, 0xA0...0xBF), isContinuation(i + 2) else { return i }
            i += 3
        case 0xE1...0xEC, 0xEE...0xEF:
            guard isContinuation(i + 1), isContinuation(i + 2) else { return i }
            i += 3
        case 0xED:
            guard within(i + 1, 0x80...0x9F), isContinuation(i + 2) else { return i }
            i += 3
        case 0xF0:
            guard within(i + 1, 0x90...0xBF), isContinuation(i + 2), isContinuation(i + 3) else { return i }
            i += 4
        case 0xF1...0xF3:
            guard isContinuation(i + 1), isContinuation(i + 2), isContinuation(i + 3) else { return i }
            i += 4
        case 0xF4:
            guard within(i + 1, 0x80...0x8F), isContinuation(i + 2), isContinuation(i + 3) else { return i }
            i += 4
        default:
            return i
        }
    }
    return nil
}
