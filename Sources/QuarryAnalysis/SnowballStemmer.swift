import CStemmer

/// One libstemmer stemmer. Not thread-safe: libstemmer keeps its work buffer in the stemmer.
final class SnowballStemmer {
    private let handle: OpaquePointer

    /// nil when libstemmer has no such algorithm (or is out of memory).
    init?(language: String) {
        guard let handle = sb_stemmer_new(language, nil) else { return nil }  // nil encoding: UTF-8
        self.handle = handle
    }

    deinit { sb_stemmer_delete(handle) }

    /// The stem of `word` (UTF-8). Returns `word` unchanged if libstemmer fails (out of memory).
    func stem(_ word: String) -> String {
        var word = word
        return word.withUTF8 { bytes -> String in
            guard let base = bytes.baseAddress,
                  let stemmed = sb_stemmer_stem(handle, base, Int32(bytes.count)) else {
                return String(decoding: bytes, as: UTF8.self)
            }
            // Safe: libstemmer's result stays valid until the next call on this stemmer, and it is
            // copied into the String before this closure returns.
            let length = Int(sb_stemmer_length(handle))
            return String(decoding: UnsafeBufferPointer(start: stemmed, count: length), as: UTF8.self)
        }
    }
}
