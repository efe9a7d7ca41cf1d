// Query: top-10 searches against a small generated index (ids and scores only: no snippets, no
// stored fields), built once per process in a temp dir before anything is measured.
//
// The corpus is the test suite's idea (Tests/QuarryTestSupport, GeneratedCorpus) made bigger:
// 30,000 documents over a 50-word Zipf vocabulary, so the frequent words' posting lists span
// hundreds of 128-document blocks. Kinds: a union of three frequent words (block-max WAND), the
// same union with exactCount (exhaustive: every posting scored, the cost pruning saves), an
// intersection (+a +b) and a phrase ("a b"); and a union of a frequent and a middling word,
// pruned and exhaustive.

import Benchmark
import Foundation
import QuarryIndex
import QuarrySearch

private let documentCount = 30_000

private let vocabulary: [String] = [
    "river", "stone", "market", "winter", "garden", "signal", "harbor", "copper", "forest", "engine",
    "silver", "lantern", "meadow", "thunder", "canyon", "violet", "orbit", "pepper", "saddle", "tunnel",
    "anchor", "basket", "candle", "desert", "ember", "falcon", "glacier", "hammer", "island", "jungle",
    "kettle", "ladder", "mirror", "needle", "oyster", "pillow", "quartz", "ribbon", "sapphire", "timber",
    "umbrella", "velvet", "walnut", "yarrow", "zephyr", "bridge", "castle", "dragon", "feather", "goblet",
]

/// SplitMix64, so the corpus is the same on every run.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// JSON Lines for `count` documents: titles of 0-4 words, bodies of 0-60 words (0-300 for every
/// seventh), words drawn with Zipf weights 1/(rank+1). Words are plain ASCII: no escaping needed.
private func generatedCorpus(count: Int, seed: UInt64) -> String {
    var random = SeededGenerator(state: seed)
    var cumulative: [Double] = []
    var sum = 0.0
    for rank in vocabulary.indices {
        sum += 1.0 / Double(rank + 1)
        cumulative.append(sum)
    }
    func word() -> String {
        let x = Double.random(in: 0..<sum, using: &random)
        return vocabulary[cumulative.firstIndex { x < $0 } ?? vocabulary.count - 1]
    }
    var out = ""
    out.reserveCapacity(count * 400)
    for i in 0..<count {
        let title = (0..<Int.random(in: 0...4, using: &random)).map { _ in word() }.joined(separator: " ")
        let bodyLength = Int.random(in: 0...(i % 7 == 0 ? 300 : 60), using: &random)
        let body = (0..<bodyLength).map { _ in word() }.joined(separator: i % 3 == 0 ? ", " : " ")
        out += "{\"id\":\"doc-\(i)\",\"title\":\"\(title.capitalized)\",\"body\":\"\(body)\"}\n"
    }
    return out
}

/// The index directory and an open searcher, made on first use (in a benchmark's setup).
private final class Fixture: @unchecked Sendable {
    let directory: String
    let searcher: Searcher

    init() {
        do {
            let directory = NSTemporaryDirectory() + "quarry-bench-\(getpid())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            self.directory = directory
            let corpus = directory + "/docs.jsonl"
            try Data(generatedCorpus(count: documentCount, seed: 42).utf8).write(to: URL(fileURLWithPath: corpus))
            let indexPath = directory + "/index"
            let summary = try IndexBuilder.build(sources: [corpus], indexPath: indexPath, options: BuildOptions())
            precondition(summary.documents == documentCount, "built \(summary.documents) documents")
            let reader = try IndexReader.openCurrent(indexPath: indexPath)
            searcher = try Searcher(reader: reader, settings: SearchSettings())
            fixtureDirectory = directory
            atexit { if let path = fixtureDirectory { try? FileManager.default.removeItem(atPath: path) } }
        } catch {
            fatalError("Query benchmark fixture: \(error)")
        }
    }
}

nonisolated(unsafe) private var fixtureDirectory: String?
private let fixture = Fixture()

private let top10 = SearchOptions(limit: 10, snippets: false, fields: false)
private let top10Exact = SearchOptions(limit: 10, exactCount: true, snippets: false, fields: false)

private let kinds: [(name: String, query: String, options: SearchOptions)] = [
    ("union river stone market (top-10, pruned)", "river stone market", top10),
    ("union river stone market (exactCount, exhaustive)", "river stone market", top10Exact),
    ("intersection +river +stone", "+river +stone", top10),
    ("phrase \"river stone\"", "\"river stone\"", top10),
    // A frequent word with a middling one (rank 1 and rank 12): where block-max WAND can skip.
    ("union river lantern (top-10, pruned)", "river lantern", top10),
    ("union river lantern (exactCount, exhaustive)", "river lantern", top10Exact),
]

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 10,
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )

    for kind in kinds {
        Benchmark(kind.name, closure: { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try fixture.searcher.search(kind.query, options: kind.options))
            }
        }, setup: {
            // Build the index outside any measurement, and check the query finds something.
            let results = try fixture.searcher.search(kind.query, options: kind.options)
            precondition(!results.hits.isEmpty, "\(kind.query) found nothing")
            let exact = try fixture.searcher.search(kind.query, options: top10Exact)
            FileHandle.standardError.write(Data("[Query] \(kind.query): \(exact.total) of \(documentCount) documents match; \(results.algorithm)\n".utf8))
        })
    }
}
