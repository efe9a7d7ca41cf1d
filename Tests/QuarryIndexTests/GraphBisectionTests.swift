import Foundation
import QuarryTestSupport
import XCTest
@testable import QuarryIndex

/// GraphBisection on hand-made forward indexes: a bijection, deterministic, and it finds clusters.
final class GraphBisectionTests: XCTestCase {
    /// Random documents of `termsPerDoc` distinct terms out of `termCount`.
    private func randomIndex(docCount: Int, termCount: Int, termsPerDoc: Int, seed: UInt64) -> ForwardIndex {
        var random = SeededGenerator(seed: seed)
        let documents = (0..<docCount).map { _ in
            Array(Set((0..<termsPerDoc).map { _ in UInt32.random(in: 0..<UInt32(termCount), using: &random) })).sorted()
        }
        return ForwardIndex(termCount: termCount, documents: documents)
    }

    private func assertBijection(_ order: [UInt32], count: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(order.count, count, file: file, line: line)
        XCTAssertEqual(Set(order).count, count, "every doc once", file: file, line: line)
        XCTAssertTrue(order.allSatisfy { Int($0) < count }, file: file, line: line)
    }

    func testPermutationIsABijectionForEverySize() {
        for count in [0, 1, 2, 3, 16, 17, 33, 129, 1000] {
            let index = randomIndex(docCount: count, termCount: 50, termsPerDoc: 8, seed: UInt64(count))
            for threads in [1, 2] {
                let order = GraphBisection.permutation(of: index, options: .init(leafSize: 4, threads: threads))
                assertBijection(order, count: count)
            }
        }
        // Documents without any term, and no terms at all.
        let empty = ForwardIndex(termCount: 0, documents: Array(repeating: [], count: 40))
        assertBijection(GraphBisection.permutation(of: empty, options: .init(leafSize: 4)), count: 40)
    }

    func testSameInputGivesTheSamePermutationWhateverTheThreads() {
        let index = randomIndex(docCount: 3000, termCount: 300, termsPerDoc: 20, seed: 11)
        let one = GraphBisection.permutation(of: index, options: .init(threads: 1))
        let two = GraphBisection.permutation(of: index, options: .init(threads: 2))
        let four = GraphBisection.permutation(of: index, options: .init(threads: 4))
        XCTAssertEqual(one, two)
        XCTAssertEqual(one, four)
        XCTAssertEqual(one, GraphBisection.permutation(of: index, options: .init(threads: 2)))
    }

    /// Two obvious clusters, interleaved in the input: even docs use terms 0..<10, odd docs terms
    /// 10..<20. The first split must put each cluster on its own side.
    func testTwoInterleavedClustersEndOnSeparateSides() {
        var random = SeededGenerator(seed: 5)
        let documents: [[UInt32]] = (0..<200).map { doc in
            let base: UInt32 = doc % 2 == 0 ? 0 : 10
            return Array(Set((0..<5).map { _ in base + UInt32.random(in: 0..<10, using: &random) })).sorted()
        }
        let order = GraphBisection.permutation(of: ForwardIndex(termCount: 20, documents: documents))
        assertBijection(order, count: 200)
        let firstHalf = Set(order[0..<100].map { $0 % 2 }), secondHalf = Set(order[100...].map { $0 % 2 })
        XCTAssertEqual(firstHalf.count, 1, "first half mixes clusters: \(order[0..<100])")
        XCTAssertEqual(secondHalf.count, 1, "second half mixes clusters: \(order[100...])")
        XCTAssertNotEqual(firstHalf, secondHalf)
    }

    /// On shuffled clustered data the log-gap cost (what BP minimises) drops well below the input's.
    func testLogGapCostDropsOnShuffledClusters() {
        var random = SeededGenerator(seed: 9)
        // 8 topics of 40 terms; each document draws 12 terms from its topic and 2 from anywhere.
        var documents: [[UInt32]] = (0..<2000).map { doc in
            let topic = UInt32(doc % 8) * 40
            var terms = Set((0..<12).map { _ in topic + UInt32.random(in: 0..<40, using: &random) })
            for _ in 0..<2 { terms.insert(UInt32.random(in: 0..<320, using: &random)) }
            return terms.sorted()
        }
        documents.shuffle(using: &random)
        let index = ForwardIndex(termCount: 320, documents: documents)
        let identity = (0..<2000).map { UInt32($0) }
        let order = GraphBisection.permutation(of: index, options: .init(threads: 2))
        let before = GenerationReorderer.logGapBits(index, order: identity)
        let after = GenerationReorderer.logGapBits(index, order: order)
        XCTAssertLessThan(after, before * 0.7, "log-gap bits \(before) -> \(after)")
    }

    func testMemoryEstimateCoversTheDegreeArrays() {
        XCTAssertGreaterThanOrEqual(GraphBisection.memoryByteCount(docCount: 1000, termCount: 500, threads: 2),
                                    1000 * 12 + 2 * 500 * 4)
    }
}
