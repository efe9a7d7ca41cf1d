import Foundation
import QuarryIndex
import QuarrySearch

/// `quarry-bench`: times queries in process against an index (no socket, no JSON), the way the
/// anchors harness times the in-process engines: one warm-up round, then `rounds` rounds over
/// all queries; per query the median of its rounds, then p50 / p90 / p99 over queries. For profiling (`perf`, `valgrind --tool=callgrind`) too.
///
///     quarry-bench INDEX_DIR QUERIES.txt [union|intersection|phrase] [rounds] [--count] [--slowest] [--fetch]
///     quarry-bench INDEX_DIR --stats          bits per doc id and per tf, bytes per file
///
/// Query lines are split into lower-case words (\w+) and joined as the harness does:
/// union `a OR b`, intersection `+a +b`, phrase `"a b"`.
/// `--fetch` also fetches stored fields and snippets for the hits (as quarryd's default search
/// does) and reports that fetch time (`SearchResults.fetchMicros`) beside the engine time.
@main
struct QuarryBench {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let count = arguments.contains("--count")
        let showSlowest = arguments.contains("--slowest")
        let fetch = arguments.contains("--fetch")
        arguments.removeAll { $0 == "--count" || $0 == "--slowest" || $0 == "--fetch" }
        guard arguments.count >= 2 else {
            FileHandle.standardError.write(Data("usage: quarry-bench INDEX_DIR QUERIES.txt [union|intersection|phrase] [rounds] [--count]\n".utf8))
            exit(2)
        }
        if arguments[1] == "--stats" {
            let reader = try IndexReader.openCurrent(indexPath: arguments[0])
            let stats = try reader.postingsStatistics()
            let files = reader.fileByteCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print(String(format: "%d postings: %.2f bits/docid, %.2f bits/tf, skip %.2f bits/posting, headers %.2f bits/posting; files (bytes): %@",
                         stats.postings, Double(stats.docIDBits) / Double(stats.postings), Double(stats.frequencyBits) / Double(stats.postings),
                         Double(stats.skipBytes * 8) / Double(stats.postings), Double(stats.headerBytes * 8) / Double(stats.postings), files))
            return
        }
        let mode = arguments.count > 2 ? arguments[2] : "union"
        let rounds = arguments.count > 3 ? Int(arguments[3]) ?? 3 : 3
        let reader = try IndexReader.openCurrent(indexPath: arguments[0])
        var settings = SearchSettings()
        if let forced = ProcessInfo.processInfo.environment["QUARRY_UNION"], let algorithm = UnionAlgorithm(rawValue: forced) {
            settings.unionAlgorithm = algorithm
        }
        let searcher = try Searcher(reader: reader, settings: settings)
        let text = try String(contentsOfFile: arguments[1], encoding: .utf8)
        let wordPattern = try NSRegularExpression(pattern: "\\w+")
        let queries: [String] = text.split(separator: "\n").compactMap { line in
            let lower = String(line).lowercased()
            let words = wordPattern.matches(in: lower, range: NSRange(lower.startIndex..., in: lower)).map {
                String(lower[Range($0.range, in: lower)!])
            }
            guard !words.isEmpty else { return nil }
            switch mode {
            case "phrase": return "\"" + words.joined(separator: " ") + "\""
            case "intersection": return words.map { "+" + $0 }.joined(separator: " ")
            default: return words.joined(separator: " OR ")
            }
        }
        let options = SearchOptions(limit: 10, exactCount: count, snippets: fetch, fields: fetch)
        // QUARRY_BENCH_GAP_US: idle time before each query, as a client's think time leaves it.
        let gapMicroseconds = Int(ProcessInfo.processInfo.environment["QUARRY_BENCH_GAP_US"] ?? "") ?? 0
        for query in queries { _ = try? searcher.search(query, options: options) }  // warm-up
        // Rounds outside, queries inside, as the anchors harness does: a query's postings are
        // not still in cache from its previous run (300 other queries ran in between).
        var samples = [[Double]](repeating: [], count: queries.count)
        var fetchSamples = [[Double]](repeating: [], count: queries.count)
        for _ in 0..<rounds {
            for (index, query) in queries.enumerated() {
                if gapMicroseconds > 0 { usleep(UInt32(gapMicroseconds)) }
                let start = DispatchTime.now().uptimeNanoseconds
                let results = try searcher.search(query, options: options)
                samples[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000)
                fetchSamples[index].append(Double(results.fetchMicros))
            }
        }
        // QUARRY_BENCH_STAT=min: each query's fastest round instead of its median (robust to other
        // work on a shared machine, for A/B comparisons of two builds).
        let useMinimum = ProcessInfo.processInfo.environment["QUARRY_BENCH_STAT"] == "min"
        let medians: [Double] = samples.map { useMinimum ? $0.min()! : $0.sorted()[$0.count / 2] }
        if showSlowest {
            var perQuery: [(Double, String, Int, String)] = []
            for (index, query) in queries.enumerated() {
                let results = try searcher.search(query, options: options)
                perQuery.append((medians[index], query, results.total, results.algorithm))
            }
            for (micros, query, total, algorithm) in perQuery.sorted(by: { $0.0 > $1.0 }).prefix(8) {
                print(String(format: "%9.1f us  %8d hits  %@  %@", micros, total, algorithm, query))
            }
        }
        if let dump = ProcessInfo.processInfo.environment["QUARRY_BENCH_DUMP"] {
            let lines = zip(queries, medians).map { String(format: "%.2f\t%@", $0.1, $0.0) }.joined(separator: "\n")
            try (lines + "\n").write(toFile: dump, atomically: true, encoding: .utf8)
        }
        let sortedMedians = medians.sorted()
        func percentile(_ p: Double) -> Double { sortedMedians[min(sortedMedians.count - 1, Int((p * Double(sortedMedians.count - 1)).rounded()))] }
        print(String(format: "%@%@: %d queries, p50 %.1f us, p90 %.1f us, p99 %.1f us, mean %.1f us",
                     mode, count ? "+count" : "", medians.count, percentile(0.5), percentile(0.9), percentile(0.99),
                     medians.reduce(0, +) / Double(medians.count)))
        if fetch {
            let fetchMedians = fetchSamples.map { $0.sorted()[$0.count / 2] }.sorted()
            func fetchPercentile(_ p: Double) -> Double { fetchMedians[min(fetchMedians.count - 1, Int((p * Double(fetchMedians.count - 1)).rounded()))] }
            print(String(format: "  of which fetch (stored fields + snippets): p50 %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us, mean %.1f us",
                         fetchPercentile(0.5), fetchPercentile(0.9), fetchPercentile(0.99), fetchMedians.last ?? 0,
                         fetchMedians.reduce(0, +) / Double(fetchMedians.count)))
        }
    }
}
