import QuarryFormat

/// Top-k over a conjunction of term scorers: leapfrog from the rarest term (each `advance`
/// skips whole posting blocks by their last doc id, undecoded), and — once the heap is full —
/// block-max AND with per-candidate refinement:
///
/// 1. Window: the summed block bounds of all terms over the window where their current blocks
///    overlap are compared with the heap's minimum; a window that cannot beat it is skipped
///    before any cursor moves into it.
/// 2. Candidate: on each document of the rarest term, its exact score plus the other terms'
///    block bounds is compared with the minimum before any other cursor moves; each further
///    term replaces its bound by its exact score, and the candidate is dropped as soon as the
///    sum cannot beat the minimum. A frequent term ("the") is then decoded only in the blocks
///    where a candidate survives the rarer terms.
///
/// Terms of art:
/// - `window`: from `target` to the smallest last doc id of the terms' blocks holding `target`;
///   every term's score in it is bounded by its block's (max tf, min length) bound, kept in
///   `bounds` while the window lasts.
/// - `windowEnd`: the end of the window last found competitive; targets inside it need no new
///   window check (the candidate check uses the current minimum).
///
/// Scores are summed in query order, as `ConjunctionScorer` sums them: identical results.
enum BlockMaxAND {
    /// Returns the documents scored and whether that count is exact (no document was skipped).
    static func run(_ terms: [TermScorer], into topK: inout TopK, prune: Bool) -> (count: Int, exact: Bool) {
        let count = terms.count
        guard count > 0 else { return (0, true) }
        // Safe: `terms` keeps every scorer alive for the whole call.
        let handles = terms.map { Unmanaged.passUnretained($0) }
        let byCost = terms.indices.sorted { terms[$0].cost < terms[$1].cost }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * count) { scratch in
            var loop = Loop(handles: handles, byCost: byCost,
                            bounds: scratch.baseAddress!, scores: scratch.baseAddress! + count)
            return loop.run(into: &topK, prune: prune)
        }
    }

    /// The merge loop's state; `bounds` and `scores` hold one entry per term (query order).
    private struct Loop {
        let handles: [Unmanaged<TermScorer>]
        let byCost: [Int]
        let bounds: UnsafeMutablePointer<Float>
        let scores: UnsafeMutablePointer<Float>

        @inline(__always) func term(_ index: Int) -> Unmanaged<TermScorer> { handles[index] }

        /// Finds the first window at or after `start` whose summed bound beats `threshold`,
        /// fills `bounds`, and returns (its first target, its end); (end, end) when none is left.
        @inline(__always)
        func competitiveWindow(from start: UInt32, threshold: Float) -> (target: UInt32, windowEnd: UInt32) {
            let end = PostingCursor.end
            var target = start
            while target != end {
                var sum: Float = 0
                var last = end
                for index in 0..<handles.count {
                    let block = term(index)._withUnsafeGuaranteedRef { $0.blockBound(for: target) }
                    bounds[index] = block.bound
                    sum += block.bound
                    last = min(last, block.lastDocID)
                }
                if sum * boundSafetyFactor > threshold { return (target, last) }
                target = last == end ? end : last + 1
            }
            return (end, end)
        }

        mutating func run(into topK: inout TopK, prune: Bool) -> (count: Int, exact: Bool) {
            let end = PostingCursor.end
            let count = handles.count
            let lead = term(byCost[0])
            var target: UInt32 = 0
            var matched = 0
            var skippedAny = false
            var windowEnd: UInt32 = 0
            var windowValid = false
            var threshold = topK.threshold
            outer: while target != end {
                let pruning = prune && threshold > -Float.infinity
                if pruning && (!windowValid || target > windowEnd) {
                    let window = competitiveWindow(from: target, threshold: threshold)
                    if window.target != target { skippedAny = true }
                    target = window.target
                    windowEnd = window.windowEnd
                    windowValid = true
                    if target == end { break }
                }
                target = lead._withUnsafeGuaranteedRef { $0.advance(toAtLeast: target) }
                if target == end { break }
                if pruning && target > windowEnd { continue outer }
                if pruning {
                    // Refine: exact scores replace bounds, rarest term first, until the sum
                    // cannot beat the minimum (then the candidate is dropped) or all match.
                    scores[byCost[0]] = lead._withUnsafeGuaranteedRef { $0.score() }
                    if !canCompete(known: 1, threshold: threshold) {
                        skippedAny = true
                        target += 1
                        continue outer
                    }
                    for position in 1..<count {
                        let index = byCost[position]
                        let doc = term(index)._withUnsafeGuaranteedRef { $0.advance(toAtLeast: target) }
                        if doc != target {
                            target = doc
                            continue outer
                        }
                        scores[index] = term(index)._withUnsafeGuaranteedRef { $0.score() }
                        if position + 1 < count && !canCompete(known: position + 1, threshold: threshold) {
                            skippedAny = true
                            target += 1
                            continue outer
                        }
                    }
                } else {
                    for position in 1..<count {
                        let doc = term(byCost[position])._withUnsafeGuaranteedRef { $0.advance(toAtLeast: target) }
                        if doc != target {
                            target = doc
                            continue outer
                        }
                    }
                    for index in 0..<count { scores[index] = term(index)._withUnsafeGuaranteedRef { $0.score() } }
                }
                var score: Float = 0
                for index in 0..<count { score += scores[index] }
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

        /// True when the exact scores of the `known` rarest terms plus the block bounds of the
        /// rest can beat `threshold`.
        @inline(__always) func canCompete(known: Int, threshold: Float) -> Bool {
            var sum: Float = 0
            for position in 0..<byCost.count {
                let index = byCost[position]
                sum += position < known ? scores[index] : bounds[index]
            }
            return sum * boundSafetyFactor > threshold
        }
    }
}
