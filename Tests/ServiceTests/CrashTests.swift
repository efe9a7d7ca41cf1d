import Foundation
import QuarryProtocol
import QuarryTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `quarry-index` killed with SIGKILL at 100 random moments of a rebuild: CURRENT always names
/// a complete generation, the running daemon keeps answering correctly, and a fresh daemon
/// starts on the directory.
final class CrashTests: XCTestCase {
    var sandbox: ServiceSandbox?

    override func tearDown() {
        sandbox?.tearDown()
    }

    static let kills = 100

    func testKillIndexerAtRandomMoments() throws {
        let sandbox = try ServiceSandbox("crash")
        self.sandbox = sandbox
        let started = Date()
        let corpus = sandbox.file("base.jsonl")
        // 5,000 documents: ~0.45 s per debug build, so kills land in every phase.
        try GeneratedCorpus(documentCount: 5_000, seed: 7).writeJSONLines(to: corpus)
        let index = sandbox.file("index")
        let marker = sandbox.file("marker.jsonl")
        let quarryIndex = try Binaries.path("quarry-index")
        /// Which attempt's marker each published generation holds.
        var markers: [String: String] = [:]
        func writeMarker(_ attempt: Int) throws {
            try GeneratedCorpus.markerLine(id: "attempt-\(attempt)").write(toFile: marker, atomically: true, encoding: .utf8)
        }

        try writeMarker(0)
        try sandbox.index(["--index", index, "--no-reload", corpus, marker])
        markers[try XCTUnwrap(currentGeneration(index))] = "attempt-0"
        let daemon = try sandbox.startDaemon(index: index, socket: sandbox.file("d.sock"))

        // One uninterrupted build sets the range of kill delays (process start to exit).
        try writeMarker(1)
        let timed = Date()
        try sandbox.index(["--index", index, "--no-reload", corpus, marker])
        let buildSeconds = Date().timeIntervalSince(timed)
        markers[try XCTUnwrap(currentGeneration(index))] = "attempt-1"

        let seed = UInt64(ProcessInfo.processInfo.environment["QUARRY_CRASH_SEED"] ?? "") ?? 20_261_125
        var random = SeededGenerator(seed: seed)
        var outcomes = (killedBeforePublish: 0, killedAfterPublish: 0, finished: 0, freshDaemons: 0, daemonHadSwapped: 0)
        for attempt in 2..<(2 + Self.kills) {
            let before = try XCTUnwrap(currentGeneration(index))
            try writeMarker(attempt)
            let delay = Double.random(in: 0...buildSeconds, using: &random)
            let child = try sandbox.spawn(quarryIndex, ["--index", index, "--no-reload", "--quiet", corpus, marker],
                                          name: "quarry-index-\(attempt)")
            usleep(useconds_t(delay * 1e6))
            child.signal(SIGKILL)
            let status = try child.wait(timeout: 30)
            let context = "attempt \(attempt) (seed \(seed), kill after \(String(format: "%.3f", delay)) s, exit \(status))"

            // CURRENT names a complete generation: its meta (written last) is there, and the
            // daemon opens it (every file checked against meta and its footer).
            let after = try XCTUnwrap(currentGeneration(index), context)
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(index)/\(after)/meta"), "\(context): \(after) has no meta")
            if after != before {
                XCTAssertEqual(generationNumber(after), generationNumber(before).map { $0 + 1 }, context)
                XCTAssertNil(markers[after], "\(context): \(after) published twice")
                markers[after] = "attempt-\(attempt)"
                if status == 0 { outcomes.finished += 1 } else { outcomes.killedAfterPublish += 1 }
            } else {
                XCTAssertNotEqual(status, 0, "\(context): exited 0 without publishing")
                outcomes.killedBeforePublish += 1
            }

            // The long-running daemon answers from the generation it serves: the old one, or
            // the new one if inotify already swapped.
            let client = try daemon.client()
            let served = try client.search(GeneratedCorpus.markerWord)
            XCTAssertTrue(served.generation == before || served.generation == after, "\(context): serves \(served.generation)")
            XCTAssertEqual(served.hits.map(\.id), markers[served.generation].map { [$0] }, "\(context) on \(served.generation)")
            if served.generation == after && after != before { outcomes.daemonHadSwapped += 1 }
            // A reload request opens what CURRENT names, verifying every file.
            let reload = try client.send(.reload)
            XCTAssertEqual(reload.body, .reloaded(generation: after), context)
            let now = try client.search(GeneratedCorpus.markerWord)
            XCTAssertEqual(now.generation, after, context)
            XCTAssertEqual(now.hits.map(\.id), [markers[after] ?? "?"], context)

            if attempt % 10 == 0 {
                let fresh = try sandbox.startDaemon(index: index, socket: sandbox.file("f.sock"), arguments: ["--no-watch"],
                                                    name: "quarryd-fresh-\(attempt)")
                let answer = try fresh.client().search(GeneratedCorpus.markerWord)
                XCTAssertEqual(answer.generation, after, context)
                XCTAssertEqual(answer.hits.map(\.id), [markers[after] ?? "?"], context)
                fresh.process.signal(SIGTERM)
                XCTAssertEqual(fresh.process.waitForExit(timeout: 30), 0, context)
                outcomes.freshDaemons += 1
            }
        }
        // The next build cleans up whatever the last kill left.
        try writeMarker(999)
        try sandbox.index(["--index", index, "--no-reload", corpus, marker])
        let live = try XCTUnwrap(currentGeneration(index))
        let left = try FileManager.default.contentsOfDirectory(atPath: index).filter { $0.hasPrefix("gen-") }.sorted()
        XCTAssertLessThanOrEqual(left.count, 2, "generations left after a clean build: \(left)")
        XCTAssertEqual(left.last, live)

        XCTAssertTrue(daemon.process.isRunning)
        XCTAssertGreaterThan(outcomes.killedBeforePublish, 10, "kills must land before the rename")
        print("""
        crash test: \(Self.kills) SIGKILLs (seed \(seed), delays 0..\(String(format: "%.2f", buildSeconds)) s): \
        \(outcomes.killedBeforePublish) before publishing, \(outcomes.killedAfterPublish) after the rename, \
        \(outcomes.finished) finished first; \(markers.count - 2) generations published; running daemon had already \
        swapped by inotify \(outcomes.daemonHadSwapped) times; \(outcomes.freshDaemons) fresh daemons answered; \(seconds(since: started)) wall
        """)
    }
}
