import Foundation

/// Documents as sets of term numbers: the input of graph bisection (a "forward index").
///
/// Compressed sparse rows: the terms of document `d` are
/// `termNumbers[documentStarts[d] ..< documentStarts[d + 1]]`, each in `0..<termCount`. Only the
/// terms that bisection looks at are in it (see `ReorderOptions`), each once per document.
public struct ForwardIndex: Sendable {
    /// Distinct term numbers (the largest + 1).
    public let termCount: Int
    /// `docCount + 1` offsets into `termNumbers`, increasing.
    public let documentStarts: [Int]
    /// Every document's term numbers, document after document.
    public let termNumbers: [UInt32]

    public var docCount: Int { documentStarts.count - 1 }

    /// Bytes the two arrays hold.
    public var byteCount: Int { documentStarts.count * 8 + termNumbers.count * 4 }

    /// A forward index from arrays already in CSR form (checked: starts increase, numbers < termCount).
    public init(termCount: Int, documentStarts: [Int], termNumbers: [UInt32]) {
        precondition(!documentStarts.isEmpty && documentStarts.first == 0 && documentStarts.last == termNumbers.count)
        precondition(zip(documentStarts, documentStarts.dropFirst()).allSatisfy { $0 <= $1 })
        precondition(termNumbers.allSatisfy { Int($0) < termCount })
        self.termCount = termCount
        self.documentStarts = documentStarts
        self.termNumbers = termNumbers
    }

    /// A forward index from each document's distinct term numbers (for tests and small inputs).
    public init(termCount: Int, documents: [[UInt32]]) {
        var starts = [0]
        var numbers: [UInt32] = []
        for document in documents {
            numbers.append(contentsOf: document)
            starts.append(numbers.count)
        }
        self.init(termCount: termCount, documentStarts: starts, termNumbers: numbers)
    }
}

/// Recursive graph bisection ("BP"): a document order that puts documents sharing terms next
/// to each other, so that posting lists have small doc-id gaps (fewer bits per doc id) and
/// their 128-document blocks hold similar documents (tighter block-max bounds, more blocks
/// skipped). After Dhulipala et al., "Compressing Graphs and Indexes with Recursive Graph
/// Bisection" (KDD 2016), with the speed-ups of Mackenzie et al. (cached per-term move costs,
/// swaps chosen by sorting gains, parallel recursion).
///
/// The algorithm, on a range of documents (the root is every document, in input order):
/// 1. split it in two halves, left and right, as it stands;
/// 2. count, for every term, its documents on each side: `leftDegree[t]`, `rightDegree[t]`;
/// 3. `gain` of a document: how much the cost below drops when it alone moves to the other
///    side; compute it for every document, sort each side by gain (largest first), and swap the
///    i-th left with the i-th right document while the sum of their gains is positive; update
///    the degrees; repeat up to `maxIterations` times or until nothing moves;
/// 4. recurse into both halves (concurrently near the root) until a range holds at most
///    `leafSize` documents; a leaf keeps its documents in input order.
///
/// `cost`: the log-gap cost of a term with `d` documents among the `n` of one side,
/// `d · log2(n / (d + 1))`, the bits a gap-coded posting list of a term spread evenly would
/// need. Moving a document from side A to side B changes, for each of its terms,
/// the term's cost by `h(a) - h(a - 1) - (h(b + 1) - h(b))` where `a`, `b` are the term's
/// degrees on A and B and `h(d) = d · log2(d + 1)` (the `n` parts cancel because both sides hold
/// the same number of documents, within one). `moveCost[d] = h(d) - h(d - 1)` is tabulated
/// once (a few MiB: one Float per document of the largest half), so a gain is a sum of
/// `moveCost[b + 1] - moveCost[a]` over the document's terms: two loads and a subtraction.
///
/// Determinism: every range is processed by one thread from state only it touches, sorts break
/// ties by doc id, and sums run in a fixed order: the same input gives the same permutation
/// whatever the thread count or timing.
///
/// Memory (all reported by `memoryByteCount(docCount:termCount:threads:)`): the order and one
/// 8-byte sort key per document, the `moveCost` table, and per concurrently processed range two
/// `Int32` degree arrays and two `Float` per-term gain arrays (`termCount` entries each).
public enum GraphBisection {
    public struct Options: Sendable, Equatable {
        /// Swap rounds per range (20 in the papers; most ranges stop earlier, when nothing moves).
        public var maxIterations = 20
        /// Ranges of at most this many documents are not split (a posting block is 128).
        public var leafSize = 16
        /// Threads for the recursion (1 = the caller's thread only).
        public var threads = 1

