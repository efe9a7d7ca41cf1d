import Foundation  // NFD/NFC (decomposed/precomposedStringWithCanonicalMapping); the stdlib has none public

/// The slow path for a word that is not all ASCII: curly apostrophes to ASCII, lowercase (with
/// Greek final ς as σ, since `lowercased()` turns Σ into σ at the end of a word too), fold
/// diacritics on Latin and Greek letters, and return the result in NFC.
///
/// `foldable base`: the last non-mark scalar was Latin or Greek, so a combining mark after it is
/// a diacritic that folding drops. After any other script's letter a mark is part of the letter
/// (Cyrillic й = и + breve, Devanagari vowel signs, Hangul stays whole after NFC) and is kept.
enum UnicodeFolding {
    static func normalize(_ word: String, lowercase: Bool, fold: Bool) -> String {
        let cased = lowercase ? word.lowercased() : word
        var folded = String.UnicodeScalarView()
        var baseIsFoldable = false
        var isASCII = true
        for scalar in cased.decomposedStringWithCanonicalMapping.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                folded.append(scalar)
                baseIsFoldable = true
                continue
            }
            if value == 0x2018 || value == 0x2019 {  // ‘ ’ as apostrophes inside a word
                folded.append("'")
                baseIsFoldable = false
                continue
            }
            if value == 0x03C2, lowercase {  // final ς -> σ: lowercased() maps Σ to σ everywhere
                folded.append("\u{03C3}")
                baseIsFoldable = true
                isASCII = false
                continue
            }
            if fold {
                if isCombiningMark(scalar) {
                    if baseIsFoldable { continue }
                } else if let expansion = expansion(of: value) {
                    folded.append(contentsOf: expansion.unicodeScalars)
                    baseIsFoldable = true
                    continue
                } else {
                    baseIsFoldable = isLatinOrGreek(value)
                }
            }
            folded.append(scalar)
            isASCII = false
        }
        let result = String(folded)
        return isASCII ? result : result.precomposedStringWithCanonicalMapping
    }

    private static func isCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// Latin and Greek blocks whose letters carry diacritics that folding removes.
    private static func isLatinOrGreek(_ value: UInt32) -> Bool {
        switch value {
        case 0x00C0...0x02AF,  // Latin-1 letters, Latin Extended-A/B, IPA
             0x0370...0x03FF,  // Greek
             0x1E00...0x1FFF,  // Latin Extended Additional (Vietnamese), Greek Extended
             0x2C60...0x2C7F, 0xA720...0xA7FF, 0xAB30...0xAB6F,  // Latin Extended-C/D/E
             0xFF21...0xFF5A:  // fullwidth Latin
            return true
        default:
            return false
        }
    }

    /// Latin letters that have no canonical decomposition but fold all the same (as Lucene's
    /// ASCIIFoldingFilter does).
    private static func expansion(of value: UInt32) -> String? {
        switch value {
        case 0x00DF: return "ss"   // ß
        case 0x1E9E: return "SS"   // ẞ
        case 0x00E6: return "ae"   // æ
        case 0x00C6: return "AE"   // Æ
        case 0x0153: return "oe"   // œ
        case 0x0152: return "OE"   // Œ
        case 0x00F8: return "o"    // ø
        case 0x00D8: return "O"    // Ø
        case 0x0142: return "l"    // ł
        case 0x0141: return "L"    // Ł
        case 0x0111: return "d"    // đ
        case 0x0110: return "D"    // Đ
        case 0x00F0: return "d"    // ð
        case 0x00D0: return "D"    // Ð
        case 0x00FE: return "th"   // þ
        case 0x00DE: return "TH"   // Þ
        case 0x0131: return "i"    // ı
        case 0xFB00: return "ff"   // ﬀ
        case 0xFB01: return "fi"   // ﬁ
        case 0xFB02: return "fl"   // ﬂ
        default: return nil
        }
    }
}
