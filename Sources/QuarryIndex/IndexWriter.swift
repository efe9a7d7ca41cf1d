import Foundation
import QuarryAnalysis
import QuarryFormat
import QuarrySystem

/// Inverts documents in memory and writes one generation's files.
///
/// Documents get doc ids 0, 1, 2… in the order they are added. Stored fields stream to disk as
/// documents arrive; postings, positions, lengths and ids are written at `finish()`.
/// Not thread-safe: one writer, one thread (the analyzer is per thread).
public final class IndexWriter {
    /// One term's postings while indexing.
    struct TermAccumulator {
        var docIDs: [UInt32] = []
        var termFrequencies: [UInt32] = []
        var positions: [UInt32] = []
    }

    /// One field's in-memory inverted index.
    final class FieldInverter {
        var termIDs: [String: Int32] = [:]
        var terms: [String] = []
        var accumulators: [TermAccumulator] = []
        var lengths: [UInt32] = []
        var lengthSum: UInt64 = 0
        /// Reused per document: (termID << 32 | position), sorted to group a document's terms.
        var scratch: [UInt64] = []

        func add(docID: UInt32, text: String, analyzer: Analyzer) {
            scratch.removeAll(keepingCapacity: true)
            analyzer.forEachToken(in: text) { token in
                let termID: Int32
                if let existing = termIDs[token.term] {
                    termID = existing
                } else {
                    termID = Int32(terms.count)
                    termIDs[token.term] = termID
                    terms.append(token.term)
                    accumulators.append(TermAccumulator())
                }
                scratch.append(UInt64(UInt32(termID)) << 32 | UInt64(UInt32(truncatingIfNeeded: token.position)))
            }
            lengths.append(UInt32(scratch.count))
            lengthSum += UInt64(scratch.count)
            guard !scratch.isEmpty else { return }
            scratch.sort()
            var i = 0
            while i < scratch.count {
                let termID = Int(scratch[i] >> 32)
                var j = i
                accumulators[termID].docIDs.append(docID)
                while j < scratch.count && Int(scratch[j] >> 32) == termID {
                    accumulators[termID].positions.append(UInt32(truncatingIfNeeded: scratch[j]))
                    j += 1
                }
                accumulators[termID].termFrequencies.append(UInt32(j - i))
                i = j
            }
        }
    }

    public let generation: UInt64
    public let directory: String
    private let analyzer: Analyzer
    private let fields: [FieldInverter]
    private var ids: [String] = []
    private var seenIDs = Set<String>()
    private var stored = StoredFieldsWriter()
    private let storedFile: FramedFileWriter

    /// Documents added.
    public private(set) var docCount = 0

    /// Creates the generation directory `directory` (must not exist) and opens its stored file.
    public init(directory: String, generation: UInt64, analyzer: Analyzer) throws {
        self.directory = directory
        self.generation = generation
        self.analyzer = analyzer
        fields = IndexField.allCases.map { _ in FieldInverter() }
        try FileSystem.createDirectory(directory)
        storedFile = try FramedFileWriter(directory: directory, file: .stored, generation: generation)
    }

    /// Adds a document; returns false (and adds nothing) when its id was already added.
    public func add(_ document: SourceDocument) throws -> Bool {
        guard seenIDs.insert(document.id).inserted else { return false }
        guard ids.count < Int(UInt32.max - 1) else { throw IndexError(.io, "more than \(UInt32.max - 1) documents") }
        let docID = UInt32(ids.count)
        ids.append(document.id)
        docCount += 1
        fields[Int(IndexField.title.rawValue)].add(docID: docID, text: document.title, analyzer: analyzer)
        fields[Int(IndexField.body.rawValue)].add(docID: docID, text: document.body, analyzer: analyzer)
        var storedFields = [StoredField(name: "title", value: document.title), StoredField(name: "body", value: document.body)]
        for field in document.fields { storedFields.append(StoredField(name: field.name, value: field.value)) }
        if let block = stored.add(storedFields) { try storedFile.write(block) }
        return true
    }

