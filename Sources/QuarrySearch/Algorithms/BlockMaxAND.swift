import QuarryFormat

/// Top-k over a conjunction of term scorers: leapfrog from the rarest term (each `advance`
/// skips whole posting blocks by their last doc id, undecoded), and — once the heap is full —
/// block-max AND: the summed block bounds of all terms over the window where their current
/// blocks overlap are compared with the heap's minimum, and a window that cannot beat it is
/// skipped before any cursor moves into it.
///
/// Terms of art:
/// - `window`: from `target` to the smallest last doc id of the terms' blocks holding `target`;
///   every term's score in it is bounded by its block's (max tf, min length) bound.
/// - `checkedUpTo`: the end of the window last found competitive; targets inside it need no
///   new check until the threshold rises.
///
/// Scores are summed in query order, as `ConjunctionScorer` sums them: identical results.
enum BlockMaxAND {
    /// Returns the documents scored and whether that count is exact (no window was skipped).
    static func run(_ terms: [TermScorer], into topK: inout TopK, prune: Bool) -> (count: Int, exact: Bool) {
        let count = terms.count
        guard count > 0 else { return (0, true) }
        let end = PostingCursor.end
        // Safe: `terms` keeps every scorer alive for the whole call.
        let handles = terms.map { Unmanaged.passUnretained($0) }
        let byCost = terms.indices.sorted { terms[$0].cost < terms[$1].cost }
        let lead = handles[byCost[0]]
        var target: UInt32 = 0
        var matched = 0
        var skippedAny = false
        var checkedUpTo: UInt32 = 0
        var windowValid = false
        var threshold = topK.threshold
        outer: while target != end {
            if prune && threshold > -Float.infinity && (!windowValid || target > checkedUpTo) {
                while target != end {
                    var bound: Float = 0
                    var last = end
                    for term in 0..<count {
                        let block = handles[term]._withUnsafeGuaranteedRef { $0.blockBound(for: target) }
                        bound += block.bound
                        last = min(last, block.lastDocID)
                    }
                    if bound * boundSafetyFactor > threshold {
                        checkedUpTo = last
                        windowValid = true
                        break
                    }
                    skippedAny = true
                    target = last == end ? end : last + 1
                }
                if target == end { break }
            }
            target = lead._withUnsafeGuaranteedRef { $0.advance(toAtLeast: target) }
            if target == end { break }
            if windowValid && target > checkedUpTo { continue outer }
            for position in 1..<count {
                let doc = handles[byCost[position]]._withUnsafeGuaranteedRef { $0.advance(toAtLeast: target) }
                if doc != target {
                    target = doc
                    continue outer
                }
            }
            var score: Float = 0
            for term in 0..<count { score += handles[term]._withUnsafeGuaranteedRef { $0.score() } }
            topK.insert(score: score, docID: target)
            matched += 1
            let raised = topK.threshold
            if raised > threshold {
                threshold = raised
                windowValid = false
            }
            target += 1
        }
        return (matched, !skippedAny)
    }
}
