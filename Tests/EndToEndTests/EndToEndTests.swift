import Foundation
import QuarryTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The real `quarry-index`, `quarryd` and `quarry` binaries, as an operator runs them (STYLE §7).
///
/// Needs `swift build` first (the binaries in .build/debug, or $QUARRY_BIN_DIR); a missing
/// binary fails the test, it never skips. Every daemon a test starts is stopped in tearDown.
final class EndToEndTests: XCTestCase {
    private var scratch: TemporaryDirectory!
    private var daemons: [Daemon] = []

    override func setUpWithError() throws {
        // Short: the socket path must fit in sun_path (108 bytes).
        scratch = try TemporaryDirectory("qe2e")
    }

    override func tearDown() {
        for daemon in daemons { daemon.stop() }
        daemons = []
        scratch?.remove()
        scratch = nil
    }

    private var indexPath: String { scratch.file("index") }
    private var socketPath: String { scratch.file("q.sock") }

    // MARK: helpers

    /// Two documents with a word no generated document has, among generated ones.
    private static let lighthouseDocuments: [[String: Any]] = [
        ["id": "lighthouse-1", "title": "The Lighthouse Keeper", "body": "A lighthouse keeper watches the harbor all night."],
        ["id": "lighthouse-2", "title": "Harbor notes", "body": "Ships pass the old lighthouse at dawn.", "url": "https://example.org/2"],
    ]

    private static let corpus = GeneratedCorpus(documentCount: 300, seed: 2024)

    /// Writes the standard corpus (generated + lighthouse documents + `extra`) as JSON Lines.
    private func writeCorpus(_ name: String, extra: [[String: Any]] = []) throws -> String {
        let lines = Self.corpus.jsonLines + (Self.lighthouseDocuments + extra).map { jsonLine($0) + "\n" }.joined()
        try scratch.write(name, lines)
        return scratch.file(name)
    }

