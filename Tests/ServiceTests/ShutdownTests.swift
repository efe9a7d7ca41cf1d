import Foundation
import QuarryProtocol
import QuarryTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM with requests in flight: every request the daemon was sent before the signal is
/// answered, the process exits 0, the socket file is gone.
final class ShutdownTests: XCTestCase {
    var sandbox: ServiceSandbox?

    override func tearDown() {
        sandbox?.tearDown()
    }

    /// Slow in a debug build (~40-80 ms each): prefix expansions and phrases, counted exactly.
    static let slowQuery = "\"river river\" OR \"stone stone\" OR r* OR s* OR m*"

    func testSigtermAnswersFiftyRequestsInFlight() throws {
        let sandbox = try ServiceSandbox("term")
        self.sandbox = sandbox
        let corpus = sandbox.file("base.jsonl")
        try GeneratedCorpus(documentCount: 5_000, seed: 5).writeJSONLines(to: corpus)
        let index = sandbox.file("index")
        try sandbox.index(["--index", index, "--no-reload", corpus])
        let socket = sandbox.file("d.sock")
        let daemon = try sandbox.startDaemon(index: index, socket: socket, arguments: ["--no-watch"])

        // 50 connections, each accepted and served once (a ping) so the daemon knows them all.
        let clients = try (0..<50).map { _ in try daemon.client() }
        for client in clients { XCTAssertTrue(try client.ping()) }
        for client in clients {
            try client.write(.search(SearchRequest(query: Self.slowQuery, limit: 10, count: true)))
        }
        let signalled = Date()
        daemon.process.signal(SIGTERM)

        var answered = 0
        var problems: [String] = []
        for (n, client) in clients.enumerated() {
            do {
                let response = try client.read()
                if case .search(let result) = response.body, result.hits.count == 10 {
                    answered += 1
                } else {
                    problems.append("connection \(n): \(response.body)")
                }
            } catch {
                problems.append("connection \(n): \(error)")
            }
        }
        let status = daemon.process.waitForExit(timeout: 60)
        let took = Date().timeIntervalSince(signalled)
        XCTAssertEqual(answered, 50, "unanswered: \(problems.count): \(problems.prefix(5))")
        XCTAssertEqual(status, 0, daemon.log)
        XCTAssertFalse(FileManager.default.fileExists(atPath: socket), "the socket file must be removed")
        print("SIGTERM with 50 requests in flight: \(answered) answered ok, exit \(status.map(String.init) ?? "none"), "
              + "stopped \(String(format: "%.2f", took)) s after the signal; problems: \(problems.prefix(3))")
    }
}
