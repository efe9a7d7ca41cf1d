import QuarryFormat

/// Top-k over a conjunction of term scorers: leapfrog from the rarest term (each `advance`
/// skips whole posting blocks by their last doc id, undecoded), and — once the heap is full —
/// block-max AND with per-candidate refinement:
///
/// 1. Window: the summed block bounds of all terms over the window where their current blocks
///    overlap are compared with the heap's minimum; a window that cannot beat it is skipped
///    before any cursor moves into it.
/// 2. Candidate: before a cursor on a dense term (in at least 1/`denseFraction` of the
///    documents, so that it would almost surely match) moves to a candidate, the tf bounds
///    (exact tf, the block's shortest length: no norms lookup) of the terms already on it plus
///    the block bounds of the rest are compared with the minimum, and the candidate is dropped
///    if they cannot beat it. A frequent term ("the") is then decoded only in the blocks where
///    a candidate survives the rarer terms. Sparse terms are not checked: their leapfrog skips
///    more than a check would, and rejecting a candidate moves the lead by one document only.
///    Lengths are read only for documents that match every term.
/// 3. Scoring in batches: a document that matches every term is queued with its tfs, and
///    every `batchSize` documents their lengths are loaded in one loop (independent loads the
///    CPU overlaps: a length is a cache miss on a large index, and one at a time they
///    serialised the loop) and the batch is scored and offered to the heap. The heap's minimum
///    is therefore up to one batch late, which only prunes less.
///
/// Terms of art:
/// - `window`: from `target` to the smallest last doc id of the sparse terms' blocks holding
///   `target`; every sparse term's score in it is bounded by its block's (max tf, min length)
///   bound, every dense term's by its global maximum (its blocks would cut windows short).
/// - `remaining[p]`: the sum of the block bounds of the terms from cost rank `p` on, for the
///   current window (so each refinement step is O(1)).
/// - `windowEnd`: the end of the window last found competitive; targets inside it need no new
///   window check (the candidate check uses the current minimum).
///
/// Scores are summed in query order, as `ConjunctionScorer` sums them: identical results.
enum BlockMaxAND {
    /// A term in at least 1/denseFraction of the documents counts as dense.
    static let denseFraction = 8
    /// The two rarest lists are merged block by block when the second is at most this many
    /// times longer than the first (`PostingCursor.alignOnCommon`); otherwise leapfrog.
    static let mergeRatio = 8
    /// Matching documents scored together.
    static let batchSize = 32
    /// Candidate checks are judged over this many checks: if fewer than 1 in
    /// `minimumRejectionRate` was rejected, checking is off for `checkPause` lead candidates
    /// (every term dense and bounds too weak: the checks cost more than they save).
    static let checkProbe = 1024
    static let minimumRejectionRate = 16
    static let checkPause = 32 * 1024

