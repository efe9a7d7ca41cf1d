import CStemmer

/// Everything that decides which terms a text analyzes to.
///
/// An index stores `fingerprint`; a daemon or query whose settings give a different fingerprint
/// must be refused, because its terms would not match the indexed ones.
///
/// Missing keys decode to their defaults, so a config file may name only what it changes.
public struct AnalyzerSettings: Codable, Equatable, Sendable {
    /// Snowball algorithm name as libstemmer knows it ("english", "french", ...; see
    /// `availableLanguages()`), or `"none"` for no stemming.
    public var language: String
    /// Lowercase every term (full Unicode lowercasing; ASCII on a fast path).
    public var lowercase: Bool
    /// Drop diacritics from Latin and Greek letters ("Ångström" -> "angstrom") and expand
    /// ß/æ/œ/ø/ł/đ/þ/ð/ı. Other scripts keep their marks: in Cyrillic, Devanagari, Hangul, ...
    /// a mark makes a different letter (й is not и).
    public var foldDiacritics: Bool
    /// Terms to drop (each still consumes a position). Compared after lowercasing and folding
    /// (the list itself is lowercased/folded the same way), before stemming.
    public var stopwords: [String]
    /// `maxTokenBytes`: the longest term kept, in UTF-8 bytes of the lowercased/folded form before
    /// stemming. Longer tokens are dropped but still consume a position. Values below 1 act as 1.
    public var maxTokenBytes: Int

    /// The `language` meaning "do not stem".
    public static let noStemming = "none"

    /// Settings with the given values; every default is the one `default` has.
    public init(language: String = "english", lowercase: Bool = true, foldDiacritics: Bool = true,
                stopwords: [String] = [], maxTokenBytes: Int = 64) {
        self.language = language
        self.lowercase = lowercase
        self.foldDiacritics = foldDiacritics
        self.stopwords = stopwords
        self.maxTokenBytes = maxTokenBytes
    }

    /// English, lowercased, folded, no stop words, 64-byte terms.
    public static let `default` = AnalyzerSettings()

    /// The classic 33-word English stop list (the one Lucene's StopAnalyzer has long used).
    public static let englishStopwords: [String] = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
        "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
        "they", "this", "to", "was", "will", "with",
    ]

    /// One canonical line describing every setting, e.g.
    /// `v1 language=english lowercase=1 fold=1 maxbytes=64 stop=0:cbf29ce484222325`.
    ///
    /// `v1` is the tokenizer's rule version: bump it whenever a rule change alters terms.
    /// `stop=<count>:<hash>`: the number of distinct stop words, and FNV-1a 64 (16 hex digits) over
    /// them sorted by UTF-8 bytes, each followed by a NUL byte; order and duplicates in the list do
    /// not matter. Stable across runs and machines (no `hashValue`).
    public var fingerprint: String {
        let distinct = Set(stopwords).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var hash = FNV1a64()
        for word in distinct {
            hash.add(word.utf8)
            hash.add(CollectionOfOne(0))
        }
        return "v1 language=\(language) lowercase=\(lowercase ? 1 : 0) fold=\(foldDiacritics ? 1 : 0)"
            + " maxbytes=\(maxTokenBytes) stop=\(distinct.count):\(hash.hexDigest)"
    }

    /// The Snowball algorithms this libstemmer provides (canonical names, from `sb_stemmer_list()`).
    /// `"none"` is accepted as well and is not in this list.
    public static func availableLanguages() -> [String] {
        var names: [String] = []
        guard let list = sb_stemmer_list() else { return names }
        var index = 0
        // Safe: sb_stemmer_list() returns a static array terminated by a null pointer.
        while let name = list[index] {
            names.append(String(cString: name))
            index += 1
        }
        return names
    }

    private enum CodingKeys: String, CodingKey {
        case language, lowercase, foldDiacritics, stopwords, maxTokenBytes
    }

    /// Decodes the settings; a missing key takes its default.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = AnalyzerSettings.default
        language = try container.decodeIfPresent(String.self, forKey: .language) ?? defaults.language
        lowercase = try container.decodeIfPresent(Bool.self, forKey: .lowercase) ?? defaults.lowercase
        foldDiacritics = try container.decodeIfPresent(Bool.self, forKey: .foldDiacritics)
            ?? defaults.foldDiacritics
        stopwords = try container.decodeIfPresent([String].self, forKey: .stopwords) ?? defaults.stopwords
        maxTokenBytes = try container.decodeIfPresent(Int.self, forKey: .maxTokenBytes)
            ?? defaults.maxTokenBytes
    }
}

/// FNV-1a, 64-bit: a tiny hash that is the same in every run (unlike `Hasher`).
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325  // offset basis

    mutating func add<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3  // FNV prime
        }
    }

    /// 16 lowercase hex digits.
    var hexDigest: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
