/// Splits UTF-8 text into words. Rules (version `v1` of `AnalyzerSettings.fingerprint`):
///
/// - A word is a maximal run of letters (Unicode general category L*, Nl, or Alphabetic), decimal
///   digits (Nd) and combining marks (M*); a word starts with a letter or digit, never a mark.
///   CJK ideographs are letters, so a run of them is one word.
/// - An apostrophe (' U+0027, ‘ U+2018, ’ U+2019) joins the word when it stands between two
///   letters ("Kyiv’s", "don't"); otherwise it separates.
/// - Acronym: a single letter, a dot, and at least one more "letter dot" pair ("U.S.", "e.g.",
///   "p.m.", "J.R.R.") is one word including the dots; the analyzer drops the dots. "U.S" (no final
///   dot) is two words, as in Lucene's ClassicTokenizer.
/// - Everything else separates: punctuation, symbols, spaces, control characters, U+FFFD, quotes,
///   hyphens, dashes, underscores, and the dots, commas and colons inside numbers
///   ("6:10" -> 6, 10; "3.14" -> 3, 14; "1,000" -> 1, 000).
///
/// ASCII bytes are classified with arithmetic, no tables and no Unicode property look-ups; only a
/// non-ASCII scalar is decoded and looked up.
enum WordScanner {
    /// One word found by `scan`: byte offsets into the scanned UTF-8.
    struct Word {
        var start: Int
        var end: Int
        /// Every byte of the word is ASCII (the fast path needs no Unicode work).
        var isASCII: Bool
        /// "U.S."-style: the term is the letters without the dots.
        var isAcronym: Bool
    }

    enum ScalarClass {
        case separator, letter, digit, mark, apostrophe
    }

    /// Calls `body` with each word of `bytes` in order. `bytes` must be valid UTF-8.
    @inline(__always)
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Word) -> Void) {
        let count = bytes.count
        var index = 0
        while index < count {
            let lead = bytes[index]
            var first = ScalarClass.letter
            var length = 1
            if lead < 0x80 {
                if isASCIILetter(lead) {
                    first = .letter
                } else if isASCIIDigit(lead) {
                    first = .digit
                } else {
                    index += 1
                    continue
                }
            } else {
                let (value, scalarLength) = decode(bytes, at: index)
                length = scalarLength
                first = classify(value)
                guard first == .letter || first == .digit else {
                    index += scalarLength
                    continue
                }
            }

            let start = index
            var end = index + length
            var isASCII = lead < 0x80
            var lastWasLetter = first == .letter  // marks leave it as it was
            var scalarCount = 1
            extend: while end < count {
                let byte = bytes[end]
                if byte < 0x80 {
                    if isASCIILetter(byte) {
                        lastWasLetter = true
                    } else if isASCIIDigit(byte) {
                        lastWasLetter = false
                    } else if byte == 0x27, lastWasLetter, isLetter(bytes, at: end + 1) {
                        // an apostrophe between letters: lastWasLetter stays true for the next one
                    } else {
                        break extend
                    }
                    end += 1
                } else {
                    let (value, scalarLength) = decode(bytes, at: end)
                    switch classify(value) {
                    case .letter: lastWasLetter = true
                    case .digit: lastWasLetter = false
                    case .mark: break
                    case .apostrophe:
                        guard lastWasLetter, isLetter(bytes, at: end + scalarLength) else { break extend }
                    case .separator: break extend
                    }
                    isASCII = false
                    end += scalarLength
                }
                scalarCount += 1
            }

            var isAcronym = false
            if scalarCount == 1, first == .letter, end < count, bytes[end] == 0x2E {
                // Try "L.L.(L.)*": `dot` is at a '.', the letter after it must be followed by '.'.
                var dot = end
                var letterCount = 1
                var acronymIsASCII = isASCII
                while dot + 1 < count, bytes[dot] == 0x2E {
                    let letterStart = dot + 1
                    let letterByte = bytes[letterStart]
                    var letterLength = 1
                    if letterByte < 0x80 {
                        guard isASCIILetter(letterByte) else { break }
                    } else {
                        let (value, scalarLength) = decode(bytes, at: letterStart)
                        guard classify(value) == .letter else { break }
                        letterLength = scalarLength
                    }
                    let next = letterStart + letterLength
                    guard next < count, bytes[next] == 0x2E else { break }
                    acronymIsASCII = acronymIsASCII && letterByte < 0x80
                    letterCount += 1
                    dot = next
                }
                if letterCount >= 2 {
                    isAcronym = true
                    isASCII = acronymIsASCII
                    end = dot + 1  // include the final dot
                }
            }

            body(Word(start: start, end: end, isASCII: isASCII, isAcronym: isAcronym))
            index = end
        }
    }

    @inline(__always)
    static func isASCIILetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- 0x61 < 26 }

    @inline(__always)
    static func isASCIIDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    /// Whether a letter starts at `index` (false at the end).
    @inline(__always)
    static func isLetter(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        guard index < bytes.count else { return false }
        let byte = bytes[index]
        if byte < 0x80 { return isASCIILetter(byte) }
        return classify(decode(bytes, at: index).value) == .letter
    }

    /// Decodes the scalar whose lead byte (>= 0x80) is at `index`.
    /// Safe: a Swift String's UTF-8 is valid, so the continuation bytes are there.
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt32, length: Int) {
        let lead = UInt32(bytes[index])
        if lead < 0xE0 {
            return ((lead & 0x1F) << 6 | UInt32(bytes[index + 1]) & 0x3F, 2)
        }
        if lead < 0xF0 {
            return ((lead & 0x0F) << 12 | (UInt32(bytes[index + 1]) & 0x3F) << 6
                    | UInt32(bytes[index + 2]) & 0x3F, 3)
        }
        return ((lead & 0x07) << 18 | (UInt32(bytes[index + 1]) & 0x3F) << 12
                | (UInt32(bytes[index + 2]) & 0x3F) << 6 | UInt32(bytes[index + 3]) & 0x3F, 4)
    }

    /// The class of a non-ASCII scalar.
    static func classify(_ value: UInt32) -> ScalarClass {
        if value == 0x2018 || value == 0x2019 { return .apostrophe }
        guard let scalar = Unicode.Scalar(value) else { return .separator }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .letterNumber:
            return .letter
        case .decimalNumber:
            return .digit
        case .nonspacingMark, .spacingMark, .enclosingMark:
            return .mark
        default:
            return properties.isAlphabetic ? .letter : .separator
        }
    }
}
