import Foundation
import QuarryProtocol
import QuarryTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The issue's main figure: no query fails and none is answered wrongly while the index is
/// rebuilt and swapped 20 times under load, by every trigger.
///
/// Two daemons serve the same index directory so that each swap has exactly one possible cause:
///   A  `--no-watch`: swaps only on SIGHUP and on quarry-index's `reload` request;
///   B  watching:     swaps only when inotify sees CURRENT change (nothing else is sent to it).
/// Builds cycle the trigger: SIGHUP to A (--no-reload), the reload request to A (quarry-index's
/// default), nothing (--no-reload; A keeps the older generation until the next trigger).
/// Two python3 client processes query both daemons as fast as they can for 30 s.
final class HotSwapUnderLoadTests: XCTestCase {
    var sandbox: ServiceSandbox?

    override func tearDown() {
        sandbox?.tearDown()
    }

    static let loadSeconds = 30.0
    static let rebuilds = 20
    static let baseQuery = "river stone"

    enum Trigger: String, CaseIterable { case sighup = "SIGHUP", request = "reload request", inotify = "inotify only" }

    func testHotSwapUnderLoadEveryTrigger() throws {
        let sandbox = try ServiceSandbox("swap")
        self.sandbox = sandbox
        let started = Date()
        let corpus = sandbox.file("base.jsonl")
        // ~0.2 s per build in debug: 20 builds fit in the 30 s window with room for the load.
        try GeneratedCorpus(documentCount: 2_000, seed: 11).writeJSONLines(to: corpus)
        let index = sandbox.file("index")
        let marker = sandbox.file("marker.jsonl")
        func build(_ number: Int, _ extra: [String]) throws -> ChildProcess {
            try GeneratedCorpus.markerLine(id: "marker-\(number)").write(toFile: marker, atomically: true, encoding: .utf8)
            return try sandbox.index(["--index", index] + extra + [corpus, marker])
        }
        try build(1, ["--no-reload"])

        let a = try sandbox.startDaemon(index: index, socket: sandbox.file("a.sock"), arguments: ["--no-watch"], name: "quarryd-A")
        let b = try sandbox.startDaemon(index: index, socket: sandbox.file("b.sock"), name: "quarryd-B")
        let reference = try a.client().search(Self.baseQuery)
        let expected = reference.hits.map(\.id)
        XCTAssertEqual(expected.count, 10, "the base query must fill a page")
        XCTAssertEqual(try b.client().search(Self.baseQuery).hits.map(\.id), expected)

        let python = try Binaries.python3()
        let script = sandbox.file("load.py")
        try LoadGenerator.script.write(toFile: script, atomically: true, encoding: .utf8)
        let expectedJSON = String(decoding: try JSONSerialization.data(withJSONObject: expected), as: UTF8.self)
        let clients = try (1...2).map { n in
            try sandbox.spawn(python, [script, String(Self.loadSeconds), "\(a.socketPath),\(b.socketPath)",
                                       Self.baseQuery, expectedJSON, GeneratedCorpus.markerWord], name: "client-\(n)")
        }
        let loadStarted = Date()

        var swaps: [Trigger: Int] = [:]
        var buildSeconds: [Double] = []
        for k in 1...Self.rebuilds {
            // One build every 1.3 s, starting 0.5 s into the load.
            let slot = loadStarted.addingTimeInterval(0.5 + Double(k - 1) * 1.3)
            if slot > Date() { usleep(useconds_t(slot.timeIntervalSinceNow * 1e6)) }
            let number = k + 1
            let name = generationName(number)
            let trigger = Trigger.allCases[(k - 1) % 3]
            let buildStart = Date()
            switch trigger {
            case .sighup:
                try build(number, ["--no-reload"])
                a.process.signal(SIGHUP)
                if a.waitForGeneration(name) { swaps[.sighup, default: 0] += 1 } else { XCTFail("A did not swap to \(name) on SIGHUP") }
            case .request:
                let indexer = try build(number, ["--socket", a.socketPath])
                XCTAssertTrue(indexer.stdout.contains("now serves \(name)"), "quarry-index said: \(indexer.stdout)")
                // A watches nothing: only the request can have moved it.
                if (try? a.generation()) == name { swaps[.request, default: 0] += 1 } else { XCTFail("A did not swap to \(name) on the reload request") }
            case .inotify:
                try build(number, ["--no-reload"])
            }
            buildSeconds.append(Date().timeIntervalSince(buildStart))
            // B is only ever moved by inotify, whatever the trigger.
            if b.waitForGeneration(name) { swaps[.inotify, default: 0] += 1 } else { XCTFail("B did not swap to \(name) by inotify") }
        }
        let rebuildsDone = Date().timeIntervalSince(loadStarted)
        XCTAssertLessThan(rebuildsDone, Self.loadSeconds, "all rebuilds must happen under load")

        var totals = (ok: 0, failed: 0, wrong: 0)
        var report: [String] = []
        for client in clients {
            let status = try client.wait(timeout: Self.loadSeconds + 60)
            XCTAssertEqual(status, 0, "\(client.name): \(client.stderr)")
            let figures = try LoadGenerator.figures(from: client.stdout)
            for (socket, f) in figures.sorted(by: { $0.key < $1.key }) {
                let daemon = socket == a.socketPath ? "A" : "B"
                totals.ok += f.ok; totals.failed += f.failed; totals.wrong += f.wrong
                report.append("\(client.name) -> quarryd-\(daemon): \(f.ok) ok, \(f.failed) failed, \(f.wrong) wrong, "
                              + "\(f.generations.count) generations seen (\(f.generations.first ?? "-") .. \(f.generations.last ?? "-"))")
                XCTAssertEqual(f.failed, 0, "\(client.name) -> \(daemon): \(f.samples)")
                XCTAssertEqual(f.wrong, 0, "\(client.name) -> \(daemon): \(f.samples)")
                XCTAssertEqual(f.generations.last, generationName(Self.rebuilds + 1), "\(client.name) -> \(daemon) saw \(f.generations)")
                XCTAssertGreaterThan(f.generations.count, daemon == "A" ? 5 : 10, "clients must see the swaps happen under load")
            }
        }
        let servedA = try a.client().send(.status)
        let servedB = try b.client().send(.status)
        var daemonQueries = 0
        for response in [servedA, servedB] { if case .status(let s) = response.body { daemonQueries += s.queries } }

        let third = Self.rebuilds / 3
        XCTAssertGreaterThanOrEqual(swaps[.sighup, default: 0], third)
        XCTAssertGreaterThanOrEqual(swaps[.request, default: 0], third)
        XCTAssertEqual(swaps[.inotify, default: 0], Self.rebuilds)
        let summary = """
        hot swap under load: \(Self.rebuilds) rebuilds in \(String(format: "%.1f", rebuildsDone)) s of \(Int(Self.loadSeconds)) s load \
        (build+swap \(String(format: "%.2f", buildSeconds.min() ?? 0))..\(String(format: "%.2f", buildSeconds.max() ?? 0)) s); \
        swaps: A by SIGHUP \(swaps[.sighup, default: 0]), A by reload request \(swaps[.request, default: 0]), B by inotify \(swaps[.inotify, default: 0]); \
        clients: \(totals.ok) ok, \(totals.failed) failed, \(totals.wrong) wrong (daemons counted \(daemonQueries) searches); \(seconds(since: started)) wall
        """
        print(summary)
        report.forEach { print("  " + $0) }
    }
}
