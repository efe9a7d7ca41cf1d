import QuarryFormat

/// Exact phrases in one field: a conjunction of the terms' cursors, then a position check on
/// each candidate (positions are decoded only for candidates). Scored as one BM25 term with
/// tf = the number of occurrences of the phrase.
final class PhraseScorer: Scorer {
    private let cursors: [PostingCursor]
    /// Cursor indexes by ascending doc frequency (the rarest leads the conjunction).
    private let order: [Int]
    private let termWeight: TermWeight
    private let lengths: UnsafePointer<UInt32>
    private var phraseFrequency: UInt32 = 0
    private var positions: [[UInt32]]
    private var pointers: [Int]

    init(cursors: [PostingCursor], termWeight: TermWeight, lengths: UnsafePointer<UInt32>) {
        self.cursors = cursors
        self.termWeight = termWeight
        self.lengths = lengths
        order = cursors.indices.sorted { cursors[$0].docFreq < cursors[$1].docFreq }
        positions = Array(repeating: [], count: cursors.count)
        pointers = Array(repeating: 0, count: cursors.count)
        super.init()
        cost = cursors.map(\.docFreq).min() ?? 0
        // tf is unbounded above; the length floor is 0: weight · tf / (tf + normBase) < weight.
        maxScore = termWeight.weight * boundSafetyFactor
        docID = find(0)
    }

    private func find(_ start: UInt32) -> UInt32 {
        var target = start
        while target != PostingCursor.end {
            target = cursors[order[0]].advance(toAtLeast: target)
            if target == PostingCursor.end { break }
            var aligned = true
            for index in order.dropFirst() {
                let doc = cursors[index].advance(toAtLeast: target)
                if doc != target { target = doc; aligned = false; break }
            }
            guard aligned else { continue }
            let frequency = countPhrases()
            if frequency > 0 {
                phraseFrequency = frequency
                return target
            }
            target += 1
        }
        return PostingCursor.end
    }

    /// Occurrences of the phrase in the current document: positions p with term i at p + i.
    private func countPhrases() -> UInt32 {
        for i in cursors.indices { cursors[i].positions(into: &positions[i]) }
        var count: UInt32 = 0
        for i in pointers.indices { pointers[i] = 0 }
        for start in positions[0] {
            var all = true
            for i in 1..<cursors.count {
                let wanted = start &+ UInt32(i)
                var p = pointers[i]
                let list = positions[i]
                while p < list.count && list[p] < wanted { p += 1 }
                pointers[i] = p
                if p >= list.count { return count }
                if list[p] != wanted { all = false; break }
            }
            if all { count += 1 }
        }
        return count
    }

    override func next() -> UInt32 {
        guard docID != PostingCursor.end else { return docID }
        docID = find(docID + 1)
        return docID
    }

    override func advance(toAtLeast target: UInt32) -> UInt32 {
        if docID >= target { return docID }
        docID = find(target)
        return docID
    }

    override func score() -> Float {
        termWeight.score(termFrequency: phraseFrequency, length: lengths[Int(docID)])
    }

    override var isCorrupt: Bool { cursors.contains { $0.isCorrupt } }
}
