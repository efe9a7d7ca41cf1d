import Foundation
import QuarryProtocol
import QuarryTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// quarryd under a (simulated) service manager: sd_notify messages and their order, socket
/// activation through systemd-socket-activate, journald priority prefixes.
final class NotifyAndActivationTests: XCTestCase {
    var sandbox: ServiceSandbox?
    var listener: NotifyListener?

    override func tearDown() {
        listener?.stop()
        sandbox?.tearDown()
    }

    private func makeIndex(_ sandbox: ServiceSandbox, marker: String) throws -> String {
        let corpus = sandbox.file("base.jsonl")
        if !FileManager.default.fileExists(atPath: corpus) {
            try GeneratedCorpus(documentCount: 500, seed: 9).writeJSONLines(to: corpus)
        }
        let markerFile = sandbox.file("marker.jsonl")
        try GeneratedCorpus.markerLine(id: marker).write(toFile: markerFile, atomically: true, encoding: .utf8)
        let index = sandbox.file("index")
        try sandbox.index(["--index", index, "--no-reload", corpus, markerFile])
        return index
    }

    func testNotifyReadyReloadingWatchdogStopping() throws {
        let sandbox = try ServiceSandbox("notify")
        self.sandbox = sandbox
        let index = try makeIndex(sandbox, marker: "marker-1")
        let listener = try NotifyListener(path: sandbox.file("notify.sock"))
        self.listener = listener
        let daemon = try sandbox.startDaemon(index: index, socket: sandbox.file("d.sock"), arguments: ["--no-watch"],
                                             environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "1000000"])

        let ready = try XCTUnwrap(listener.waitFor(timeout: 10) { $0.contains("READY=1") }, "\(listener.messages)")
        XCTAssertTrue(listener.messages[ready].contains("STATUS=serving gen-000001"), listener.messages[ready])

        _ = try makeIndex(sandbox, marker: "marker-2")
        let beforeReload = UInt64(monotonicMicroseconds())
        daemon.process.signal(SIGHUP)
        let reloading = try XCTUnwrap(listener.waitFor(timeout: 10, after: ready) { $0.contains("RELOADING=1") }, "\(listener.messages)")
        let reloadingMessage = listener.messages[reloading]
        let stamp = reloadingMessage.split(separator: "\n").first { $0.hasPrefix("MONOTONIC_USEC=") }
            .flatMap { UInt64($0.dropFirst("MONOTONIC_USEC=".count)) }
        let usec = try XCTUnwrap(stamp, "RELOADING=1 needs MONOTONIC_USEC=: \(reloadingMessage)")
        XCTAssertTrue(usec >= beforeReload && usec <= UInt64(monotonicMicroseconds()), "MONOTONIC_USEC=\(usec) is not CLOCK_MONOTONIC now")
        let readyAgain = try XCTUnwrap(listener.waitFor(timeout: 10, after: reloading) { $0.contains("READY=1") }, "\(listener.messages)")
        XCTAssertTrue(listener.messages[readyAgain].contains("serving gen-000002"), listener.messages[readyAgain])
        XCTAssertEqual(try daemon.client().search(GeneratedCorpus.markerWord).hits.map(\.id), ["marker-2"])

        // WatchdogSec=1 s: WATCHDOG=1 every 0.5 s.
        XCTAssertNotNil(listener.waitFor(timeout: 3) { $0.contains("WATCHDOG=1") }, "\(listener.messages)")

        daemon.process.signal(SIGTERM)
        XCTAssertEqual(daemon.process.waitForExit(timeout: 30), 0, daemon.log)
        let stopping = try XCTUnwrap(listener.waitFor(timeout: 5) { $0.contains("STOPPING=1") }, "\(listener.messages)")
        XCTAssertGreaterThan(stopping, readyAgain)
        let after = listener.messages[(stopping + 1)...]
        XCTAssertFalse(after.contains { $0.contains("READY=1") || $0.contains("WATCHDOG=1") },
                       "nothing but STATUS after STOPPING=1: \(Array(after))")
        let kinds = listener.messages.map { $0.split(separator: "\n").first.map(String.init) ?? "" }
        print("sd_notify sequence: \(kinds.joined(separator: ", "))")
    }

    func testSocketActivationAndJournalPrefixes() throws {
        let activate = "/usr/bin/systemd-socket-activate"
        guard FileManager.default.isExecutableFile(atPath: activate) else {
            return XCTFail("\(activate) is missing: scripts/install-deps.sh installs the systemd package")
        }
        let sandbox = try ServiceSandbox("activate")
        self.sandbox = sandbox
        let index = try makeIndex(sandbox, marker: "marker-1")
        let socket = sandbox.file("act.sock")
        let quarryd = try Binaries.path("quarryd")
        // No --socket: the only way to answer on `socket` is the passed descriptor.
        // systemd-socket-activate passes only LISTEN_* and the -E variables to the program.
        let child = try sandbox.spawn(activate, ["-l", socket, "-E", "JOURNAL_STREAM=1:1",
                                                 quarryd, "--index", index, "--no-watch"], name: "socket-activate")
        let daemon = Daemon(process: child, socketPath: socket)
        try daemon.waitUntilAnswering()
        XCTAssertEqual(try daemon.client().search(GeneratedCorpus.markerWord).hits.map(\.id), ["marker-1"])
        XCTAssertTrue(daemon.log.contains("socket-activated fd 3"), daemon.log)

        child.signal(SIGTERM)
        XCTAssertEqual(child.waitForExit(timeout: 30), 0, daemon.log)
        let lines = daemon.log.split(separator: "\n").filter { !$0.hasPrefix("Listening on") && !$0.hasPrefix("Communication attempt") && !$0.hasPrefix("Execing") }
        XCTAssertFalse(lines.isEmpty)
        for line in lines {
            XCTAssertNotNil(line.range(of: #"^<[0-7]>"#, options: .regularExpression), "no journald priority prefix: \(line)")
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("<6>") }, daemon.log)
        print("socket activation: answered on \(socket); log lines: \(lines.prefix(3).joined(separator: " | "))")
    }
}

private func monotonicMicroseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
}