    /// Returns the documents scored and whether that count is exact (no document was skipped).
    /// `docCount`: documents in the index (to tell dense terms).
    static func run(_ terms: [TermScorer], docCount: Int, into topK: inout TopK, prune: Bool) -> (count: Int, exact: Bool) {
        let count = terms.count
        guard count > 0 else { return (0, true) }
        // Safe: `terms` keeps every scorer alive for the whole call.
        let handles = terms.map { Unmanaged.passUnretained($0) }
        let byCost = terms.indices.sorted { terms[$0].cost < terms[$1].cost }
        let dense = byCost.map { terms[$0].cost * denseFraction >= docCount }
        let mergeable = count >= 2 && terms[byCost[1]].cost <= mergeRatio * max(1, terms[byCost[0]].cost)
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: count + 1) { remaining in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: batchSize * (count + 1)) { batch in
                var loop = Loop(handles: handles, byCost: byCost, dense: dense, mergeable: mergeable,
                                remaining: remaining.baseAddress!,
                                batchDocs: batch.baseAddress!, batchFrequencies: batch.baseAddress! + batchSize)
                return loop.run(into: &topK, prune: prune)
            }
        }
    }

    /// The merge loop's state: `remaining` holds count + 1 suffix sums by cost rank; the batch
    /// holds `batchSize` doc ids and, per term (query order), their `batchSize` tfs.
    private struct Loop {
        let handles: [Unmanaged<TermScorer>]
        let byCost: [Int]
        /// By cost rank: is the term dense (checked before its cursor moves)?
        let dense: [Bool]
        /// The second-rarest list is at most `mergeRatio` times longer than the rarest.
        let mergeable: Bool
        let remaining: UnsafeMutablePointer<Float>
        let batchDocs: UnsafeMutablePointer<UInt32>
        let batchFrequencies: UnsafeMutablePointer<UInt32>
        var batchCount = 0

        @inline(__always) func term(_ index: Int) -> Unmanaged<TermScorer> { handles[index] }

        /// Finds the first window at or after `start` whose summed bound beats `threshold`,
        /// fills `remaining`, and returns (its first target, its end); (end, end) when none is left.
        @inline(__always)
        func competitiveWindow(from start: UInt32, threshold: Float) -> (target: UInt32, windowEnd: UInt32) {
            let end = PostingCursor.end
            var target = start
            let count = handles.count
            while target != end {
                var sum: Float = 0
                var last = end
                remaining[count] = 0
                for position in stride(from: count - 1, through: 0, by: -1) {
                    if dense[position] && position > 0 {
                        // A dense term's blocks are short: bounding it by its global maximum
                        // keeps windows as long as the sparse terms' blocks (fewer checks).
                        sum += term(byCost[position])._withUnsafeGuaranteedRef { $0.maxScore }
                    } else {
                        let block = term(byCost[position])._withUnsafeGuaranteedRef { $0.blockBound(for: target) }
                        sum += block.bound
                        last = min(last, block.lastDocID)
                    }
                    remaining[position] = sum
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
            // Merge the two rarest lists when the second is not much longer than the first (a
            // leapfrog skips more of it) — and, if it is dense, only while candidate checks are
            // off (its check must come before its cursor moves).
            let leadCursor = lead._withUnsafeGuaranteedRef { $0.cursor }
            let secondCursor = term(byCost[count >= 2 ? 1 : 0])._withUnsafeGuaranteedRef { $0.cursor }
            var target: UInt32 = 0
            var matched = 0
            var skippedAny = false
            var windowEnd: UInt32 = 0
            var windowValid = false
            var threshold = topK.threshold
            // Adaptive candidate checks (see `checkProbe`).
            var checking = true
            var checked = 0
            var rejected = 0
            var paused = 0
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
                let mergeFirstTwo = mergeable && (!dense[1] || !(pruning && checking))
                let firstUnaligned = mergeFirstTwo ? 2 : 1
                if mergeFirstTwo {
                    // The two rarest lists, of similar length: merged block by block.
                    target = PostingCursor.alignOnCommon(leadCursor, secondCursor, atLeast: target)
                } else {
                    target = lead._withUnsafeGuaranteedRef { $0.advance(toAtLeast: target) }
                }
                if target == end { break }
                if pruning && target > windowEnd { continue outer }
                if pruning && !checking {
                    paused += 1
                    if paused >= BlockMaxAND.checkPause { checking = true; checked = 0; rejected = 0 }
                }
                if pruning && checking {
                    checked += 1
                    if checked == BlockMaxAND.checkProbe {
                        if rejected * BlockMaxAND.minimumRejectionRate < checked { checking = false; paused = 0 }
                        checked = 0
                        rejected = 0
                    }
                    // Before each dense term moves, the terms already on the candidate give tf
                    // bounds and the rest block bounds; drop the candidate if they cannot win.
                    var known: Float = 0
                    var knownCount = 0
                    for position in firstUnaligned..<count {
                        if dense[position] {
                            let canCompete: Bool
                            if position == 1 {
                                // No division: this check runs on every document of the lead.
                                let need = threshold / boundSafetyFactor - remaining[1]
                                canCompete = lead._withUnsafeGuaranteedRef { $0.frequencyCanExceed(need) }
                            } else {
                                while knownCount < position {
                                    known += term(byCost[knownCount])._withUnsafeGuaranteedRef { $0.frequencyBound() }
                                    knownCount += 1
                                }
                                canCompete = (known + remaining[position]) * boundSafetyFactor > threshold
                            }
                            if !canCompete {
                                skippedAny = true
                                rejected += 1
                                target += 1
                                continue outer
                            }
                        }
                        let doc = term(byCost[position])._withUnsafeGuaranteedRef { $0.advance(toAtLeast: target) }
                        if doc != target {
                            target = doc
                            continue outer
                        }
                    }
                } else {
                    for position in firstUnaligned..<count {
                        let doc = term(byCost[position])._withUnsafeGuaranteedRef { $0.advance(toAtLeast: target) }
                        if doc != target {
                            target = doc
                            continue outer
                        }
                    }
                }
                batchDocs[batchCount] = target
                for index in 0..<count {
                    batchFrequencies[index &* BlockMaxAND.batchSize &+ batchCount] =
                        term(index)._withUnsafeGuaranteedRef { $0.cursor.termFrequency }
                }
                batchCount += 1
                matched += 1
                if batchCount == BlockMaxAND.batchSize {
                    scoreBatch(into: &topK)
                    let raised = topK.threshold
                    if raised > threshold {
                        threshold = raised
                        windowValid = false
                    }
                }
                target += 1
            }
            scoreBatch(into: &topK)
            return (matched, !skippedAny)
        }

        /// Scores the queued documents (sums in query order, as `ConjunctionScorer.score`) and
        /// offers them to the heap; empties the batch.
        mutating func scoreBatch(into topK: inout TopK) {
            let size = BlockMaxAND.batchSize
            withUnsafeTemporaryAllocation(of: Float.self, capacity: size) { scores in
                for slot in 0..<batchCount { scores[slot] = 0 }
                for index in 0..<handles.count {
                    term(index)._withUnsafeGuaranteedRef { scorer in
                        let lengths = scorer.lengths
                        let weight = scorer.termWeight
                        let frequencies = batchFrequencies + index &* size
                        for slot in 0..<batchCount {
                            // Safe: batch doc ids are documents of the index (< docCount).
                            scores[slot] += weight.score(termFrequency: frequencies[slot], length: lengths[Int(batchDocs[slot])])
                        }
                    }
                }
                for slot in 0..<batchCount { topK.insert(score: scores[slot], docID: batchDocs[slot]) }
            }
            batchCount = 0
        }
    }
}
