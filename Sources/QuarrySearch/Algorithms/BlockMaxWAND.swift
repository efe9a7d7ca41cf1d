import QuarryFormat

/// Block-max WAND (Ding & Suel 2011) over a flat union of term scorers.
///
/// Terms of art:
/// - `threshold`: the score a document must beat to enter the top k (the heap's minimum).
/// - `pivot`: with cursors sorted by current doc, the first cursor at which the running sum of
///   term-level upper bounds exceeds `threshold`; `pivotDoc` is its doc. No document before
///   `pivotDoc` can beat the threshold. Invariant: every cursor before the pivot is at a doc <= pivotDoc.
/// - block check: the sum of the block-level bounds (from skip entries: max tf, min length) of
///   the cursors up to the pivot, for the blocks holding `pivotDoc`; when it cannot beat the
///   threshold, every doc up to the end of the shortest of those blocks is skipped undecoded.
///
/// Scores are summed in the query's term order, exactly as the exhaustive `DisjunctionScorer`
/// sums them, so results are identical to the last bit. The loop keeps each term's current doc
/// and bound in plain arrays and reaches the scorers through unretained references: no
/// allocation and no reference counting per posting.
/// Returns the number of documents fully scored (a lower bound of the hit count).
enum BlockMaxWAND {
    static func run(_ terms: [TermScorer], into topK: inout TopK) -> Int {
        let count = terms.count
        guard count > 0 else { return 0 }
        let end = PostingCursor.end
        // Safe: `terms` keeps every scorer alive for the whole call.
        let handles = terms.map { Unmanaged.passUnretained($0) }
        var docs = terms.map(\.docID)
        let bounds = terms.map(\.maxScore)
        var order = Array(0..<count)
        var scored = 0
        sort(&order, by: docs)
        while true {
            let threshold = topK.threshold
            // Find the pivot.
            var boundSum: Float = 0
            var pivot = -1
            for position in 0..<count {
                let term = order[position]
                if docs[term] == end { break }
                boundSum += bounds[term]
                if boundSum > threshold { pivot = position; break }
            }
            if pivot < 0 { break }
            let pivotDoc = docs[order[pivot]]
            // Every cursor already on pivotDoc joins the pivot set.
            while pivot + 1 < count && docs[order[pivot + 1]] == pivotDoc { pivot += 1 }
            // Block-max check.
            var blockSum: Float = 0
            var shortestBlockEnd = end
            for position in 0...pivot {
                let block = handles[order[position]]._withUnsafeGuaranteedRef { $0.blockBound(for: pivotDoc) }
                blockSum += block.bound
                shortestBlockEnd = min(shortestBlockEnd, block.lastDocID)
            }
            if blockSum > threshold {
                if docs[order[0]] == pivotDoc {
                    // Every cursor up to the pivot is on pivotDoc: score it in query order.
                    var score: Float = 0
                    for term in 0..<count where docs[term] == pivotDoc {
                        score += handles[term]._withUnsafeGuaranteedRef { $0.score() }
                    }
                    scored += 1
                    topK.insert(score: score, docID: pivotDoc)
                    for position in 0...pivot {
                        let term = order[position]
                        docs[term] = handles[term]._withUnsafeGuaranteedRef { $0.next() }
                    }
                } else {
                    // Move the lagging cursors up to pivotDoc.
                    for position in 0..<pivot where docs[order[position]] < pivotDoc {
                        let term = order[position]
                        docs[term] = handles[term]._withUnsafeGuaranteedRef { $0.advance(toAtLeast: pivotDoc) }
                    }
                }
            } else {
                // No doc up to the end of the shortest block (nor before the next cursor) can win.
                var next = shortestBlockEnd == end ? end : shortestBlockEnd + 1
                if pivot + 1 < count { next = min(next, docs[order[pivot + 1]]) }
                if next <= pivotDoc { next = pivotDoc + 1 }
                // Advance the cursor with the largest bound among those up to the pivot.
                var best = order[0]
                for position in 1..<(pivot + 1) where bounds[order[position]] > bounds[best] { best = order[position] }
                docs[best] = handles[best]._withUnsafeGuaranteedRef { $0.advance(toAtLeast: next) }
            }
            sort(&order, by: docs)
        }
        return scored
    }

    /// Insertion sort of term indexes by their current doc: nearly sorted after each step.
    @inline(__always) private static func sort(_ order: inout [Int], by docs: [UInt32]) {
        let count = order.count
        if count < 2 { return }
        for i in 1..<count {
            let item = order[i]
            let key = docs[item]
            var j = i - 1
            while j >= 0 && docs[order[j]] > key {
                order[j + 1] = order[j]
                j -= 1
            }
            order[j + 1] = item
        }
    }
}
