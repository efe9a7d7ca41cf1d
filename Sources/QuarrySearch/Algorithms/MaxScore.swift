import QuarryFormat

/// MaxScore (Turtle & Flood 1995) over a flat union of term scorers.
///
/// Terms of art:
/// - terms are ordered by their upper bound, lowest first; `prefixBounds[i]` is the sum of the
///   bounds of terms 0...i.
/// - `essential`: the terms from `firstEssential` on. A document that only non-essential terms
///   contain scores at most `prefixBounds[firstEssential - 1]`, which does not beat `threshold`,
///   so only essential terms' documents are candidates; non-essential terms are probed (advanced
///   to the candidate) from the highest bound down, stopping as soon as the partial score plus
///   the remaining bounds cannot beat `threshold`. `firstEssential` grows as the heap's
///   threshold rises.
///
/// Block-max windows (skip a window of the essential terms' blocks whose summed block bounds
/// cannot beat `threshold`) were tried and measured: no gain on the benchmark queries (the
/// threshold stays below a frequent term's block bounds until the rare term's documents fill
/// the heap), so they are left out.
///
/// A document that survives is scored exactly, summing in query order as the exhaustive
/// `DisjunctionScorer` does, so results are identical to the last bit. No allocation and no
/// reference counting per posting.
/// Returns the number of documents fully scored (a lower bound of the hit count).
enum MaxScore {
    static func run(_ terms: [TermScorer], into topK: inout TopK) -> Int {
        let count = terms.count
        guard count > 0 else { return 0 }
        // Safe: `terms` keeps every scorer alive for the whole call.
        let handles = terms.map { Unmanaged.passUnretained($0) }
        let order = terms.indices.sorted { terms[$0].maxScore < terms[$1].maxScore }
        // The loop's state in one scratch allocation (no copy-on-write checks per posting):
        // per term, its current doc; per rank, the term and the prefix bound.
        return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: count) { docs in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { byBound in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { prefixBounds in
                    var running: Float = 0
                    for rank in 0..<count {
                        byBound[rank] = order[rank]
                        running += terms[order[rank]].maxScore
                        prefixBounds[rank] = running * boundSafetyFactor
                    }
                    for term in 0..<count { docs[term] = terms[term].docID }
                    return loop(handles, docs.baseAddress!, byBound.baseAddress!, prefixBounds.baseAddress!, &topK)
                }
            }
        }
    }

    /// The merge loop over prepared state (see the type's comment); returns the documents scored.
    private static func loop(_ handles: [Unmanaged<TermScorer>], _ docs: UnsafeMutablePointer<UInt32>,
                             _ byBound: UnsafePointer<Int>, _ prefixBounds: UnsafePointer<Float>,
                             _ topK: inout TopK) -> Int {
        let count = handles.count
        let end = PostingCursor.end
        var firstEssential = 0
        var threshold = topK.threshold
        var scored = 0
        while firstEssential < count {
            // The candidate: the smallest doc among essential terms.
            var doc = end
            for rank in firstEssential..<count { doc = min(doc, docs[byBound[rank]]) }
            if doc == end { break }
            var partial: Float = 0
            for rank in firstEssential..<count where docs[byBound[rank]] == doc {
                partial += handles[byBound[rank]]._withUnsafeGuaranteedRef { $0.score() }
            }
            var competitive = true
            var rank = firstEssential - 1
            while rank >= 0 {
                if partial + prefixBounds[rank] <= threshold { competitive = false; break }
                let term = byBound[rank]
                if docs[term] < doc { docs[term] = handles[term]._withUnsafeGuaranteedRef { $0.advance(toAtLeast: doc) } }
                if docs[term] == doc { partial += handles[term]._withUnsafeGuaranteedRef { $0.score() } }
                rank -= 1
            }
            if competitive && partial * boundSafetyFactor > threshold {
                var score: Float = 0
                for term in 0..<count where docs[term] == doc {
                    score += handles[term]._withUnsafeGuaranteedRef { $0.score() }
                }
                scored += 1
                topK.insert(score: score, docID: doc)
                let raised = topK.threshold
                if raised > threshold {
                    threshold = raised
                    while firstEssential < count && prefixBounds[firstEssential] <= threshold { firstEssential += 1 }
                }
            }
            for rank in firstEssential..<count where docs[byBound[rank]] == doc {
                let term = byBound[rank]
                docs[term] = handles[term]._withUnsafeGuaranteedRef { $0.next() }
            }
        }
        return scored
    }
}