        public init(maxIterations: Int = 20, leafSize: Int = 16, threads: Int = 1) {
            self.maxIterations = maxIterations
            self.leafSize = leafSize
            self.threads = threads
        }
    }

    /// Bytes the algorithm allocates besides the forward index, at most.
    public static func memoryByteCount(docCount: Int, termCount: Int, threads: Int) -> Int {
        let concurrentRanges = threads > 1 ? 2 * threads : 1
        return docCount * (4 + 8) + (docCount / 2 + 2) * 4 + concurrentRanges * 4 * termCount * 4
    }

    /// The new order: `result[newDocID] = oldDocID`, a permutation of `0..<index.docCount`.
    ///
    /// - Parameter progress: called now and then (from any thread, one call at a time) with the
    ///   number of documents whose final place is known.
    public static func permutation(of index: ForwardIndex, options: Options = Options(),
                                   progress: (Int) -> Void = { _ in }) -> [UInt32] {
        let docCount = index.docCount
        var order = (0..<docCount).map { UInt32($0) }
        guard docCount > 1 else { return order }
        let halfCount = docCount - docCount / 2
        var moveCost = [Float](repeating: 0, count: halfCount + 2)
        for d in 1..<moveCost.count {
            let x = Double(d)
            moveCost[d] = Float(x * log2(x + 1) - (x - 1) * log2(x))
        }
        var keys = [UInt64](repeating: 0, count: docCount)
        let leafSize = max(2, options.leafSize)
        let parallelDepth = options.threads > 1 ? Int(log2(Double(options.threads)).rounded(.up)) + 1 : 0
        // The closure and the pointers are lent to the run for this call only.
        withoutActuallyEscaping(progress) { progress in
        index.documentStarts.withUnsafeBufferPointer { starts in
            index.termNumbers.withUnsafeBufferPointer { terms in
                moveCost.withUnsafeBufferPointer { moveCost in
                    order.withUnsafeMutableBufferPointer { order in
                        keys.withUnsafeMutableBufferPointer { keys in
                            let run = BisectionRun(starts: starts.baseAddress!, terms: terms.baseAddress,
                                                   moveCost: moveCost.baseAddress!, order: order.baseAddress!,
                                                   keys: keys.baseAddress!, termCount: index.termCount,
                                                   maxIterations: options.maxIterations, leafSize: leafSize,
                                                   parallelDepth: parallelDepth, progress: progress)
                            run.bisect(0..<docCount, depth: 0, degrees: nil)
                        }
                    }
                }
            }
        }
        }
        return order
    }
}

/// Per-term document counts on each side of the range being split; zero between ranges.
private final class DegreeArrays {
    let left: UnsafeMutablePointer<Int32>
    let right: UnsafeMutablePointer<Int32>
    /// Per term, the gain of moving one of its documents off the left (right) side, for
    /// ranges with more postings than terms (see `split`).
    let leftGain: UnsafeMutablePointer<Float>
    let rightGain: UnsafeMutablePointer<Float>

    init(termCount: Int) {
        let count = max(1, termCount)
        left = .allocate(capacity: count)
        right = .allocate(capacity: count)
        left.initialize(repeating: 0, count: count)
        right.initialize(repeating: 0, count: count)
        leftGain = .allocate(capacity: count)
        rightGain = .allocate(capacity: count)
        leftGain.initialize(repeating: 0, count: count)
        rightGain.initialize(repeating: 0, count: count)
    }

    deinit {
        left.deallocate()
        right.deallocate()
        leftGain.deallocate()
        rightGain.deallocate()
    }
}

/// One `permutation` call's shared state. The pointers are lent by `permutation` for the length
/// of the call and never escape it. Concurrent ranges are disjoint: each thread writes only
/// `order[range]` and `keys[range]` of its own range and its own `DegreeArrays`.
private final class BisectionRun: @unchecked Sendable {
    let starts: UnsafePointer<Int>
    let terms: UnsafePointer<UInt32>?
    let moveCost: UnsafePointer<Float>
    let order: UnsafeMutablePointer<UInt32>
    let keys: UnsafeMutablePointer<UInt64>
    let termCount: Int
    let maxIterations: Int
    let leafSize: Int
    let parallelDepth: Int
    let progress: (Int) -> Void
    private let progressLock = NSLock()
    private var placed = 0
    private var lastReported = 0

