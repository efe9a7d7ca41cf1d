import QuarryFormat

/// Exact phrases in one field: a conjunction of the terms' cursors, then a position check on
/// each candidate (positions are decoded only for candidates). Scored as one BM25 term with
/// tf = the number of occurrences of the phrase.
///
/// Once a minimum competitive score is set, a candidate is first bounded without positions:
/// the phrase occurs at most min(tf) times in it, so bm25(min tf, its length) bounds its score,
/// and a candidate whose bound cannot beat the minimum is dropped before any position is read.
final class PhraseScorer: Scorer {
    /// One cursor per distinct term.
    private let cursors: [PostingCursor]
    /// The same cursors, unretained, for the per-candidate loops (`cursors` keeps them alive).
    private let handles: [Unmanaged<PostingCursor>]
    /// For each word of the phrase (its offset), the index of its term's cursor.
    private let slots: [Int]
    /// Cursor indexes by ascending doc frequency (the rarest leads the conjunction).
    private let order: [Int]
    /// The two rarest lists are merged block by block (`PostingCursor.alignOnCommon`): there
    /// are two and the second is at most `BlockMaxAND.mergeRatio` times longer.
    private let mergeFirstTwo: Bool
    private let termWeight: TermWeight
    private let lengths: UnsafePointer<UInt32>
    private var phraseFrequency: UInt32 = 0
    /// Slots by ascending tf in the current document (reused per candidate).
    private let byFrequency: UnsafeMutablePointer<Int>
    /// Each cursor's tf in the current candidate (reused per candidate).
    private let cursorFrequencies: UnsafeMutablePointer<UInt32>
    /// Candidate phrase start positions (reused; grown as needed).
    private var candidates: UnsafeMutablePointer<UInt32> = .allocate(capacity: 64)
    private var candidateCapacity = 64

    /// - Parameters:
    ///   - cursors: one per distinct term of the phrase.
    ///   - slots: for each word of the phrase in order, the index of its cursor in `cursors`.
    init(cursors: [PostingCursor], slots: [Int], termWeight: TermWeight, lengths: UnsafePointer<UInt32>) {
        precondition(!cursors.isEmpty && slots.allSatisfy { cursors.indices.contains($0) })
        self.cursors = cursors
        handles = cursors.map { Unmanaged.passUnretained($0) }
        self.slots = slots
        self.termWeight = termWeight
        self.lengths = lengths
        order = cursors.indices.sorted { cursors[$0].docFreq < cursors[$1].docFreq }
        mergeFirstTwo = cursors.count >= 2
            && cursors[order[1]].docFreq <= BlockMaxAND.mergeRatio * max(1, cursors[order[0]].docFreq)
        byFrequency = .allocate(capacity: slots.count)
        cursorFrequencies = .allocate(capacity: cursors.count)
        super.init()
        cost = cursors.map(\.docFreq).min() ?? 0
        // tf is unbounded above; the length floor is 0: weight · tf / (tf + normBase) < weight.
        maxScore = termWeight.weight * boundSafetyFactor
        docID = find(0)
    }

    /// Windows whose phrase bound cannot beat the collector's minimum are skipped.
    private var window = CompetitiveWindow()

    override var supportsPruning: Bool { true }

    override func setMinCompetitiveScore(_ score: Float) {
        window.raise(to: score)
    }

    /// A phrase occurs at most min(tf) times in a document, and the document's field is at
    /// least as long as the longest of the blocks' shortest lengths: bm25 of those two bounds
    /// every phrase score in the window where all the terms' blocks overlap.
    override func blockBound(for target: UInt32) -> (bound: Float, lastDocID: UInt32) {
        var maxTF = UInt32.max
        var minLength: UInt32 = 0
        var last = PostingCursor.end
        for cursor in cursors {
            let block = cursor.block(containing: target)
            if block >= cursor.blockCount { return (0, PostingCursor.end) }
            maxTF = min(maxTF, cursor.blockMaxTF(block))
            minLength = max(minLength, cursor.blockMinFieldLength(block))
            last = min(last, cursor.blockLastDocID(block))
        }
        return (termWeight.score(termFrequency: maxTF, length: minLength) * boundSafetyFactor, last)
    }

