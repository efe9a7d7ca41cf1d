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

    // One thread at a time owns a batch (handed over under the pipeline's lock), so the
    // dynamic exclusivity checks are off for these hot arrays.
    @exclusivity(unchecked) var entryEnds: [Int] = []
    @exclusivity(unchecked) var fieldLengths: [UInt32] = []
    @exclusivity(unchecked) var entryHashes: [UInt64] = []
    @exclusivity(unchecked) var keyEnds: [Int] = []
    @exclusivity(unchecked) var positionEnds: [Int] = []
    @exclusivity(unchecked) var keyBytes: [UInt8] = []
    @exclusivity(unchecked) var positions: [UInt32] = []

    init(sequence: Int) {
        self.sequence = sequence
    }

    /// Raw text bytes of the records (to size batches).
    var approximateByteCount: Int {
        keyBytes.count + positions.count * 4 + entryHashes.count * 24
    }
}

/// Turns a batch's documents into analyzed fields. One per worker thread (owns an Analyzer).
///
/// A field's tokens are grouped by term with a small per-field hash table (hash, then the term
/// itself on a hash match, so two terms with one hash never mix): linear in the tokens, and each
/// group's positions come out in token order, i.e. increasing.
final class BatchAnalyzer {
    private let analyzer: Analyzer
    // Scratch, reused per field. Only this worker's thread touches it: no dynamic exclusivity
    // checks (they were ~15% of the indexing profile).
    @exclusivity(unchecked) private var tokenHashes: [UInt64] = []
    @exclusivity(unchecked) private var tokenPositions: [UInt32] = []
    @exclusivity(unchecked) private var tokenTerms: [String] = []
    @exclusivity(unchecked) private var nextInGroup: [Int32] = []
    @exclusivity(unchecked) private var groupFirst: [Int32] = []
    @exclusivity(unchecked) private var groupLast: [Int32] = []
    @exclusivity(unchecked) private var slots: [Int32] = []

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
        tokenHashes.removeAll(keepingCapacity: true)
        tokenPositions.removeAll(keepingCapacity: true)
        tokenTerms.removeAll(keepingCapacity: true)
        let seed = UInt64(field.rawValue) &+ 1
        analyzer.forEachToken(in: text) { token in
            tokenHashes.append(token.term.termHash(seed: seed))
            tokenPositions.append(UInt32(truncatingIfNeeded: token.position))
            tokenTerms.append(token.term)
        }
        let count = tokenHashes.count
        batch.fieldLengths.append(UInt32(count))
        guard count > 0 else { return }
        var slotCount = 8
        while slotCount < 2 * count { slotCount *= 2 }
        let mask = slotCount - 1
        slots.removeAll(keepingCapacity: true)
        slots.append(contentsOf: repeatElement(-1, count: slotCount))
        nextInGroup.removeAll(keepingCapacity: true)
        nextInGroup.append(contentsOf: repeatElement(-1, count: count))
        groupFirst.removeAll(keepingCapacity: true)
        groupLast.removeAll(keepingCapacity: true)
        for token in 0..<count {
            let hash = tokenHashes[token]
            var slot = Int(truncatingIfNeeded: hash) & mask
            while true {
                let group = Int(slots[slot])
                if group < 0 {
                    slots[slot] = Int32(groupFirst.count)
                    groupFirst.append(Int32(token))
                    groupLast.append(Int32(token))
                    break
                }
                let first = Int(groupFirst[group])
                if tokenHashes[first] == hash && tokenTerms[first] == tokenTerms[token] {
                    nextInGroup[Int(groupLast[group])] = Int32(token)
                    groupLast[group] = Int32(token)
                    break
                }
                slot = (slot + 1) & mask
            }
        }
        for group in 0..<groupFirst.count {
            var token = Int(groupFirst[group])
            batch.entryHashes.append(tokenHashes[token])
            batch.keyBytes.append(field.rawValue)
            batch.keyBytes.append(contentsOf: tokenTerms[token].utf8)
            batch.keyEnds.append(batch.keyBytes.count)
            while token >= 0 {
                batch.positions.append(tokenPositions[token])
                token = Int(nextInGroup[token])
            }
            batch.positionEnds.append(batch.positions.count)
        }
    }
}
