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
/// Scores are summed in the query's term order (`ordinal`), exactly as the exhaustive
/// `DisjunctionScorer` sums them, so results are identical to the last bit.
/// Returns the number of documents fully scored (a lower bound of the hit count).
enum BlockMaxWAND {
    static func run(_ terms: [TermScorer], into topK: inout TopK) -> Int {
        var cursors = terms.filter { $0.docID != PostingCursor.end }
        let inOrder = terms
        var scored = 0
        let end = PostingCursor.end
        sortByDoc(&cursors)
        while !cursors.isEmpty {
            let threshold = topK.threshold
            // Find the pivot.
            var boundSum: Float = 0
            var pivot = -1
            for i in cursors.indices {
                boundSum += cursors[i].maxScore
                if boundSum > threshold { pivot = i; break }
            }
            if pivot < 0 { break }
            let pivotDoc = cursors[pivot].docID
            if pivotDoc == end { break }
            // Every cursor already on pivotDoc joins the pivot set.
            while pivot + 1 < cursors.count && cursors[pivot + 1].docID == pivotDoc { pivot += 1 }
            // Block-max check.
            var blockSum: Float = 0
            var shortestBlockEnd = end
            for i in 0...pivot {
                let block = cursors[i].blockBound(for: pivotDoc)
                blockSum += block.bound
                shortestBlockEnd = min(shortestBlockEnd, block.lastDocID)
            }
            if blockSum > threshold {
                if cursors[0].docID == pivotDoc {
                    // Every cursor up to the pivot is on pivotDoc: score it in query order.
                    var score: Float = 0
                    for term in inOrder where term.docID == pivotDoc { score += term.score() }
                    scored += 1
                    topK.insert(score: score, docID: pivotDoc)
                    for i in 0...pivot { _ = cursors[i].next() }
                } else {
                    // Move the lagging cursors up to pivotDoc.
                    for i in 0..<pivot where cursors[i].docID < pivotDoc { _ = cursors[i].advance(toAtLeast: pivotDoc) }
                }
            } else {
                // No doc up to the end of the shortest block (nor before the next cursor) can win.
                var next = shortestBlockEnd == end ? end : shortestBlockEnd + 1
                if pivot + 1 < cursors.count { next = min(next, cursors[pivot + 1].docID) }
                if next <= pivotDoc { next = pivotDoc + 1 }
                // Advance the cursor with the largest bound among those up to the pivot.
                var best = 0
                var i = 1
                while i <= pivot {
                    if cursors[i].maxScore > cursors[best].maxScore { best = i }
                    i += 1
                }
                _ = cursors[best].advance(toAtLeast: next)
            }
            cursors.removeAll { $0.docID == end }
            sortByDoc(&cursors)
        }
        return scored
    }

    /// Insertion sort: the list is nearly sorted after each step.
    @inline(__always) private static func sortByDoc(_ cursors: inout [TermScorer]) {
        if cursors.count < 2 { return }
        for i in 1..<cursors.count {
            let item = cursors[i]
            var j = i - 1
            while j >= 0 && cursors[j].docID > item.docID {
                cursors[j + 1] = cursors[j]
                j -= 1
            }
            cursors[j + 1] = item
        }
    }
}