    private func find(_ start: UInt32) -> UInt32 {
        var target = start
        while target != PostingCursor.end {
            target = window.firstCompetitive(from: target) { blockBound(for: $0) }
            if target == PostingCursor.end { break }
            if mergeFirstTwo {
                // The two rarest lists, of similar length: merged block by block.
                let from = target
                target = handles[order[0]]._withUnsafeGuaranteedRef { first in
                    handles[order[1]]._withUnsafeGuaranteedRef { PostingCursor.alignOnCommon(first, $0, atLeast: from) }
                }
            } else {
                target = cursor(order[0]) { $0.advance(toAtLeast: target) }
            }
            if target != PostingCursor.end && window.isUnchecked(target) { continue }
            if target == PostingCursor.end { break }
            var aligned = true
            for rank in (mergeFirstTwo ? 2 : 1)..<order.count {
                let doc = cursor(order[rank]) { $0.advance(toAtLeast: target) }
                if doc != target { target = doc; aligned = false; break }
            }
            guard aligned else { continue }
            loadFrequencies()
            if window.isActive && !candidateCanCompete(target) {
                target += 1
                continue
            }
            let frequency = countPhrases()
            if frequency > 0 {
                phraseFrequency = frequency
                return target
            }
            target += 1
        }
        return PostingCursor.end
    }

    /// Runs `body` on cursor `index` without retaining it.
    @inline(__always) private func cursor<R>(_ index: Int, _ body: (PostingCursor) -> R) -> R {
        handles[index]._withUnsafeGuaranteedRef(body)
    }

    /// Reads every cursor's tf on the current candidate into `cursorFrequencies`.
    @inline(__always) private func loadFrequencies() {
        for index in 0..<handles.count { cursorFrequencies[index] = cursor(index) { $0.termFrequency } }
    }

    /// True when the phrase could score above the minimum on `doc` (every cursor on it, tfs
    /// loaded): it occurs at most min(tf) times there.
    @inline(__always) private func candidateCanCompete(_ doc: UInt32) -> Bool {
        var maxOccurrences = UInt32.max
        for index in cursors.indices { maxOccurrences = min(maxOccurrences, cursorFrequencies[index]) }
        return termWeight.score(termFrequency: maxOccurrences, length: lengths[Int(doc)]) * boundSafetyFactor
            > window.minCompetitive
    }

    /// Occurrences of the phrase in the current document: start positions p with term i at
    /// p + i for every i. Terms are taken by ascending tf in this document: the rarest one's
    /// positions give the candidate starts, each further term filters them, and the work stops
    /// (without decoding the remaining terms' positions) as soon as no candidate is left.
    private func countPhrases() -> UInt32 {
        let wordCount = slots.count
        // Insertion sort of the slots by tf (phrases are short); ties keep phrase order.
        for i in 0..<wordCount {
            let frequency = cursorFrequencies[slots[i]]
            var j = i
            while j > 0 && cursorFrequencies[slots[byFrequency[j - 1]]] > frequency {
                byFrequency[j] = byFrequency[j - 1]
                j -= 1
            }
            byFrequency[j] = i
        }
        let first = byFrequency[0]
        guard let seed = cursor(slots[first], { $0.currentPositions() }) else { return 0 }
        if seed.count > candidateCapacity {
            candidates.deallocate()
            candidateCapacity = max(seed.count, candidateCapacity * 2)
            candidates = .allocate(capacity: candidateCapacity)
        }
        var candidateCount = 0
        for position in seed where position >= UInt32(first) {
            candidates[candidateCount] = position - UInt32(first)
            candidateCount += 1
        }
        for rank in 1..<wordCount where candidateCount > 0 {
            let word = byFrequency[rank]
            let offset = UInt32(word)
            // Positions past the last candidate's are never needed: stop decoding there.
            // (A cursor shared by a repeated word decodes again: its buffer was reused.)
            let limit = candidates[candidateCount - 1] &+ offset
            guard let list = cursor(slots[word], { $0.currentPositions(upTo: limit) }) else { return 0 }
            var kept = 0, p = 0
            for c in 0..<candidateCount {
                let wanted = candidates[c] &+ offset
                while p < list.count && list[p] < wanted { p += 1 }
                if p == list.count { break }
                if list[p] == wanted {
                    candidates[kept] = candidates[c]
                    kept += 1
                }
            }
            candidateCount = kept
        }
        return UInt32(candidateCount)
    }

    deinit {
        candidates.deallocate()
        byFrequency.deallocate()
        cursorFrequencies.deallocate()
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
