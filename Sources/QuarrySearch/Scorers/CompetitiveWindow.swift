import QuarryFormat

/// The block-max window check shared by scorers that skip non-competitive documents
/// (conjunctions and phrases): once the collector's heap is full, only documents scoring above
/// `minCompetitive` matter, and a window of blocks whose bound does not beat it is skipped.
///
/// `checkedUpTo`: the end of the last window found competitive; targets inside it need no new
/// check until `minCompetitive` rises.
struct CompetitiveWindow {
    private(set) var minCompetitive = -Float.infinity
    private var checkedUpTo: UInt32 = 0
    private var checkedAny = false

    /// True once a minimum competitive score is set.
    var isActive: Bool { minCompetitive > -Float.infinity }

    /// Raises the minimum (never lowers it); the current window is checked again.
    mutating func raise(to score: Float) {
        if score > minCompetitive {
            minCompetitive = score
            checkedAny = false
        }
    }

    /// True when `target` lies past the last window found competitive.
    func isUnchecked(_ target: UInt32) -> Bool {
        isActive && (!checkedAny || target > checkedUpTo)
    }

    /// The first doc >= `target` whose window (from `bound`) can beat the minimum, or `end`.
    mutating func firstCompetitive(from target: UInt32,
                                   bound: (UInt32) -> (bound: Float, lastDocID: UInt32)) -> UInt32 {
        guard isUnchecked(target) else { return target }
        var target = target
        while target != PostingCursor.end {
            let window = bound(target)
            if window.bound > minCompetitive {
                checkedAny = true
                checkedUpTo = window.lastDocID
                return target
            }
            target = window.lastDocID == PostingCursor.end ? PostingCursor.end : window.lastDocID + 1
        }
        return PostingCursor.end
    }
}
