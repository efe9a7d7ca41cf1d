/// The k best (score, doc) pairs seen so far: a binary min-heap on (score, then higher doc id
/// first), so the root is the entry the next better document evicts.
///
/// Ordering: higher score first; equal scores by lower doc id. Documents arrive in increasing
/// doc-id order, so a later document with a score equal to the threshold never enters — the
/// rule that lets pruned and exhaustive top-k agree exactly.
struct TopK {
    struct Entry: Equatable {
        var score: Float
        var docID: UInt32
    }

    let capacity: Int
    private(set) var entries: [Entry] = []

    init(capacity: Int) {
        self.capacity = capacity
        entries.reserveCapacity(capacity)
    }

    /// Scores must beat this to enter (−∞ until full).
    @inline(__always) var threshold: Float {
        entries.count < capacity ? -Float.infinity : entries[0].score
    }

    /// True when `a` ranks below `b`.
    @inline(__always) private static func worse(_ a: Entry, _ b: Entry) -> Bool {
        a.score < b.score || (a.score == b.score && a.docID > b.docID)
    }

    @inline(__always) mutating func insert(score: Float, docID: UInt32) {
        guard capacity > 0 else { return }
        if entries.count < capacity {
            entries.append(Entry(score: score, docID: docID))
            siftUp(entries.count - 1)
        } else if score > entries[0].score {
            entries[0] = Entry(score: score, docID: docID)
            siftDown(0)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.worse(entries[child], entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < entries.count else { break }
            var worst = left
            if left + 1 < entries.count && Self.worse(entries[left + 1], entries[left]) { worst = left + 1 }
            guard Self.worse(entries[worst], entries[parent]) else { break }
            entries.swapAt(worst, parent)
            parent = worst
        }
    }

    /// Best first.
    func sorted() -> [Entry] {
        entries.sorted { Self.worse($1, $0) }
    }
}
