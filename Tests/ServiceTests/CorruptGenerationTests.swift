import Foundation
import QuarryProtocol
import QuarryTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A published generation damaged before quarryd sees it is refused, with the file named, and
/// the old generation keeps serving.
final class CorruptGenerationTests: XCTestCase {
    var sandbox: ServiceSandbox?

    override func tearDown() {
        sandbox?.tearDown()
    }

    func testCorruptNewGenerationIsRefusedAndOldOneKeepsServing() throws {
        let sandbox = try ServiceSandbox("corrupt")
        self.sandbox = sandbox
        let corpus = sandbox.file("base.jsonl")
        try GeneratedCorpus(documentCount: 1_000, seed: 3).writeJSONLines(to: corpus)
        let index = sandbox.file("index")
        let marker = sandbox.file("marker.jsonl")
        try GeneratedCorpus.markerLine(id: "marker-1").write(toFile: marker, atomically: true, encoding: .utf8)
        try sandbox.index(["--index", index, "--no-reload", corpus, marker])
        let daemon = try sandbox.startDaemon(index: index, socket: sandbox.file("d.sock"), arguments: ["--no-watch"])
        let before = try daemon.client().search("river stone")

        try GeneratedCorpus.markerLine(id: "marker-2").write(toFile: marker, atomically: true, encoding: .utf8)
        try sandbox.index(["--index", index, "--no-reload", corpus, marker])
        XCTAssertEqual(currentGeneration(index), "gen-000002")
        // Flip one byte in the middle of the new generation's postings.
        let postings = "\(index)/gen-000002/postings"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: postings)))
        bytes[bytes.count / 2] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: postings))

        daemon.process.signal(SIGHUP)
        XCTAssertTrue(eventually(timeout: 10) { daemon.log.contains("refused generation gen-000002") }, daemon.log)
        let refusal = daemon.log.split(separator: "\n").first { $0.contains("refused generation gen-000002") } ?? ""
        XCTAssertTrue(refusal.contains("postings"), "the log must name the damaged file: \(refusal)")

        // Still serving gen-000001, with the same answers.
        let client = try daemon.client()
        let marked = try client.search(GeneratedCorpus.markerWord)
        XCTAssertEqual(marked.generation, "gen-000001")
        XCTAssertEqual(marked.hits.map(\.id), ["marker-1"])
        XCTAssertEqual(try client.search("river stone").hits.map(\.id), before.hits.map(\.id))

        // The reload request is refused with the reason; the daemon keeps serving.
        let reload = try client.send(.reload)
        guard case .error(let error) = reload.body else { return XCTFail("reload answered \(reload.body)") }
        XCTAssertTrue(error.message.contains("gen-000002") && error.message.contains("postings"), error.message)
        XCTAssertEqual(try client.search(GeneratedCorpus.markerWord).generation, "gen-000001")
        XCTAssertTrue(daemon.process.isRunning)
        print("corrupt generation: refused with: \(refusal)")
    }
}
