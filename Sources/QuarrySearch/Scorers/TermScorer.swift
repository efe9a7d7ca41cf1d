import QuarryFormat

/// One term in one field: a posting cursor scored with BM25.
final class TermScorer: Scorer {
    let cursor: PostingCursor
    let termWeight: TermWeight
    /// The field's lengths, indexed by doc id.
    let lengths: UnsafePointer<UInt32>
    private var cachedBlock = -1
    private var cachedBlockBound: Float = 0

    init(cursor: PostingCursor, termWeight: TermWeight, lengths: UnsafePointer<UInt32>) {
        self.cursor = cursor
        self.termWeight = termWeight
        self.lengths = lengths
        super.init()
        docID = cursor.docID
        cost = cursor.docFreq
        if cursor.blockCount == 1 {
            // One block: it is decoded already; take the exact maximum.
            var best: Float = 0
            cursor.withCurrentBlock { docs, tfs in
                for i in 0..<docs.count {
                    best = max(best, termWeight.score(termFrequency: tfs[i], length: lengths[Int(docs[i])]))
                }
            }
            maxScore = best * boundSafetyFactor
        } else {
            // The best (max tf, min length) pair over all blocks, compared without division:
            // tf / (tf + K) > r  ⇔  tf > r · (tf + K); the division runs only for a new best.
            var bestRatio: Float = 0
            for block in 0..<cursor.blockCount {
                let tf = Float(cursor.blockMaxTF(block))
                let k = termWeight.normBase + termWeight.normPerToken * Float(cursor.blockMinFieldLength(block))
                if tf > bestRatio * (tf + k) { bestRatio = max(bestRatio, tf / (tf + k)) }
            }
            maxScore = termWeight.weight * bestRatio * boundSafetyFactor
        }
    }

    @inline(__always) private func rawBlockBound(_ block: Int) -> Float {
        termWeight.score(termFrequency: cursor.blockMaxTF(block), length: cursor.blockMinFieldLength(block))
    }

    override func next() -> UInt32 {
        docID = cursor.next()
        return docID
    }

    override func advance(toAtLeast target: UInt32) -> UInt32 {
        docID = cursor.advance(toAtLeast: target)
        return docID
    }

    @inline(__always) override func score() -> Float {
        // Safe: docID < docCount, the norms file holds docCount lengths per field.
        termWeight.score(termFrequency: cursor.termFrequency, length: lengths[Int(docID)])
    }

    /// Upper bound of `score()` on the current document that needs no length lookup: its exact
    /// tf with the shortest field length of its block (a cache miss into the norms saved for
    /// every candidate the bound rules out).
    @inline(__always) func frequencyBound() -> Float {
        termWeight.score(termFrequency: cursor.termFrequency, length: cursor.blockMinFieldLength(cursor.decodedBlock))
            * boundSafetyFactor
    }

    /// True when the current document could score above `need`, judged as `frequencyBound`
    /// judges it but with no division: weight · tf / (tf + K) > need  ⇔  weight · tf > need · (tf + K),
    /// K = normBase + normPerToken · (the block's shortest length); inflated by the safety factor.
    @inline(__always) func frequencyCanExceed(_ need: Float) -> Bool {
        let tf = Float(cursor.termFrequency)
        let k = termWeight.normBase + termWeight.normPerToken * Float(cursor.blockMinFieldLength(cursor.decodedBlock))
        return termWeight.weight * tf * boundSafetyFactor > need * (tf + k)
    }

    override var isCorrupt: Bool { cursor.isCorrupt }

    /// Upper bound of the score of any document in the block holding the first doc >= `target`,
    /// and that block's last doc id (`end` when no block does). Moves no cursor.
    @inline(__always) override func blockBound(for target: UInt32) -> (bound: Float, lastDocID: UInt32) {
        if cursor.blockCount == 1 {
            return target <= cursor.blockLastDocID(0) ? (maxScore, cursor.blockLastDocID(0)) : (0, PostingCursor.end)
        }
        let block = cursor.block(containing: target)
        if block >= cursor.blockCount { return (0, PostingCursor.end) }
        if block != cachedBlock {
            cachedBlock = block
            cachedBlockBound = rawBlockBound(block) * boundSafetyFactor
        }
        return (cachedBlockBound, cursor.blockLastDocID(block))
    }
}
