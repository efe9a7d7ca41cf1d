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
}

/// Bounds are inflated by this factor so that float rounding in sums can never make a pruning
/// algorithm skip a document the exhaustive scorer would keep.
let boundSafetyFactor: Float = 1 + 1e-5
