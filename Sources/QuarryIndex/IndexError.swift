import QuarryFormat

/// Why an index could not be built, published or opened.
public struct IndexError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// No index at the directory (no CURRENT).
        case noIndex
        /// A file is damaged (checksum, truncation, impossible bytes).
        case corrupt
        /// Written by another format version.
        case version
        /// Built with other analyzer settings than the caller's.
        case analyzerMismatch
        /// Another quarry-index holds the lock.
        case locked
        /// `--strict` and at least one bad record.
        case badRecords
        /// An I/O failure.
        case io
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Wraps a format error, naming the generation.
    public init(_ error: FormatError, generation: String) {
        self.code = error.code == .version ? .version : .corrupt
        self.message = "\(generation): \(error)"
    }

    public var description: String { message }
}
