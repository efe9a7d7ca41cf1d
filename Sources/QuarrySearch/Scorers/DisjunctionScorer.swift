import QuarryFormat

/// Documents matching any child; the score is the sum of the children on the document, added
/// in child order (the canonical order the pruning algorithms use too).
final class DisjunctionScorer: Scorer {
    let children: [Scorer]

    /// Nested disjunctions are spliced in, so that sums always run over one flat list.
    init(_ children: [Scorer]) {
        var flat: [Scorer] = []
        for child in children {
            if let nested = child as? DisjunctionScorer { flat.append(contentsOf: nested.children) } else { flat.append(child) }
        }
        self.children = flat
        super.init()
        docID = flat.map(\.docID).min() ?? PostingCursor.end
        maxScore = flat.reduce(0) { $0 + $1.maxScore } * boundSafetyFactor
        cost = flat.reduce(0) { $0 + $1.cost }
    }

    override func next() -> UInt32 {
        let current = docID
        var smallest = PostingCursor.end
        for child in children {
            var doc = child.docID
            if doc == current { doc = child.next() }
            if doc < smallest { smallest = doc }
        }
        docID = smallest
        return docID
    }

    override func advance(toAtLeast target: UInt32) -> UInt32 {
        if docID >= target { return docID }
        var smallest = PostingCursor.end
        for child in children {
            var doc = child.docID
            if doc < target { doc = child.advance(toAtLeast: target) }
            if doc < smallest { smallest = doc }
        }
        docID = smallest
        return docID
    }

    override func score() -> Float {
        var sum: Float = 0
        for child in children where child.docID == docID { sum += child.score() }
        return sum
    }

    override var isCorrupt: Bool { children.contains { $0.isCorrupt } }

    /// Sum of the children's block bounds; the window ends where the first of theirs does.
    override func blockBound(for target: UInt32) -> (bound: Float, lastDocID: UInt32) {
        summedBlockBound(children, for: target)
    }
}

/// Documents matching every child, found by leapfrogging from the rarest child; each
/// `advance` skips whole posting blocks by their last doc id. Score = sum of the children.
final class ConjunctionScorer: Scorer {
    /// Children by ascending cost (the rarest leads).
    let children: [Scorer]
    /// Children in query order, for the canonical summation order.
    private let queryOrder: [Scorer]

    /// The children as term scorers in query order, when every child is one (the fast path).
    var termsInQueryOrder: [TermScorer]? {
        let terms = queryOrder.compactMap { $0 as? TermScorer }
        return terms.count == queryOrder.count ? terms : nil
    }

    init(_ children: [Scorer]) {
        var flat: [Scorer] = []
        for child in children {
            if let nested = child as? ConjunctionScorer { flat.append(contentsOf: nested.queryOrder) } else { flat.append(child) }
        }
        queryOrder = flat
        self.children = flat.sorted { $0.cost < $1.cost }
        super.init()
        maxScore = flat.reduce(0) { $0 + $1.maxScore } * boundSafetyFactor
        cost = self.children.first?.cost ?? 0
        docID = align(self.children[0].docID)
    }

    /// Block-max AND: windows that cannot beat the collector's minimum are skipped.
    private var window = CompetitiveWindow()

    override var supportsPruning: Bool { true }

    override func setMinCompetitiveScore(_ score: Float) {
        window.raise(to: score)
    }

    override func blockBound(for target: UInt32) -> (bound: Float, lastDocID: UInt32) {
        summedBlockBound(queryOrder, for: target)
    }

    /// Moves every child to the first document >= `target` that all of them contain (and, once
    /// a minimum competitive score is set, whose block window can beat it: block-max AND).
    private func align(_ start: UInt32) -> UInt32 {
        var target = start
        let lead = children[0]
        outer: while target != PostingCursor.end {
            // Skip whole windows of blocks whose summed bounds cannot beat the heap.
            target = window.firstCompetitive(from: target) { blockBound(for: $0) }
            if target == PostingCursor.end { break }
            target = lead.advance(toAtLeast: target)
            if target == PostingCursor.end { break }
            if window.isUnchecked(target) { continue outer }
            for child in children.dropFirst() {
                let doc = child.advance(toAtLeast: target)
                if doc != target {
                    target = doc
                    continue outer
                }
            }
            return target
        }
        return PostingCursor.end
    }

    override func next() -> UInt32 {
        guard docID != PostingCursor.end else { return docID }
        docID = align(docID + 1)
        return docID
    }

    override func advance(toAtLeast target: UInt32) -> UInt32 {
        if docID >= target { return docID }
        docID = align(target)
        return docID
    }

    override func score() -> Float {
        var sum: Float = 0
        for child in queryOrder { sum += child.score() }
        return sum
    }

    override var isCorrupt: Bool { children.contains { $0.isCorrupt } }
}

/// Documents of `required` that `excluded` does not match; scores are `required`'s.
final class ExclusionScorer: Scorer {
    let required: Scorer
    let excluded: Scorer

    init(required: Scorer, excluded: Scorer) {
        self.required = required
        self.excluded = excluded
        super.init()
        maxScore = required.maxScore
        cost = required.cost
        docID = skipExcluded(required.docID)
    }

    private func skipExcluded(_ start: UInt32) -> UInt32 {
        var doc = start
        while doc != PostingCursor.end && excluded.advance(toAtLeast: doc) == doc { doc = required.next() }
        return doc
    }

    override func next() -> UInt32 {
        guard docID != PostingCursor.end else { return docID }
        docID = skipExcluded(required.next())
        return docID
    }

    override func advance(toAtLeast target: UInt32) -> UInt32 {
        if docID >= target { return docID }
        docID = skipExcluded(required.advance(toAtLeast: target))
        return docID
    }

    override func score() -> Float { required.score() }
    override var isCorrupt: Bool { required.isCorrupt || excluded.isCorrupt }
}

/// Documents of `required`; `optional` adds its score where it also matches.
final class RequiredOptionalScorer: Scorer {
    let required: Scorer
    let optional: Scorer

    init(required: Scorer, optional: Scorer) {
        self.required = required
        self.optional = optional
        super.init()
        maxScore = (required.maxScore + optional.maxScore) * boundSafetyFactor
        cost = required.cost
        docID = required.docID
    }

    override func next() -> UInt32 {
        docID = required.next()
        return docID
    }

    override func advance(toAtLeast target: UInt32) -> UInt32 {
        docID = required.advance(toAtLeast: target)
        return docID
    }

    override func score() -> Float {
        var sum = required.score()
        if optional.advance(toAtLeast: docID) == docID { sum += optional.score() }
        return sum
    }

    override var isCorrupt: Bool { required.isCorrupt || optional.isCorrupt }
}

/// The block bound of a sum of scorers over the window where all their blocks overlap: the sum
/// of their bounds, ending at the first of their windows' ends.
private func summedBlockBound(_ scorers: [Scorer], for target: UInt32) -> (bound: Float, lastDocID: UInt32) {
    var sum: Float = 0
    var last = PostingCursor.end
    for scorer in scorers {
        let block = scorer.blockBound(for: target)
        sum += block.bound
        last = min(last, block.lastDocID)
    }
    return (sum * boundSafetyFactor, last)
}