    init(starts: UnsafePointer<Int>, terms: UnsafePointer<UInt32>?, moveCost: UnsafePointer<Float>,
         order: UnsafeMutablePointer<UInt32>, keys: UnsafeMutablePointer<UInt64>, termCount: Int,
         maxIterations: Int, leafSize: Int, parallelDepth: Int, progress: @escaping (Int) -> Void) {
        self.starts = starts
        self.terms = terms
        self.moveCost = moveCost
        self.order = order
        self.keys = keys
        self.termCount = termCount
        self.maxIterations = maxIterations
        self.leafSize = leafSize
        self.parallelDepth = parallelDepth
        self.progress = progress
    }

    /// Splits `range` and recurses. `degrees` are zeroed arrays this thread owns (nil: allocate).
    func bisect(_ range: Range<Int>, depth: Int, degrees: DegreeArrays?) {
        if range.count <= leafSize {
            // Safe: range lies inside 0..<docCount (halves of the root range).
            var leaf = UnsafeMutableBufferPointer(start: order + range.lowerBound, count: range.count)
            leaf.sort()
            reportPlaced(range.count)
            return
        }
        let middle = range.lowerBound + range.count / 2
        if depth < parallelDepth {
            do {
                // Freed before the halves start: at most 2 x threads arrays exist at once.
                let scratch = DegreeArrays(termCount: termCount)
                split(range, degrees: scratch, parallel: depth == 0)
            }
            // Each half gets its own degree arrays on its own thread.
            DispatchQueue.concurrentPerform(iterations: 2) { half in
                bisect(half == 0 ? range.lowerBound..<middle : middle..<range.upperBound, depth: depth + 1, degrees: nil)
            }
        } else {
            let owned = degrees ?? DegreeArrays(termCount: termCount)
            split(range, degrees: owned, parallel: false)
            bisect(range.lowerBound..<middle, depth: depth + 1, degrees: owned)
            bisect(middle..<range.upperBound, depth: depth + 1, degrees: owned)
        }
    }

    private func reportPlaced(_ count: Int) {
        progressLock.lock()
        defer { progressLock.unlock() }
        placed += count
        if placed - lastReported >= 1 << 14 {
            lastReported = placed
            progress(placed)
        }
    }

    /// Steps 1–3 of the algorithm on `range`: leaves `order[range]` with its better left half
    /// first, and `degrees` zeroed again.
    private func split(_ range: Range<Int>, degrees: DegreeArrays, parallel: Bool) {
        let middle = range.lowerBound + range.count / 2
        let left = range.lowerBound..<middle, right = middle..<range.upperBound
        let leftDegree = degrees.left, rightDegree = degrees.right
        if parallel {
            DispatchQueue.concurrentPerform(iterations: 2) { side in
                addDegrees(side == 0 ? left : right, into: side == 0 ? leftDegree : rightDegree, by: 1)
            }
        } else {
            addDegrees(left, into: leftDegree, by: 1)
            addDegrees(right, into: rightDegree, by: 1)
        }
        // Near the root a range has far more postings than there are terms, and degrees up to
        // half the documents, so `moveCost` lookups miss the cache: there, each term's two
        // gains are computed once per round and each posting costs one load. Same floats, same
        // sums: the permutation does not depend on this choice.
        var rangePostings = 0
        for i in range { rangePostings += starts[Int(order[i]) + 1] - starts[Int(order[i])] }
        let cacheTermGains = rangePostings >= 2 * termCount
        for _ in 0..<maxIterations {
            if parallel {
                DispatchQueue.concurrentPerform(iterations: 2) { side in
                    if side == 0 {
                        computeKeys(left, own: leftDegree, other: rightDegree, cache: cacheTermGains ? degrees.leftGain : nil)
                    } else {
                        computeKeys(right, own: rightDegree, other: leftDegree, cache: cacheTermGains ? degrees.rightGain : nil)
                    }
                }
            } else {
                computeKeys(left, own: leftDegree, other: rightDegree, cache: cacheTermGains ? degrees.leftGain : nil)
                computeKeys(right, own: rightDegree, other: leftDegree, cache: cacheTermGains ? degrees.rightGain : nil)
            }
            // Safe: both halves lie inside the range this thread owns.
            var leftKeys = UnsafeMutableBufferPointer(start: keys + left.lowerBound, count: left.count)
            var rightKeys = UnsafeMutableBufferPointer(start: keys + right.lowerBound, count: right.count)
            leftKeys.sort()
            rightKeys.sort()
            var swaps = 0
            for i in 0..<min(left.count, right.count) {
                let leftKey = keys[left.lowerBound + i], rightKey = keys[right.lowerBound + i]
                guard Self.gain(leftKey) + Self.gain(rightKey) > 0 else { break }
                let leftDoc = UInt32(truncatingIfNeeded: leftKey), rightDoc = UInt32(truncatingIfNeeded: rightKey)
                moveDegrees(of: leftDoc, from: leftDegree, to: rightDegree)
                moveDegrees(of: rightDoc, from: rightDegree, to: leftDegree)
                keys[left.lowerBound + i] = UInt64(rightDoc)
                keys[right.lowerBound + i] = UInt64(leftDoc)
                swaps += 1
            }
            // The sorted keys hold the documents of each side (swapped ones exchanged): the new order.
            for i in range { order[i] = UInt32(truncatingIfNeeded: keys[i]) }
            if swaps == 0 { break }
        }
        addDegrees(left, into: leftDegree, by: 0)
        addDegrees(right, into: rightDegree, by: 0)
    }

