// A directory tree of text documents: every .txt and .md file below a root, in a fixed order.
// A file's first non-empty line is its title, the rest its body, its path relative to the root
// its id. Hidden entries (names starting with ".", e.g. .git) are skipped; symbolic links to
// files are followed, links to directories are not (so a walk cannot loop).

import QuarrySystem

/// One document file found under a root.
struct TextTreeFile: Equatable {
    /// Path relative to the root, with "/" separators: the document's id.
    var relativePath: String
    /// Size in bytes when the tree was walked.
    var byteCount: Int
}

enum TextTree {
    /// File name extensions taken as documents (compared case-insensitively).
    static let documentExtensions: Set<String> = ["txt", "md"]

    /// All document files under `root`, sorted by the UTF-8 bytes of their relative paths so
    /// that every run (and every machine) indexes them in the same order.
    static func walk(root: String) throws -> [TextTreeFile] {
        var files: [TextTreeFile] = []
        try walk(directory: root, relativePrefix: "", into: &files)
        files.sort { $0.relativePath.utf8.lexicographicallyPrecedes($1.relativePath.utf8) }
        return files
    }

    private static func walk(directory: String, relativePrefix: String, into files: inout [TextTreeFile]) throws {
        let entries: [DirectoryEntry]
        do {
            entries = try listDirectory(path: directory)
        } catch let error as SystemError {
            throw InputError(message: "cannot open '\(error.path ?? "")': \(error.reason)")
        }
        for entry in entries where !entry.name.hasPrefix(".") {
            let relative = relativePrefix + entry.name
            switch entry.kind {
            case .directory:
                try walk(directory: join(directory, entry.name), relativePrefix: relative + "/", into: &files)
            case .regular:
                if isDocumentName(entry.name) {
                    files.append(TextTreeFile(relativePath: relative, byteCount: entry.byteCount))
                }
            case .other:
                continue
            }
        }
    }

    static func isDocumentName(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return documentExtensions.contains(name[name.index(after: dot)...].lowercased())
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Reads one file as a document. Bad content is a BadRecord; failing to read throws.
    static func document(root: String, file: TextTreeFile, limits: InputLimits) throws -> Result<SourceDocument, BadRecord> {
        let path = join(root, file.relativePath)
        let origin = RecordOrigin(file: path, line: 1)
        func bad(_ reason: String) -> Result<SourceDocument, BadRecord> {
            .failure(BadRecord(origin: origin, reason: reason))
        }
        let limit = limits.maxRecordBytes
        if file.byteCount > limit {
            return bad("record is \(file.byteCount) bytes, over the limit of \(limit) bytes")
        }
        var bytes: [UInt8]
        do {
            let input = try InputFile.open(path: path)
            defer { input.close() }
            // Read at most limit + 1 bytes: enough to notice a file that grew past the limit.
            bytes = [UInt8](repeating: 0, count: min(file.byteCount, limit) + 1)
            var filled = 0
            while filled < bytes.count {
                let n = try bytes.withUnsafeMutableBytes {
                    try input.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...]))
                }
                if n == 0 { break }
                filled += n
                if filled == bytes.count && filled <= limit {
                    bytes.append(contentsOf: repeatElement(0, count: min(bytes.count, limit + 1 - bytes.count)))
                }
            }
            if filled > limit {
                return bad("record is over the limit of \(limit) bytes (the file grew while being read)")
            }
            bytes.removeLast(bytes.count - filled)
        } catch let error as SystemError {
            throw InputError(message: "cannot read '\(error.path ?? "")': \(error.reason)")
        }
        return parse(bytes: bytes, id: file.relativePath, origin: origin)
    }

    /// Splits a file's bytes into title and body.
    static func parse(bytes: [UInt8], id: String, origin: RecordOrigin) -> Result<SourceDocument, BadRecord> {
        var content = bytes[...]
        if content.starts(with: [0xEF, 0xBB, 0xBF]) { content = content.dropFirst(3) }   // UTF-8 BOM
        guard let text = String(validating: content, as: UTF8.self) else {
            let offset = content.withUnsafeBufferPointer { firstInvalidUTF8(in: $0) } ?? 0
            let bomBytes = bytes.count - content.count
            return .failure(BadRecord(origin: origin, reason: "invalid UTF-8 at byte \(offset + bomBytes + 1)"))
        }
        var rest = Substring(text).unicodeScalars[...]
        while !rest.isEmpty {
            let lineEnd = rest.firstIndex(of: "\n") ?? rest.endIndex
            let line = trimmed(rest[..<lineEnd])
            rest = lineEnd < rest.endIndex ? rest[rest.index(after: lineEnd)...] : rest[rest.endIndex...]
            if !line.isEmpty {
                let title = String(Substring(line))
                let body = String(Substring(trimmed(rest)))
                return .success(SourceDocument(id: id, title: title, body: body, fields: [], origin: origin))
            }
        }
        return .failure(BadRecord(origin: origin, reason: "empty document"))
    }

    private static func trimmed(_ scalars: Substring.UnicodeScalarView) -> Substring.UnicodeScalarView {
        var result = scalars
        while let first = result.first, first.properties.isWhitespace { result.removeFirst() }
        while let last = result.last, last.properties.isWhitespace { result.removeLast() }
        return result
    }
}
