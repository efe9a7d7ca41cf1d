import Foundation
import XCTest
import QuarryIndex

/// Throughput of the hand-written JSON Lines parser against JSONSerialization on the same 50 MB
/// file. Prints MB/s; asserts only that both paths agree on the documents. Skipped unless
/// QUARRY_INPUT_BENCH=1, and meaningful in release only:
///     QUARRY_INPUT_BENCH=1 swift test -c release --filter InputBenchmarkTests
final class InputBenchmarkTests: XCTestCase {
    func testParseThroughput() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["QUARRY_INPUT_BENCH"] == "1",
                          "set QUARRY_INPUT_BENCH=1 (and use -c release) to measure")
        let dir = try InputScratchDirectory()
        var text = ""
        var seed: UInt64 = 1
        while text.utf8.count < 50_000_000 {
            text += makeCorpus(count: 2000, seed: seed)
            seed += 1
        }
        let path = try dir.write("bench.jsonl", text)
        let megabytes = Double(text.utf8.count) / 1_000_000

        // Hand parser, end to end through the public reader (file read + line split + parse).
        var handCount = 0
        var handChecksum = 0
        let handSeconds = try measureSeconds(runs: 3) {
            handCount = 0
            handChecksum = 0
            let reader = try DocumentReader(sources: [path])
            while let result = try reader.next() {
                let document = try result.get()
                handCount += 1
                handChecksum &+= document.body.utf8.count &+ document.fields.count
            }
        }

        // JSONSerialization per line over the file already in memory (no I/O: in its favour).
        var foundationCount = 0
        var foundationChecksum = 0
        let foundationSeconds = try measureSeconds(runs: 3) {
            foundationCount = 0
            foundationChecksum = 0
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            var lineStart = data.startIndex
            while lineStart < data.endIndex {
                let lineEnd = data[lineStart...].firstIndex(of: 0x0a) ?? data.endIndex
                let line = data[lineStart..<lineEnd]
                lineStart = lineEnd + 1
                guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any],
                      let id = object["id"] as? String, !id.isEmpty else { continue }
                let body = object["body"] as? String ?? ""
                _ = object["title"] as? String ?? ""
                var fieldCount = 0
                for (key, value) in object where key != "id" && key != "title" && key != "body" {
                    if let array = value as? [Any] {
                        _ = array.map { "\($0)" }.joined(separator: ", ")
                    } else {
                        _ = "\(value)"
                    }
                    fieldCount += 1
                }
                foundationCount += 1
                foundationChecksum &+= body.utf8.count &+ fieldCount
            }
        }

        XCTAssertEqual(handCount, foundationCount)
        XCTAssertEqual(handChecksum, foundationChecksum)
        print(String(format: "input bench: %.1f MB, %d docs; hand parser %.0f MB/s (%.3f s), "
                     + "JSONSerialization %.0f MB/s (%.3f s), ratio %.1fx",
                     megabytes, handCount, megabytes / handSeconds, handSeconds,
                     megabytes / foundationSeconds, foundationSeconds, foundationSeconds / handSeconds))
    }

    /// The best of `runs` wall-clock timings.
    private func measureSeconds(runs: Int, _ body: () throws -> Void) throws -> Double {
        var best = Double.infinity
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }
}
