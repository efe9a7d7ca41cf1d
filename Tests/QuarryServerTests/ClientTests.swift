import Foundation
import XCTest
import QuarryProtocol
@testable import QuarryServer

/// Runs the real `quarry` binary (built beside the test bundle) against a server with the fake
/// backend: output format, socket resolution and exit codes.
final class ClientTests: XCTestCase {
    private var path = ""
    private var server: QuarryServer?

    private static var binary: URL? {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle(for: ClientTests.self).bundleURL.deletingLastPathComponent(),
        ].map { $0.appendingPathComponent("quarry") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    override func setUp() async throws {
        guard ClientTests.binary != nil else { throw XCTSkip("quarry binary not built") }
        path = temporarySocketPath()
        server = try await makeServer(path: path)
    }

    override func tearDown() async throws {
        if let server {
            server.shutdown()
            try? await waitStopped(server)
        }
        let root = ((path as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        try? FileManager.default.removeItem(atPath: root)
    }

    private func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = ClientTests.binary
        process.arguments = arguments
        var variables = ProcessInfo.processInfo.environment
        variables["QUARRY_SOCKET"] = nil
        variables["QUARRY_CONFIG"] = nil
        for (key, value) in environment { variables[key] = value }
        process.environment = variables
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    func testSearchPlainOutput() throws {
        let result = try run(["--socket", path, "search", "hello", "world"])
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertEqual(result.out, "1. hello world  (score 1.50)\n   id: echo\n   hello world\nat least 1 hit (took 42 µs)\n")
        let counted = try run(["search", "--socket", path, "--count", "--offset", "2", "x"])
        XCTAssertEqual(counted.status, 0, counted.err)
        XCTAssertTrue(counted.out.hasPrefix("3. x  (score 1.50)\n"), counted.out)
        XCTAssertTrue(counted.out.hasSuffix("1 hit (took 42 µs)\n"), counted.out)
    }

    func testSearchJSON() throws {
        let result = try run(["--socket", path, "search", "--json", "a"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.out.hasPrefix(#"{"v":1,"id":1,"ok":true,"total":1,"#), result.out)
        XCTAssertTrue(result.out.contains(#""snippet":"\u0002a\u0003""#), result.out)
    }

    func testExitCodes() throws {
        XCTAssertEqual(try run(["--socket", path, "search", "--limit", "0", "a"]).status, 1)
        let bad = try run(["--socket", path, "search", "a", "(("])
        XCTAssertEqual(bad.status, 4)
        XCTAssertEqual(bad.err, "quarry: bad_query: unbalanced parenthesis at 0\n")
        XCTAssertEqual(try run(["--socket", path, "search", "--limit", "5000", "a"]).status, 4)
        XCTAssertEqual(try run(["--socket", path, "search", "noindex"]).status, 5)
        XCTAssertEqual(try run(["--socket", path, "search", "--limit", "-1", "a"]).status, 2)
        XCTAssertEqual(try run(["--socket", path, "search"]).status, 2)
        XCTAssertEqual(try run(["--socket", path, "frobnicate"]).status, 2)
        XCTAssertEqual(try run(["--help"]).status, 0)
        let missing = try run(["--socket", "/nonexistent/q.sock", "ping"])
        XCTAssertEqual(missing.status, 3)
        XCTAssertEqual(missing.err, "quarry: cannot connect to /nonexistent/q.sock: No such file or directory (is quarryd running?)\n")
    }

    func testStatusAndPing() throws {
        let status = try run(["--socket", path, "status"])
        XCTAssertEqual(status.status, 0, status.err)
        let rows = status.out.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) } }
        XCTAssertTrue(rows.contains(["generation", "gen-000001"]), status.out)
        XCTAssertTrue(rows.contains(["docs", "3"]), status.out)
        XCTAssertTrue(rows.contains(["version", "quarry 0.1.0"]), status.out)
        let json = try run(["--socket", path, "status", "--json"])
        XCTAssertTrue(json.out.hasPrefix(#"{"v":1,"id":1,"ok":true,"status":{"#), json.out)
        let ping = try run(["--socket", path, "ping"])
        XCTAssertEqual(ping.status, 0)
        XCTAssertTrue(ping.out.hasPrefix("pong ("), ping.out)
    }

    func testSocketFromEnvironmentAndConfig() throws {
        XCTAssertEqual(try run(["ping"], environment: ["QUARRY_SOCKET": path]).status, 0)
        let config = NSTemporaryDirectory() + "quarry-client-\(UUID().uuidString).toml"
        try "[search]\nk1 = 1.0\n\n[daemon]\n# socket = \"/wrong\"\nsocket = \"\(path)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        XCTAssertEqual(try run(["--config", config, "ping"]).status, 0)
        XCTAssertEqual(try run(["ping"], environment: ["QUARRY_CONFIG": config]).status, 0)
        XCTAssertEqual(try run(["--config", "/nonexistent.toml", "ping"]).status, 2)
    }
}
