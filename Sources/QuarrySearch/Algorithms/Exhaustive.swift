import QuarryFormat

/// Scores every matching document: the reference every pruning algorithm must agree with, and
/// the path for queries no pruning algorithm handles. The count is exact.
enum Exhaustive {
    static func run(_ root: Scorer, into topK: inout TopK) -> Int {
        var count = 0
        var doc = root.docID
        while doc != PostingCursor.end {
            topK.insert(score: root.score(), docID: doc)
            count += 1
            doc = root.next()
        }
        return count
    }
}
