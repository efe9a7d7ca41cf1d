import QuarryAnalysis
import QuarryFormat
import QuarrySystem

/// One open, verified, memory-mapped generation. Immutable and safe to share between threads;
/// a query pins one reader for its whole run, and the mapping lives until the last pin is gone.
public final class IndexReader: @unchecked Sendable {
    /// "gen-000042".
    public let generationName: String
    public let meta: IndexMeta
    /// Documents in the generation.
    public let docCount: Int
    public let terms: TermDictionary
    public let ids: IDsReader
    public let norms: NormsReader
    public let stored: StoredFieldsReader
    private let mapped: [IndexFile: MappedFile]
    private let bodies: [IndexFile: Range<Int>]
    /// Average length of each field (index = field id), for BM25.
    public let averageFieldLengths: [Double]

    /// Opens the generation CURRENT names in the index directory `indexPath`.
    public static func openCurrent(indexPath: String) throws -> IndexReader {
        let directory = IndexDirectory(path: indexPath)
        guard let name = try directory.currentGeneration() else {
            throw IndexError(.noIndex, "no index at \(indexPath) (no CURRENT file); build one with quarry-index --index \(indexPath) SOURCE")
        }
        return try IndexReader(path: directory.generationPath(name), name: name)
    }

    /// Opens and verifies one generation directory: meta checksum, then every file's header,
    /// generation, size, checksum, and structure. Throws `IndexError` naming the bad file.
    /// `keepResident` false drops each file's pages from the resident set once its checksum is
    /// verified (for one-pass tools such as reordering; a server keeps them).
    public init(path: String, name: String, keepResident: Bool = true) throws {
        generationName = name
        let metaBytes: [UInt8]
        do {
            metaBytes = try FileSystem.readFile(path + "/meta")
        } catch {
            throw IndexError(.corrupt, "\(name): cannot read meta: \(error) (an unfinished or damaged generation)")
        }
        do {
            meta = try IndexMeta.decode(metaBytes)
        } catch let error as FormatError {
            throw IndexError(error, generation: name)
        }
        docCount = meta.docs
        var mapped: [IndexFile: MappedFile] = [:]
        var bodies: [IndexFile: Range<Int>] = [:]
        for file in IndexFile.allCases {
            do {
                guard let expected = meta.files[file.rawValue] else {
                    throw FormatError(.missing, file: file.rawValue, reason: "not listed in meta")
                }
                let map: MappedFile
                do {
                    map = try MappedFile(path: path + "/" + file.rawValue, advice: file == .postings ? .willNeed : .normal)
                } catch {
                    throw FormatError(.missing, file: file.rawValue, reason: "\(error)")
                }
                guard map.byteCount == expected.bytes else {
                    throw FormatError(.corrupt, file: file.rawValue, offset: map.byteCount,
                                      reason: "size is \(map.byteCount) bytes, meta says \(expected.bytes)\(map.byteCount < expected.bytes ? " (truncated)" : "")")
                }
                // Not kept resident: each chunk's pages go as soon as the checksum has read them,
                // so opening a large generation does not map it all at once.
                let body = try FileFrame.verify(map.bytes, file: file.rawValue, magic: file.magic, generation: meta.generation,
                                                afterChecksumming: keepResident ? nil : { map.dropResidentPages(in: $0) })
                let footerCRC = UInt32(truncatingIfNeeded: loadLE64(map.bytes.baseAddress!, map.byteCount - 8))
                guard IndexMeta.hex(footerCRC) == expected.crc32 else {
                    throw FormatError(.corrupt, file: file.rawValue, offset: map.byteCount - 8,
                                      reason: "checksum \(IndexMeta.hex(footerCRC)) differs from meta's \(expected.crc32) (file from another build?)")
                }
                if !keepResident { map.dropResidentPages() }
                mapped[file] = map
                bodies[file] = body
            } catch let error as FormatError {
                throw IndexError(error, generation: name)
            }
        }
        self.mapped = mapped
        self.bodies = bodies
        do {
            terms = try TermDictionary(file: mapped[.terms]!.bytes, body: bodies[.terms]!)
            ids = try IDsReader(file: mapped[.ids]!.bytes, body: bodies[.ids]!)
            norms = try NormsReader(file: mapped[.norms]!.bytes, body: bodies[.norms]!)
            stored = try StoredFieldsReader(file: mapped[.stored]!.bytes, body: bodies[.stored]!)
        } catch let error as FormatError {
            throw IndexError(error, generation: name)
        }
        guard ids.docCount == docCount, norms.docCount == docCount, norms.fieldCount == IndexField.allCases.count,
              terms.termCount == meta.terms else {
            throw IndexError(.corrupt, "\(name): files disagree with meta on counts (docs \(docCount), ids \(ids.docCount), norms \(norms.docCount), terms \(terms.termCount) vs \(meta.terms))")
        }
        let meta = self.meta
        let docCount = self.docCount
        averageFieldLengths = IndexField.allCases.map { field in
            let sum = meta.fields.first { $0.id == Int(field.rawValue) }?.length_sum ?? 0
            return docCount == 0 ? 0 : Double(sum) / Double(docCount)
        }
    }

    /// Refuses to serve with an analyzer whose settings differ from the index's.
    public func checkAnalyzer(_ settings: AnalyzerSettings) throws {
        guard settings.fingerprint == meta.analyzer_fingerprint else {
            throw IndexError(.analyzerMismatch,
                             "\(generationName) was built with analyzer [\(meta.analyzer_fingerprint)], this configuration analyzes with [\(settings.fingerprint)]; rebuild the index or change [analysis] back")
        }
    }

    /// Postings info of `term` (already analyzed) in `field`.
    public func postingsInfo(field: IndexField, term: String) throws -> TermPostingsInfo? {
        try terms.lookup(field.key(term))
    }

    /// A cursor on a term's postings.
    public func cursor(_ info: TermPostingsInfo) throws -> PostingCursor {
        try PostingCursor(info: info, postings: mapped[.postings]!.bytes, postingsBody: bodies[.postings]!,
                          positions: mapped[.positions]!.bytes, positionsBody: bodies[.positions]!)
    }

    /// Field lengths of `field` (docCount values), or nil for an empty index.
    public func fieldLengths(_ field: IndexField) -> UnsafePointer<UInt32>? {
        norms.lengths(field: Int(field.rawValue))
    }

    /// External id of a document.
    public func externalID(_ docID: UInt32) -> String { ids.id(docID) }

    /// Stored fields of a document, in the order they were stored (title, body, extras).
    public func storedFields(_ docID: UInt32) throws -> [StoredField] {
        do {
            return try stored.document(docID)
        } catch let error as FormatError {
            throw IndexError(error, generation: generationName)
        }
    }

    /// Bytes per part of the postings file over every term (for benchmarks).
    public func postingsStatistics() throws -> PostingsStatistics {
        var statistics = PostingsStatistics()
        let file = mapped[.postings]!.bytes
        let body = bodies[.postings]!
        try terms.forEach(withPrefix: []) { _, info in
            try statistics.add(info, postingsFile: file, body: body)
            return true
        }
        return statistics
    }

    /// Lets the kernel drop the mapped pages of `files` from this process's resident set (they
    /// are read again from the page cache when touched): for passes over a whole generation,
    /// such as reordering, whose RSS would otherwise grow by every file's size.
    public func dropResidentPages(of files: [IndexFile] = IndexFile.allCases) {
        for file in files { mapped[file]?.dropResidentPages() }
    }

    /// Bytes of every file, for status and benchmarks.
    public var fileByteCounts: [String: Int] { meta.files.mapValues(\.bytes) }
}