    /// `by` 1: counts the terms of the documents in `range`; `by` 0: sets their counts back to 0.
    private func addDegrees(_ range: Range<Int>, into degree: UnsafeMutablePointer<Int32>, by step: Int32) {
        guard let terms else { return }
        for i in range {
            let doc = Int(order[i])
            // Safe: ForwardIndex.init checked the starts increasing within termNumbers and every
            // term number below termCount, the degree arrays' length.
            for j in starts[doc]..<starts[doc + 1] {
                let term = Int(terms[j])
                degree[term] = step == 0 ? 0 : degree[term] &+ step
            }
        }
    }

    private func moveDegrees(of doc: UInt32, from: UnsafeMutablePointer<Int32>, to: UnsafeMutablePointer<Int32>) {
        guard let terms else { return }
        // Safe: as in addDegrees.
        for j in starts[Int(doc)]..<starts[Int(doc) + 1] {
            let term = Int(terms[j])
            from[term] &-= 1
            to[term] &+= 1
        }
    }

    /// keys[i] for i in `range`: the document's gain in the high 32 bits (ordered so that an
    /// ascending sort puts the largest gain first) and its doc id in the low 32 (ties: lower id first).
    /// `cache`: when given, filled first with every term's gain for this side (termCount
    /// entries), then read once per posting instead of two `moveCost` loads.
    private func computeKeys(_ range: Range<Int>, own: UnsafeMutablePointer<Int32>, other: UnsafeMutablePointer<Int32>,
                             cache: UnsafeMutablePointer<Float>?) {
        guard let terms else {
            for i in range { keys[i] = UInt64(Self.descendingKey(0)) << 32 | UInt64(order[i]) }
            return
        }
        if let cache {
            // Safe: the degree and cache arrays hold termCount entries; degrees stay within
            // 0...half size, inside moveCost (a term absent from this side gets a gain never read).
            for term in 0..<termCount {
                cache[term] = moveCost[Int(other[term]) &+ 1] - moveCost[Int(own[term])]
            }
            for i in range {
                let doc = order[i]
                var gain: Float = 0
                for j in starts[Int(doc)]..<starts[Int(doc) + 1] { gain += cache[Int(terms[j])] }
                keys[i] = UInt64(Self.descendingKey(gain)) << 32 | UInt64(doc)
            }
            return
        }
        for i in range {
            let doc = order[i]
            var gain: Float = 0
            // Safe: as in addDegrees; degrees stay within 0...half size, inside moveCost.
            for j in starts[Int(doc)]..<starts[Int(doc) + 1] {
                let term = Int(terms[j])
                gain += moveCost[Int(other[term]) &+ 1] - moveCost[Int(own[term])]
            }
            keys[i] = UInt64(Self.descendingKey(gain)) << 32 | UInt64(doc)
        }
    }

    /// Maps a Float to a UInt32 whose ascending order is the Float's descending order.
    @inline(__always) static func descendingKey(_ value: Float) -> UInt32 {
        let bits = value.bitPattern
        let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return ~ascending
    }

    /// The gain stored in a key's high 32 bits.
    @inline(__always) static func gain(_ key: UInt64) -> Float {
        let ascending = ~UInt32(truncatingIfNeeded: key >> 32)
        let bits = ascending & 0x8000_0000 != 0 ? ascending & 0x7FFF_FFFF : ~ascending
        return Float(bitPattern: bits)
    }
}