    @discardableResult
    private func quarryIndex(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> ProcessOutcome {
        try runBinary("quarry-index", ["--index", indexPath] + arguments, in: scratch.path, file: file, line: line)
    }

    private func quarry(_ arguments: [String], socket: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> ProcessOutcome {
        try runBinary("quarry", ["--socket", socket ?? socketPath] + arguments, in: scratch.path, file: file, line: line)
    }

    /// Builds the standard corpus and starts the daemon on it.
    private func startWithCorpus(file: StaticString = #filePath, line: UInt = #line) throws -> Daemon {
        let built = try quarryIndex([try writeCorpus("corpus.jsonl")], file: file, line: line)
        XCTAssertEqual(built.status, 0, "quarry-index: \(built.stderr)", file: file, line: line)
        return try startDaemon(file: file, line: line)
    }

    private func startDaemon(file: StaticString = #filePath, line: UInt = #line) throws -> Daemon {
        let daemon = try Daemon(indexPath: indexPath, socketPath: socketPath, scratch: scratch.path, file: file, line: line)
        daemons.append(daemon)
        return daemon
    }

    private func current() -> String? {
        (try? String(contentsOfFile: indexPath + "/CURRENT", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Documents of the generated corpus holding `word` (title or body), the brute-force count.
    private static func documentsContaining(_ word: String) -> Int {
        corpus.documents.filter { document in
            (document.title + " " + document.body).lowercased()
                .split(whereSeparator: { !$0.isLetter }).contains { $0 == word }
        }.count
    }

    // MARK: the client against a live daemon

    func testSearchPrintsReadableResults() throws {
        try startWithCorpus()
        let result = try quarry(["search", "lighthouse"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("1. ") && $0.contains("(score ") }, result.stdout)
        XCTAssertTrue(result.stdout.contains("The Lighthouse Keeper"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Harbor notes"), result.stdout)
        XCTAssertTrue(lines.contains("   id: lighthouse-1"), result.stdout)
        XCTAssertTrue(lines.contains("   id: lighthouse-2"), result.stdout)
        XCTAssertFalse(result.stdout.contains("\u{1B}["), "no terminal styling into a file")
        let footer = try XCTUnwrap(lines.last { !$0.isEmpty })
        XCTAssertNotNil(footer.range(of: #"^(at least )?2 hits \(took \d+ µs\)$"#, options: .regularExpression), footer)
        // Scores are printed in decreasing order.
        let scores = lines.compactMap { line -> Double? in
            guard let range = line.range(of: #"\(score [0-9.]+\)$"#, options: .regularExpression) else { return nil }
            return Double(line[range].dropFirst(7).dropLast())
        }
        XCTAssertEqual(scores.count, 2, result.stdout)
        XCTAssertEqual(scores, scores.sorted(by: >))

        let counted = try quarry(["search", "--count", "lighthouse"])
        XCTAssertEqual(counted.status, 0, counted.stderr)
        XCTAssertNotNil(counted.stdout.range(of: #"(?m)^2 hits \(took \d+ µs\)$"#, options: .regularExpression), counted.stdout)
    }

    func testJSONOutputLimitAndExactCount() throws {
        try startWithCorpus()
        let expectedTotal = Self.documentsContaining("river")
        XCTAssertGreaterThan(expectedTotal, 10, "the corpus's most frequent word")

        let result = try quarry(["search", "--json", "--limit", "3", "--count", "river"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one JSON line: \(result.stdout)")
        let object = try parseObject(String(lines[0]))
        XCTAssertEqual(object["v"] as? Int, 1)
        XCTAssertNotNil(object["id"])
        XCTAssertEqual(object["ok"] as? Bool, true)
        XCTAssertNotNil(object["took_us"] as? Int, "took_us: \(object)")
        XCTAssertEqual(object["total_exact"] as? Bool, true)
        XCTAssertEqual(object["total"] as? Int, expectedTotal)
        let hits = try XCTUnwrap(object["hits"] as? [[String: Any]])
        XCTAssertEqual(hits.count, 3, "--limit 3")
        for hit in hits {
            XCTAssertTrue((hit["id"] as? String)?.hasPrefix("doc-") == true, "\(hit)")
            XCTAssertNotNil(hit["score"] as? Double, "\(hit)")
            XCTAssertNotNil(hit["title"] as? String, "\(hit)")
        }
        let scores = hits.compactMap { $0["score"] as? Double }
        XCTAssertEqual(scores, scores.sorted(by: >))

        // A larger limit returns more hits, never more than the total.
        let wide = try parseObject(try quarry(["search", "--json", "--limit", "1000", "--count", "river"]).stdout
            .trimmingCharacters(in: .newlines))
        XCTAssertEqual((wide["hits"] as? [Any])?.count, expectedTotal)

        // Stored extra fields come back in --json.
        let withFields = try parseObject(try quarry(["search", "--json", "dawn"]).stdout.trimmingCharacters(in: .newlines))
        let first = try XCTUnwrap((withFields["hits"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["id"] as? String, "lighthouse-2")
        XCTAssertEqual((first["fields"] as? [String: Any])?["url"] as? String, "https://example.org/2", "\(first)")
    }

    func testExitCodes() throws {
        try startWithCorpus()
        XCTAssertEqual(try quarry(["search", "lighthouse"]).status, 0, "hits")
        let none = try quarry(["search", "xylophonezzz"])
        XCTAssertEqual(none.status, 1, "no hits: \(none.stdout) \(none.stderr)")
        let bad = try quarry(["search", "(unclosed"])
        XCTAssertEqual(bad.status, 4, "bad query: \(bad.stderr)")
        XCTAssertTrue(bad.stderr.contains("bad_query"), bad.stderr)
        let unknownFlag = try quarry(["search", "--no-such-flag", "river"])
        XCTAssertEqual(unknownFlag.status, 2, "usage error: \(unknownFlag.stderr)")
        XCTAssertEqual(try quarry(["search"]).status, 2, "missing query")
        XCTAssertEqual(try quarry(["search", "--limit", "-1", "river"]).status, 2, "negative limit")
        let unreachable = try quarry(["search", "river"], socket: scratch.file("nobody-here.sock"))
        XCTAssertEqual(unreachable.status, 3, "no daemon: \(unreachable.stderr)")
        XCTAssertTrue(unreachable.stderr.contains("nobody-here.sock"), unreachable.stderr)
    }

    func testDaemonWithoutAnIndexAnswersNoIndex() throws {
        try FileManager.default.createDirectory(atPath: indexPath, withIntermediateDirectories: true)
        try startDaemon()
        let result = try quarry(["search", "river"])
        XCTAssertEqual(result.status, 5, "no_index: \(result.stdout) \(result.stderr)")
        XCTAssertTrue(result.stderr.contains("no_index"), result.stderr)
        let json = try quarry(["search", "--json", "river"])
        XCTAssertEqual(json.status, 5)
        let object = try parseObject(json.stdout.trimmingCharacters(in: .newlines))
        XCTAssertEqual(object["ok"] as? Bool, false)
        XCTAssertEqual((object["error"] as? [String: Any])?["code"] as? String, "no_index")
    }

    // MARK: the wire protocol, raw

    func testMalformedRequestGetsBadRequestAndTheConnectionKeepsServing() throws {
        try startWithCorpus()
        let client = try SocketClient(path: socketPath)
        for garbage in ["this is not json", "{\"v\":1,\"id\":", "[1,2,3]"] {
            let answer = try client.request(garbage)
            XCTAssertEqual(answer["ok"] as? Bool, false, garbage)
            XCTAssertEqual((answer["error"] as? [String: Any])?["code"] as? String, "bad_request", "\(garbage): \(answer)")
        }
        let search = try client.request(#"{"v":1,"id":7,"op":"search","query":"lighthouse","limit":10}"#)
        XCTAssertEqual(search["ok"] as? Bool, true, "\(search)")
        XCTAssertEqual(search["id"] as? Int, 7)
        XCTAssertEqual(Set(((search["hits"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }),
                       ["lighthouse-1", "lighthouse-2"])
        let pong = try client.request(#"{"v":1,"id":"p","op":"ping"}"#)
        XCTAssertEqual(pong["ok"] as? Bool, true, "\(pong)")
        XCTAssertEqual(pong["id"] as? String, "p")
    }

    func testReloadServesTheNewGenerationWithoutAFailedQuery() throws {
        let daemon = try startWithCorpus()
        let before = try SocketClient(path: socketPath).request(#"{"v":1,"id":1,"op":"search","query":"river","limit":5}"#)
        XCTAssertEqual(before["generation"] as? String, "gen-000001", "\(before)")

        // Queries run without pause on their own connection while the index is rebuilt and swapped.
        let monitor = QueryMonitor()
        let queryThread = Thread { [socketPath] in monitor.run(socketPath: socketPath) }
        queryThread.start()
        defer { monitor.stop() }
        monitor.waitUntil { $0.answered >= 5 }

        let built = try quarryIndex([try writeCorpus("corpus2.jsonl", extra: [
            ["id": "zeppelin-1", "title": "Airships", "body": "A zeppelin over the harbor."],
        ])])
        XCTAssertEqual(built.status, 0, built.stderr)
        XCTAssertEqual(current(), "gen-000002")

        let reload = try SocketClient(path: socketPath).request(#"{"v":1,"id":2,"op":"reload"}"#)
        XCTAssertEqual(reload["ok"] as? Bool, true, "\(reload)")
        XCTAssertEqual(reload["generation"] as? String, "gen-000002", "\(reload)")

        monitor.waitUntil { $0.generations.contains("gen-000002") }
        let answeredAtSwap = monitor.snapshot().answered
        monitor.waitUntil { $0.answered >= answeredAtSwap + 5 }
        monitor.stop()
        queryThread.cancel()
        let state = monitor.snapshot()
        XCTAssertEqual(state.failures, [], "queries failed around the swap; daemon log: \(daemon.logText)")
        XCTAssertEqual(state.generations, ["gen-000001", "gen-000002"])

        let found = try quarry(["search", "--json", "zeppelin"])
        XCTAssertEqual(found.status, 0, found.stderr)
        let object = try parseObject(found.stdout.trimmingCharacters(in: .newlines))
        XCTAssertEqual(object["generation"] as? String, "gen-000002")
        XCTAssertEqual((object["hits"] as? [[String: Any]])?.first?["id"] as? String, "zeppelin-1")
    }

    func testSIGTERMExitsZeroAndRemovesTheSocket() throws {
        let daemon = try startWithCorpus()
        XCTAssertTrue(FileManager.default.fileExists(atPath: socketPath))
        // An idle client connection must not hold up the shutdown.
        let idle = try SocketClient(path: socketPath)
        XCTAssertEqual(try idle.request(#"{"v":1,"id":1,"op":"ping"}"#)["ok"] as? Bool, true)
        let status = daemon.stop()
        XCTAssertEqual(status, 0, "exit status after SIGTERM; log: \(daemon.logText)")
        XCTAssertEqual(daemon.process.terminationReason, .exit, "exited, not killed by the signal")
        XCTAssertFalse(FileManager.default.fileExists(atPath: socketPath), "socket file left behind")
        withExtendedLifetime(idle) {}
    }

    // MARK: quarry-index

    func testQuarryIndexReportsBadRecordsAndStrictPublishesNothing() throws {
        let path = scratch.file("mixed.jsonl")
        try scratch.write("mixed.jsonl", [
            jsonLine(["id": "a", "title": "Alpha", "body": "first good record"]),
            #"{"id": "b", "title": "#,
            jsonLine(["title": "no id"]),
            jsonLine(["id": "c", "title": "Gamma", "body": "second good record"]),
        ].joined(separator: "\n") + "\n")
        let result = try quarryIndex([path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let stderrLines = result.stderr.split(separator: "\n").map(String.init)
        XCTAssertTrue(stderrLines.contains { $0.hasPrefix("\(path):2: ") }, result.stderr)
        XCTAssertTrue(stderrLines.contains { $0.hasPrefix("\(path):3: ") && $0.contains("missing id") }, result.stderr)
        XCTAssertTrue(result.stdout.contains("published gen-000001"), result.stdout)
        XCTAssertTrue(result.stdout.contains("2 documents"), result.stdout)
        XCTAssertEqual(current(), "gen-000001")

        let strict = try quarryIndex(["--strict", path])
        XCTAssertEqual(strict.status, 4, "--strict with bad records: \(strict.stderr)")
        XCTAssertTrue(strict.stderr.contains("\(path):2: "), strict.stderr)
        XCTAssertEqual(current(), "gen-000001", "CURRENT unchanged")
        XCTAssertFalse(FileManager.default.fileExists(atPath: indexPath + "/gen-000002"), "nothing left of the refused build")
    }

    /// quarry-index --help documents "2 usage error"; ArgumentParser's default is 64 (EX_USAGE).
    /// Fails today: Sources/quarry-index/QuarryIndexCommand.swift has no main() mapping
    /// validation errors to 2 the way Sources/quarry/QuarryCommand.swift does.
    /// `--reorder` (and `[indexer] reorder = "bp"`) publishes a generation that answers like the
    /// plain one: same ids, same scores, through the real daemon and client.
    func testReorderOptionGivesTheSameAnswers() throws {
        let source = try writeCorpus("corpus.jsonl")
        let plain = try quarryIndex([source])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertFalse(plain.stdout.contains("reordered"), plain.stdout)
        let reorderedIndex = scratch.file("bp")
        let reordered = try runBinary("quarry-index", ["--index", reorderedIndex, "--reorder", source], in: scratch.path)
        XCTAssertEqual(reordered.status, 0, reordered.stderr)
        XCTAssertTrue(reordered.stdout.contains("reordered by bp before publishing"), reordered.stdout)

        try startDaemon()
        let other = try Daemon(indexPath: reorderedIndex, socketPath: scratch.file("b.sock"), scratch: scratch.path)
        daemons.append(other)
        func hits(_ query: String, socket: String? = nil) throws -> [String: Double] {
            let result = try quarry(["search", "--json", "--count", "--limit", "1000", query], socket: socket)
            XCTAssertEqual(result.status, 0, result.stderr)
            let object = try parseObject(result.stdout.trimmingCharacters(in: .newlines))
            let list = try XCTUnwrap(object["hits"] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: list.map { ($0["id"] as? String ?? "", $0["score"] as? Double ?? .nan) })
        }
        for query in ["river", "river stone", "+market +winter", "\"river stone\"", "lighthouse"] {
            let expected = try hits(query), found = try hits(query, socket: scratch.file("b.sock"))
            XCTAssertFalse(expected.isEmpty, query)
            XCTAssertEqual(Set(found.keys), Set(expected.keys), query)
            for (id, score) in expected {
                XCTAssertEqual(found[id] ?? .nan, score, accuracy: 1e-5 * max(1, score), "\(query): \(id)")
            }
        }

        // The config key, overridden by --no-reorder; a bad value is a config error (exit 2).
        try scratch.write("bp.toml", "[indexer]\nreorder = \"bp\"\n")
        let configured = try quarryIndex(["--config", scratch.file("bp.toml"), "--no-reload", source])
        XCTAssertEqual(configured.status, 0, configured.stderr)
        XCTAssertTrue(configured.stdout.contains("reordered by bp"), configured.stdout)
        let overridden = try quarryIndex(["--config", scratch.file("bp.toml"), "--no-reload", "--no-reorder", source])
        XCTAssertEqual(overridden.status, 0, overridden.stderr)
        XCTAssertFalse(overridden.stdout.contains("reordered"), overridden.stdout)
        try scratch.write("bad.toml", "[indexer]\nreorder = \"fast\"\n")
        let bad = try quarryIndex(["--config", scratch.file("bad.toml"), source])
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("reorder"), bad.stderr)
    }

    func testQuarryIndexUsageErrorExitsTwo() throws {
        let noSource = try quarryIndex([])
        XCTAssertEqual(noSource.status, 2, "no SOURCE: \(noSource.stderr)")
        let unknownFlag = try quarryIndex(["--no-such-flag", scratch.file("x.jsonl")])
        XCTAssertEqual(unknownFlag.status, 2, "unknown flag: \(unknownFlag.stderr)")
        XCTAssertNil(current())
    }

    func testQuarryIndexMissingSourceExitsOne() throws {
        let missing = try quarryIndex([scratch.file("does-not-exist.jsonl")])
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("does-not-exist.jsonl"), missing.stderr)
        XCTAssertNil(current())
    }

    func testDirectoryTreeIsIndexedWithRelativePathIDsAndFirstLineTitles() throws {
        let tree = scratch.file("notes")
        try FileManager.default.createDirectory(atPath: tree + "/sub/deeper", withIntermediateDirectories: true)
        try scratch.write("notes/first.txt", "\n\n  First Note Title  \nThe body mentions a quasar.\n")
        try scratch.write("notes/sub/second.md", "Second Note\n\nA nebula, seen from afar.\n")
        try scratch.write("notes/sub/deeper/third.txt", "Third\nquasar and nebula together\n")
        try scratch.write("notes/ignored.bin", "quasar nebula")
        try scratch.write("notes/.hidden.txt", "Hidden\nquasar")
        let built = try quarryIndex([tree])
        XCTAssertEqual(built.status, 0, built.stderr)
        XCTAssertTrue(built.stdout.contains("3 documents"), built.stdout)
        try startDaemon()

        func hits(_ query: String) throws -> [[String: Any]] {
            let result = try quarry(["search", "--json", "--count", query])
            XCTAssertEqual(result.status, 0, "\(query): \(result.stderr)")
            return (try parseObject(result.stdout.trimmingCharacters(in: .newlines))["hits"] as? [[String: Any]]) ?? []
        }
        let quasar = try hits("quasar")
        XCTAssertEqual(Set(quasar.compactMap { $0["id"] as? String }), ["first.txt", "sub/deeper/third.txt"])
        XCTAssertEqual(quasar.first { $0["id"] as? String == "first.txt" }?["title"] as? String, "First Note Title")
        let nebula = try hits("nebula")
        XCTAssertEqual(Set(nebula.compactMap { $0["id"] as? String }), ["sub/second.md", "sub/deeper/third.txt"])
        XCTAssertEqual(nebula.first { $0["id"] as? String == "sub/second.md" }?["title"] as? String, "Second Note")
        // The title is searchable as a title.
        XCTAssertEqual(try hits("title:second").compactMap { $0["id"] as? String }, ["sub/second.md"])
    }

    // MARK: quarryd

    func testDaemonVersionPrintsOneLine() throws {
        let result = try runBinary("quarryd", ["--version"], in: scratch.path)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 2, "one line and its newline: \(result.stdout.debugDescription)")
        XCTAssertTrue(result.stdout.hasPrefix("quarryd "), result.stdout)
    }

    func testDaemonRefusesADamagedIndexAtStart() throws {
        XCTAssertEqual(try quarryIndex([try writeCorpus("corpus.jsonl")]).status, 0)
        let postings = indexPath + "/gen-000001/postings"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: postings))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: postings))
        XCTAssertThrowsError(try startDaemon()) { error in
            XCTAssertTrue("\(error)".contains("postings"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: socketPath))
    }
}

/// Runs searches back to back on one connection and records what came back.
final class QueryMonitor: @unchecked Sendable {
    struct State {
        var answered = 0
        var failures: [String] = []
        /// Generations in the order first seen.
        var generations: [String] = []
    }

    private let lock = NSCondition()
    private var state = State()
    private var stopped = false

    func run(socketPath: String) {
        do {
            let client = try SocketClient(path: socketPath)
            var id = 0
            while !isStopped {
                id += 1
                let answer = try client.request(#"{"v":1,"id":\#(id),"op":"search","query":"river harbor","limit":5}"#)
                lock.lock()
                if answer["ok"] as? Bool == true, let generation = answer["generation"] as? String {
                    state.answered += 1
                    if state.generations.last != generation { state.generations.append(generation) }
                } else {
                    state.failures.append("\(answer)")
                }
                lock.broadcast()
                lock.unlock()
            }
        } catch {
            lock.lock()
            state.failures.append("\(error)")
            stopped = true
            lock.broadcast()
            lock.unlock()
        }
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.broadcast()
        lock.unlock()
    }

    func snapshot() -> State {
        lock.lock()
        defer { lock.unlock() }
        return state
    }

    /// Waits until `condition` holds or the monitor stopped (deadline: the child deadline).
    func waitUntil(_ condition: (State) -> Bool, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(childDeadlineSeconds)
        lock.lock()
        defer { lock.unlock() }
        while !condition(state) && !stopped {
            if !lock.wait(until: deadline) {
                XCTFail("condition not reached within \(childDeadlineSeconds) s: \(state)", file: file, line: line)
                return
            }
        }
    }
}
