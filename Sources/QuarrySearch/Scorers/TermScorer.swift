import Foundation
import QuarryFormat

/// One term in one field: a posting cursor scored with BM25.
final class TermScorer: Scorer {
    let cursor: PostingCursor
    let termWeight: TermWeight
    /// The field's lengths, indexed by doc id.
    let lengths: UnsafePointer<UInt32>
    private var cachedBlock = -1
    private var cachedBlockBound: Float = 0

    /// - Parameters:
    ///   - listBounds, listKey: where a long list's bound ratio is cached (the list's postings
    ///     offset identifies it within the generation); nil computes it every time.
    init(cursor: PostingCursor, termWeight: TermWeight, lengths: UnsafePointer<UInt32>,
         listBounds: ListBoundCache? = nil, listKey: UInt64 = 0) {
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
            let bestRatio: Float
            if let listBounds, cursor.blockCount >= ListBoundCache.minimumBlockCount {
                bestRatio = listBounds.ratio(of: listKey) { Self.bestRatio(cursor, termWeight) }
            } else {
                bestRatio = Self.bestRatio(cursor, termWeight)
            }
            maxScore = termWeight.weight * bestRatio * boundSafetyFactor
        }
    }

    /// max over the blocks of tf / (tf + K) for the block's (max tf, min length), K = normBase
    /// + normPerToken · length: the score bound without the weight. Compared without division
    /// (tf / (tf + K) > r  ⇔  tf > r · (tf + K)); the division runs only for a new best.
    private static func bestRatio(_ cursor: PostingCursor, _ termWeight: TermWeight) -> Float {
        var best: Float = 0
        for block in 0..<cursor.blockCount {
            let tf = Float(cursor.blockMaxTF(block))
            let k = termWeight.normBase + termWeight.normPerToken * Float(cursor.blockMinFieldLength(block))
            if tf > best * (tf + k) { best = max(best, tf / (tf + k)) }
        }
        return best
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

/// Each long posting list's bound ratio (`TermScorer.bestRatio`: the weight-free part of its
/// score bound, which depends only on the list and the BM25 length normalisation), computed
/// once per generation and settings instead of once per query: for "the" that is a pass over
/// thousands of skip entries. Keyed by the list's postings offset; thread-safe.
final class ListBoundCache: @unchecked Sendable {
    /// Shorter lists are bounded on the spot (cheaper than the lock).
    static let minimumBlockCount = 32
    private let lock = NSLock()
    private var ratios: [UInt64: Float] = [:]

    func ratio(of key: UInt64, compute: () -> Float) -> Float {
        lock.lock()
        let cached = ratios[key]
        lock.unlock()
        if let cached { return cached }
        let ratio = compute()
        lock.lock()
        ratios[key] = ratio
        lock.unlock()
        return ratio
    }
}
