import QuarryFormat

/// Scores every matching document — or, with `prune`, every document that can still enter the
/// top k: once the heap is full its minimum is passed down (`setMinCompetitiveScore`) and
/// conjunctions and phrases skip block windows that cannot beat it (block-max AND). Without
/// `prune` this is the reference every pruning algorithm must agree with, and the count is exact.
enum Exhaustive {
    /// Returns the documents scored and whether that count is exact.
    static func run(_ root: Scorer, into topK: inout TopK, prune: Bool = false) -> (count: Int, exact: Bool) {
        var count = 0
        var doc = root.docID
        var pruning = false
        let prune = prune && root.supportsPruning
        while doc != PostingCursor.end {
            topK.insert(score: root.score(), docID: doc)
            count += 1
            if prune && topK.threshold > -Float.infinity {
                root.setMinCompetitiveScore(topK.threshold)
                pruning = true
            }
            doc = root.next()
        }
        return (count, !pruning)
    }
}
