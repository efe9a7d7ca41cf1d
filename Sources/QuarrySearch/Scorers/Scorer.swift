import QuarryFormat

/// A document-at-a-time matcher and scorer: the node type of a compiled query.
///
/// Invariant: `docID` never decreases; `PostingCursor.end` means exhausted. `score()` is
/// valid only while positioned on a document.
class Scorer {
    /// The current document (or `PostingCursor.end`).
    var docID: UInt32 = 0
    /// Upper bound of `score()` over every document (inflated by a hair for float safety).
    var maxScore: Float = 0
    /// Estimated number of matching documents, to order conjunctions.
    var cost: Int = 0

    func next() -> UInt32 { fatalError("abstract") }
    func advance(toAtLeast target: UInt32) -> UInt32 { fatalError("abstract") }
    func score() -> Float { fatalError("abstract") }
    /// True when some cursor below met impossible bytes.
    var isCorrupt: Bool { false }

    /// Upper bound of `score()` for every document from `target` up to `lastDocID`, and that
    /// window's end, read from skip data without moving any cursor ("shallow"). The default is
    /// the global bound over an unbounded window.
    func blockBound(for target: UInt32) -> (bound: Float, lastDocID: UInt32) {
        (maxScore, PostingCursor.end)
    }

    /// From now on only documents scoring above `score` matter (the top-k heap is full and this
    /// is its minimum): a scorer may skip windows whose `blockBound` is not above it. Never
    /// lowered. The default ignores it.
    func setMinCompetitiveScore(_ score: Float) {}

    /// True when `setMinCompetitiveScore` can make this scorer skip documents.
    var supportsPruning: Bool { false }
}

/// Bounds are inflated by this factor so that float rounding in sums can never make a pruning
/// algorithm skip a document the exhaustive scorer would keep.
let boundSafetyFactor: Float = 1 + 1e-5
