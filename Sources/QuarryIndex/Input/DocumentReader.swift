// The indexer's input: every source in order, as documents and bad records.
//
// Source kinds (see DESIGN.md "Input"):
//   path to a directory     a TextTree: .txt/.md files, sorted by relative path, one document each
//   "-"                     standard input: JSON Lines, gzip or zstd (told apart by magic bytes)
//   any other path          a JSON Lines file; gzip or zstd when its first bytes say so. A name
//                           ending ".gz"/".zst" whose bytes are not gzip/zstd is an InputError.
// JSON Lines: one object per line; blank lines are skipped; "\r\n" works; a UTF-8 BOM at the
// start of a stream is ignored. Pipeline per stream:
//   InputFile -> RawStream (counts bytes) -> [GzipStream | ZstdStream] -> LineReader -> JSONRecordParser

import QuarrySystem

/// Reads every source in order; yields documents and bad records.
///
/// Sources are checked when the reader is created (a missing or unreadable one throws
/// InputError "cannot open 'x': No such file or directory"), and opened one at a time while
/// reading. Not thread-safe: one reader, one consumer.
public final class DocumentReader {
    private enum Source {
        case lines(path: String, byteCount: Int?)
        case standardInput
        case tree(root: String, files: [TextTreeFile])
    }

    private enum OpenSource {
        case lines(LineSource)
        case tree(root: String, files: [TextTreeFile], next: Int)
    }

    private let sources: [Source]
    private let limits: InputLimits
    private var nextSource = 0
    private var current: OpenSource?
    private var finishedByteCount = 0
    private var treeByteCount = 0

    /// Checks every source and lists directory trees; throws InputError naming the first that
    /// cannot be opened.
    public init(sources: [String], limits: InputLimits = .default) throws {
        self.limits = limits
        var checked: [Source] = []
        var total: Int? = 0
        for path in sources {
            if path == "-" {
                checked.append(.standardInput)
                total = nil
                continue
            }
            do {
                let status = try FileStatus(path: path)
                switch status.kind {
                case .directory:
                    let files = try TextTree.walk(root: path)
                    checked.append(.tree(root: path, files: files))
                    total = total.map { files.reduce($0) { $0 + $1.byteCount } }
                case .regular, .other:
                    // Open a regular file once to report permissions now rather than halfway
                    // through a run; not a pipe or FIFO (opening one can block, or lose data).
                    if status.kind == .regular { try InputFile.open(path: path).close() }
                    let byteCount = status.kind == .regular ? status.byteCount : nil
                    checked.append(.lines(path: path, byteCount: byteCount))
                    total = byteCount.flatMap { count in total.map { $0 + count } }
                }
            } catch let error as SystemError {
                throw InputError(message: "cannot open '\(path)': \(error.reason)")
            }
        }
        self.sources = checked
        self.totalBytes = total
    }

    /// The next document or bad record; nil at the end of all sources. Bad records are returned
    /// as `.failure` and reading continues; only I/O errors (a read error, a corrupt gzip/zstd
    /// stream, a file that vanished) throw.
    public func next() throws -> Result<SourceDocument, BadRecord>? {
        while true {
            if current == nil {
                guard nextSource < sources.count else { return nil }
                current = try open(sources[nextSource])
                nextSource += 1
            }
            switch current {
            case .lines(let source):
                if let result = try source.next() { return result }
                finishedByteCount += source.byteCount
                current = nil
            case .tree(let root, let files, let index):
                guard index < files.count else {
                    current = nil
                    continue
                }
                current = .tree(root: root, files: files, next: index + 1)
                treeByteCount += files[index].byteCount
                return try TextTree.document(root: root, file: files[index], limits: limits)
            case nil:
                continue
            }
        }
    }

    /// Compressed (on-disk) bytes consumed so far, for progress; for directory trees, the sizes
    /// of the files read so far.
    public var bytesRead: Int {
        var count = finishedByteCount + treeByteCount
        if case .lines(let source) = current { count += source.byteCount }
        return count
    }

    /// The sum of the sources' sizes when all are regular files or directory trees; nil when
    /// standard input or a pipe is among them.
    public let totalBytes: Int?

    private func open(_ source: Source) throws -> OpenSource {
        switch source {
        case .lines(let path, _):
            let file: InputFile
            do {
                file = try InputFile.open(path: path)
            } catch let error as SystemError {
                throw InputError(message: "cannot open '\(path)': \(error.reason)")
            }
            return .lines(try LineSource(file: file, name: path, limits: limits))
        case .standardInput:
            return .lines(try LineSource(file: .standardInput(), name: "<stdin>", limits: limits))
        case .tree(let root, let files):
            return .tree(root: root, files: files, next: 0)
        }
    }
}

/// One JSON Lines stream: decompression, line splitting and record parsing.
final class LineSource {
    private let raw: RawStream
    private let lines: LineReader
    private let name: String
    private let maxRecordBytes: Int
    private var parser = JSONRecordParser()

    init(file: InputFile, name: String, limits: InputLimits) throws {
        self.name = name
        maxRecordBytes = limits.maxRecordBytes
        raw = RawStream(file: file)
        let magic = try raw.peek(count: 4)
        let encoding = StreamEncoding(magic: magic)
        let lowercased = name.lowercased()
        if !magic.isEmpty {
            if lowercased.hasSuffix(".gz") && encoding != .gzip {
                throw InputError(message: "cannot read '\(name)': not gzip data (it does not start with 1f 8b)")
            }
            if lowercased.hasSuffix(".zst") && encoding != .zstd {
                throw InputError(message: "cannot read '\(name)': not zstd data (it does not start with 28 b5 2f fd)")
            }
        }
        let stream: ByteStream
        switch encoding {
        case .plain: stream = raw
        case .gzip: stream = try GzipStream(source: raw, name: name)
        case .zstd: stream = try ZstdStream(source: raw, name: name)
        }
        lines = LineReader(source: stream, maxLineBytes: limits.maxRecordBytes)
    }

    /// Bytes read from the file (compressed bytes for compressed input).
    var byteCount: Int { raw.byteCount }

    /// The next record or bad record; nil at the end. Blank lines are skipped.
    func next() throws -> Result<SourceDocument, BadRecord>? {
        while true {
            let outcome: Result<ParsedRecord, RecordFailure>?? = try lines.nextLine { content in
                switch content {
                case .oversize(let byteCount):
                    return .failure(RecordFailure(
                        reason: "record is \(byteCount) bytes, over the limit of \(maxRecordBytes) bytes"))
                case .bytes(var line):
                    if lines.lineNumber == 1 && line.starts(with: [0xEF, 0xBB, 0xBF]) {   // UTF-8 BOM
                        line = UnsafeRawBufferPointer(rebasing: line[3...])
                    }
                    return parser.parse(line: line)
                }
            }
            guard let outcome else { return nil }                  // end of stream
            guard let result = outcome else { continue }           // blank line
            let origin = RecordOrigin(file: name, line: lines.lineNumber)
            switch result {
            case .success(let record):
                return .success(SourceDocument(id: record.id, title: record.title, body: record.body,
                                               fields: record.fields, origin: origin))
            case .failure(let failure):
                return .failure(BadRecord(origin: origin, reason: failure.reason))
            }
        }
    }
}
