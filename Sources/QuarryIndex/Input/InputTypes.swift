// The public vocabulary of the document input layer: what a record is, where it came from,
// why it was skipped, and the limits that apply. See DocumentReader for the reading itself.

/// Where a record came from, for error messages: "file:line".
///
/// `file` is the source path as given (with the relative path appended for files found in a
/// directory tree; "<stdin>" for standard input). `line` counts from 1; a document read from a
/// directory tree is always line 1.
public struct RecordOrigin: Sendable, Equatable, CustomStringConvertible {
    /// The source path (see the type's comment).
    public var file: String
    /// The 1-based line number within the (decompressed) source.
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    /// "path:line".
    public var description: String { "\(file):\(line)" }
}

/// One input document, before analysis.
public struct SourceDocument: Sendable {
    /// The document's external id: a JSON string, a JSON integer's decimal text, or the relative
    /// path of a file in a directory tree. Never empty.
    public var id: String
    /// The title ("" when absent).
    public var title: String
    /// The body text ("" when absent).
    public var body: String
    /// Extra stored fields in input order: `url`, `date`, `source`, `tags` (an array's scalar
    /// elements joined with ", "), and any other string, number or boolean field (numbers keep
    /// their JSON text, booleans are "true"/"false"). Never `id`, `title` or `body`; null values
    /// and nested objects are left out. A repeated key keeps its first position and last value.
    public var fields: [(name: String, value: String)]
    /// Where the document came from.
    public var origin: RecordOrigin

    public init(id: String, title: String, body: String,
                fields: [(name: String, value: String)] = [], origin: RecordOrigin) {
        self.id = id
        self.title = title
        self.body = body
        self.fields = fields
        self.origin = origin
    }
}

/// A record that was skipped, and why. Reading continues after it.
public struct BadRecord: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the record was.
    public var origin: RecordOrigin
    /// A short reason, e.g. "missing id", "invalid JSON: expected ':' at byte 12",
    /// "invalid UTF-8 at byte 40" (bytes count from 1 at the start of the line or file).
    public var reason: String

    public init(origin: RecordOrigin, reason: String) {
        self.origin = origin
        self.reason = reason
    }

    /// "path:line: reason".
    public var description: String { "\(origin): \(reason)" }
}

/// Limits that protect the indexer from hostile or broken input.
public struct InputLimits: Sendable {
    /// The largest record accepted, in bytes: a JSON Lines line without its "\n", or a whole
    /// text file of a directory tree. Larger records are skipped as `BadRecord`s without being
    /// buffered whole. Default 16 MiB: far above any real article, small enough to hold in memory.
    public var maxRecordBytes: Int

    public init(maxRecordBytes: Int = 16 << 20) {
        self.maxRecordBytes = maxRecordBytes
    }

    /// 16 MiB records.
    public static let `default` = InputLimits()
}

/// A source that cannot be read at all: missing, unreadable, or a corrupt compressed stream.
/// Reading stops; compare `BadRecord`, after which reading continues.
public struct InputError: Error, Sendable, CustomStringConvertible {
    /// The whole message, naming the source, e.g. "cannot open 'x': No such file or directory".
    public var message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}