    /// Raw and compressed bytes of stored fields (valid after `finish`).
    public var storedByteCounts: (raw: Int, compressed: Int) { (stored.rawByteCount, stored.compressedByteCount) }

    /// Writes every remaining file and the meta, each fsynced, then fsyncs the directory.
    /// Does not publish.
    public func finish() throws -> IndexMeta {
        var files: [String: IndexMeta.FileInfo] = [:]
        try storedFile.write(stored.finish())
        files[IndexFile.stored.rawValue] = try storedFile.finish()

        let idsFile = try FramedFileWriter(directory: directory, file: .ids, generation: generation)
        try idsFile.write(IDsFormat.body(ids: ids))
        files[IndexFile.ids.rawValue] = try idsFile.finish()
        ids = []
        seenIDs = []

        let normsFile = try FramedFileWriter(directory: directory, file: .norms, generation: generation)
        try normsFile.write(NormsFormat.body(lengths: fields.map(\.lengths), docCount: docCount))
        files[IndexFile.norms.rawValue] = try normsFile.finish()

        let postingsFile = try FramedFileWriter(directory: directory, file: .postings, generation: generation)
        let positionsFile = try FramedFileWriter(directory: directory, file: .positions, generation: generation)
        var dictionary = TermDictionaryWriter()
        var postingsBuffer = ByteWriter(capacity: 1 << 20)
        var positionsBuffer = ByteWriter(capacity: 1 << 20)
        for field in IndexField.allCases {
            let inverter = fields[Int(field.rawValue)]
            let lengths = inverter.lengths
            let keyed = inverter.terms.enumerated().map { (key: field.key($0.element), termID: $0.offset) }
                .sorted { $0.key.lexicographicallyPrecedes($1.key) }
            for entry in keyed {
                let accumulator = inverter.accumulators[entry.termID]
                let info = TermPostingsInfo(docFreq: accumulator.docIDs.count,
                                            postingsOffset: UInt64(postingsFile.offset + postingsBuffer.count),
                                            positionsOffset: UInt64(positionsFile.offset + positionsBuffer.count))
                PostingsEncoder.encode(docIDs: accumulator.docIDs, termFrequencies: accumulator.termFrequencies,
                                       positions: accumulator.positions, fieldLength: { lengths[Int($0)] },
                                       postings: &postingsBuffer, positionsOut: &positionsBuffer)
                inverter.accumulators[entry.termID] = TermAccumulator()
                dictionary.add(key: entry.key, info: info)
                if postingsBuffer.count >= 1 << 20 { try postingsFile.write(postingsBuffer.bytes); postingsBuffer.removeAll() }
                if positionsBuffer.count >= 1 << 20 { try positionsFile.write(positionsBuffer.bytes); positionsBuffer.removeAll() }
            }
        }
        try postingsFile.write(postingsBuffer.bytes)
        try positionsFile.write(positionsBuffer.bytes)
        files[IndexFile.postings.rawValue] = try postingsFile.finish()
        files[IndexFile.positions.rawValue] = try positionsFile.finish()

        let termsFile = try FramedFileWriter(directory: directory, file: .terms, generation: generation)
        let termCount = dictionary.termCount
        try termsFile.write(dictionary.finish())
        files[IndexFile.terms.rawValue] = try termsFile.finish()

        let meta = IndexMeta(generation: generation, docs: docCount, terms: termCount,
                             fields: IndexField.allCases.map {
                                 IndexMeta.FieldInfo(id: Int($0.rawValue), name: $0.name, length_sum: fields[Int($0.rawValue)].lengthSum)
                             },
                             analyzer: analyzer.settings, analyzer_fingerprint: analyzer.settings.fingerprint,
                             files: files)
        try FileSystem.writeFileDurably(directory + "/meta", try meta.encoded())
        try FileSystem.syncDirectory(directory)
        return meta
    }
}
