import QuarryAnalysis

/// A batch of input records and, for each document, its analyzed fields: per field the distinct
/// terms (as dictionary keys, with their hash), each with its positions. Made by an analysis
/// worker, consumed by the one inverter in batch order. In-memory only.
///
/// Arrays are flat and cumulative ("ends") so that a batch is a handful of allocations:
/// record r, field f owns entries `entryEnds[r*F + f - 1] ..< entryEnds[r*F + f]` (0 before the
/// first); entry e owns key bytes `keyEnds[e-1] ..< keyEnds[e]` and positions
/// `positionEnds[e-1] ..< positionEnds[e]`.
final class AnalyzedBatch {
    /// Position of this batch in the input (0, 1, 2…): the inverter's order.
    let sequence: Int
    /// The records, in input order; nil marks the end of input (`error` may say why).
    var records: [Result<SourceDocument, BadRecord>] = []
    /// Input bytes read when the batch closed (for progress).
    var bytesRead = 0
    /// Set on the last batch when reading failed.
    var error: Error?
    var isLast = false

    var entryEnds: [Int] = []
    var fieldLengths: [UInt32] = []
    var entryHashes: [UInt64] = []
    var keyEnds: [Int] = []
    var positionEnds: [Int] = []
    var keyBytes: [UInt8] = []
    var positions: [UInt32] = []

    init(sequence: Int) {
        self.sequence = sequence
    }

    /// Raw text bytes of the records (to size batches).
    var approximateByteCount: Int {
        keyBytes.count + positions.count * 4 + entryHashes.count * 24
    }
}

/// Turns a batch's documents into analyzed fields. One per worker thread (owns an Analyzer).
final class BatchAnalyzer {
    private let analyzer: Analyzer
    private struct Occurrence {
        var hash: UInt64
        var position: UInt32
        var termIndex: UInt32
    }
    private var occurrences: [Occurrence] = []
    private var terms: [String] = []

    init(analyzer: Analyzer) {
        self.analyzer = analyzer
    }

    func analyze(_ batch: AnalyzedBatch) {
        let fields = IndexField.allCases
        batch.entryEnds.reserveCapacity(batch.records.count * fields.count)
        for record in batch.records {
            guard case .success(let document) = record else {
                for _ in fields {
                    batch.entryEnds.append(batch.entryHashes.count)
                    batch.fieldLengths.append(0)
                }
                continue
            }
            for field in fields {
                analyze(field == .title ? document.title : document.body, field: field, into: batch)
                batch.entryEnds.append(batch.entryHashes.count)
            }
        }
    }

    private func analyze(_ text: String, field: IndexField, into batch: AnalyzedBatch) {
        occurrences.removeAll(keepingCapacity: true)
        terms.removeAll(keepingCapacity: true)
        let seed = UInt64(field.rawValue) &+ 1
        analyzer.forEachToken(in: text) { token in
            occurrences.append(Occurrence(hash: token.term.termHash(seed: seed),
                                          position: UInt32(truncatingIfNeeded: token.position),
                                          termIndex: UInt32(terms.count)))
            terms.append(token.term)
        }
        batch.fieldLengths.append(UInt32(occurrences.count))
        guard !occurrences.isEmpty else { return }
        let termList = self.terms
        // Group a term's occurrences: by hash, then (only on equal hashes) by the term itself,
        // so that two terms with one hash never mix; then by position.
        occurrences.sort { a, b in
            if a.hash != b.hash { return a.hash < b.hash }
            let x = termList[Int(a.termIndex)], y = termList[Int(b.termIndex)]
            if x != y { return x < y }
            return a.position < b.position
        }
        var i = 0
        let count = occurrences.count
        while i < count {
            let head = occurrences[i]
            let term = termList[Int(head.termIndex)]
            var j = i
            while j < count && occurrences[j].hash == head.hash && (j == i || termList[Int(occurrences[j].termIndex)] == term) {
                batch.positions.append(occurrences[j].position)
                j += 1
            }
            batch.entryHashes.append(head.hash)
            batch.keyBytes.append(field.rawValue)
            batch.keyBytes.append(contentsOf: term.utf8)
            batch.keyEnds.append(batch.keyBytes.count)
            batch.positionEnds.append(batch.positions.count)
            i = j
        }
    }
}
