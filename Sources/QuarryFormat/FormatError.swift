/// An index file that cannot be read as written: which file, where, what was expected, and what
/// to do next.
public struct FormatError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure.
    public enum Code: String, Sendable {
        /// Bytes do not match the format (bad checksum, impossible value, truncated).
        case corrupt
        /// The file was written by a different format version.
        case version
        /// A required file is missing.
        case missing
        /// The index was built with settings this reader cannot use (e.g. another analyzer).
        case incompatible
    }

    public var code: Code
    /// The file name inside the generation directory (e.g. "postings").
    public var file: String
    /// Byte offset of the problem, when known.
    public var offset: Int?
    /// What went wrong, with expected vs found where it applies.
    public var reason: String

    public init(_ code: Code, file: String, offset: Int? = nil, reason: String) {
        self.code = code
        self.file = file
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        var text = "index file '\(file)'"
        if let offset { text += " at byte \(offset)" }
        text += ": \(reason)"
        switch code {
        case .corrupt, .missing: text += " (the generation is damaged; rebuild it with quarry-index)"
        case .version: text += " (rebuild the index with this version of quarry-index)"
        case .incompatible: break
        }
        return text
    }
}
