#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
import Logging
import QuarryProtocol
@testable import QuarryServer
import QuarryConfig

final class QuarryServerTests: XCTestCase {
    /// Starts a server, registers its shutdown and the removal of its directory.
    private func start(_ backend: SearchBackend = FakeBackend(),
                       configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> (QuarryServer, String) {
        let path = temporarySocketPath()
        let server = try await makeServer(backend: backend, path: path, configure: configure)
        addTeardownBlock {
            server.shutdown()
            try? await waitStopped(server)
            let root = ((path as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
            try? FileManager.default.removeItem(atPath: root)
        }
        return (server, path)
    }

    func testPipelinedRequestsAreAnsweredInOrder() async throws {
        let (_, path) = try await start()
        let client = try LineClient(path: path)
        client.send("""
            {"v":1,"id":1,"op":"search","query":"slow one","count":true}
            {"v":1,"id":"two","op":"ping"}
            {"v":1,"id":3,"op":"search","query":"fast","limit":5,"snippets":false}
            {"v":1,"id":4.0,"op":"status"}
            {"op":"ping"}

            """)
        let lines = (0..<5).compactMap { _ in client.readLine() }
        XCTAssertEqual(lines.count, 5)
        XCTAssertTrue(lines[0].hasPrefix(#"{"v":1,"id":1,"ok":true,"total":1,"total_exact":true,"took_us":42,"generation":"gen-000001","hits":[{"id":"echo","score":1.5,"title":"slow one","snippet":"\u0002slow one\u0003""#), lines[0])
        XCTAssertEqual(lines[1], #"{"v":1,"id":"two","ok":true,"pong":true}"#)
        let third = try Response.decode(Array(lines[2].utf8))
        XCTAssertEqual(third.id, 3)
        guard case .search(let result) = third.body else { return XCTFail(lines[2]) }
        XCTAssertFalse(result.totalExact)
        XCTAssertNil(result.hits.first?.snippet)
        XCTAssertEqual(result.hits.first?.fields, ["limit": "5"])
        XCTAssertTrue(lines[3].hasPrefix(#"{"v":1,"id":4.0,"ok":true,"status":"#), lines[3])
        XCTAssertEqual(lines[4], #"{"v":1,"id":null,"ok":true,"pong":true}"#)
    }

    func testLoneSearchRunsInlineAndPipelinedOnesOnWorkers() async throws {
        let backend = FakeBackend()
        let (_, path) = try await start(backend)
        let client = try LineClient(path: path)
        client.send(#"{"id":1,"op":"search","query":"lone"}"# + "\n")
        XCTAssertEqual(client.readObject()?["id"], .number("1"))
        // Sent in one write: the first has bytes behind it, the others an earlier one in flight.
        client.send(#"{"id":2,"op":"search","query":"slow first"}"# + "\n" + #"{"id":3,"op":"search","query":"second"}"# + "\n")
        XCTAssertEqual(client.readObject()?["id"], .number("2"))
        XCTAssertEqual(client.readObject()?["id"], .number("3"))
        XCTAssertEqual(backend.ranOnWorker, ["lone": false, "slow first": true, "second": true])
    }

    /// With a second client connected, even a lone search goes to a worker: an inline one would
    /// hold the event loop the other client may share.
    func testLoneSearchGoesToAWorkerWhileAnotherClientIsConnected() async throws {
        let backend = FakeBackend()
        let (_, path) = try await start(backend)
        let client = try LineClient(path: path)
        let other = try LineClient(path: path)
        other.send(#"{"id":9,"op":"ping"}"# + "\n")
        XCTAssertEqual(other.readObject()?["id"], .number("9"))
        client.send(#"{"id":1,"op":"search","query":"lone"}"# + "\n")
        XCTAssertEqual(client.readObject()?["id"], .number("1"))
        XCTAssertEqual(backend.ranOnWorker, ["lone": true])
        _ = other
    }

    /// Pipelined searches run in parallel on the workers but pin their generation when they
    /// arrive, in order: a slow first search finishing last still answers from the generation
    /// pinned before its successors'.
    func testPipelinedSearchesPinGenerationsInRequestOrder() async throws {
        let backend = PinningBackend()
        let (_, path) = try await start(backend)
        let client = try LineClient(path: path)
        client.send(#"{"id":1,"op":"search","query":"slow"}"# + "\n" + #"{"id":2,"op":"search","query":"a"}"# + "\n"
                    + #"{"id":3,"op":"search","query":"b"}"# + "\n")
        var generations: [String] = []
        for _ in 0..<3 {
            if case .string(let generation)? = client.readObject()?["generation"] { generations.append(generation) }
        }
        XCTAssertEqual(generations, ["gen-000001", "gen-000002", "gen-000003"])
        XCTAssertEqual(backend.preparedOffLoop, 0, "searches must be pinned on the event loop, as they arrive")
    }

    func testInlineSearchesCanBeTurnedOff() async throws {
        let backend = FakeBackend()
        let (_, path) = try await start(backend) { $0.inlineSearches = false }
        let client = try LineClient(path: path)
        client.send(#"{"id":1,"op":"search","query":"lone"}"# + "\n")
        XCTAssertEqual(client.readObject()?["id"], .number("1"))
        XCTAssertEqual(backend.ranOnWorker, ["lone": true])
    }

    func testMalformedLineGetsBadRequestAndConnectionContinues() async throws {
        let (_, path) = try await start()
        let client = try LineClient(path: path)
        client.send("{not json\n[1,2]\n{\"id\":5,\"op\":\"search\",\"query\":\"x\",\"limit\":-1}\n{\"id\":6,\"op\":\"ping\"}\n")
        XCTAssertEqual(client.readObject()?.errorCode, "bad_request")
        XCTAssertEqual(client.readObject()?.errorCode, "bad_request")
        let third = client.readObject()
        XCTAssertEqual(third?.errorCode, "bad_request")
        XCTAssertEqual(third?["id"], .number("5"))
        XCTAssertEqual(client.readLine(), #"{"v":1,"id":6,"ok":true,"pong":true}"#)
    }

    func testOversizedLineGetsTooLargeAndNextLineWorks() async throws {
        let (_, path) = try await start()
        let client = try LineClient(path: path)
        var big = Array(#"{"op":"search","query":""#.utf8)
        big += [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
        big += Array("\"}\n{\"id\":2,\"op\":\"ping\"}\n".utf8)
        client.send(big)
        let first = client.readObject()
        XCTAssertEqual(first?.errorCode, "too_large")
        XCTAssertEqual(first?["id"], .null)
        XCTAssertEqual(client.readLine(), #"{"v":1,"id":2,"ok":true,"pong":true}"#)
        // A line just under the limit is still served.
        let query = String(repeating: "b", count: 65_536 - 60)
        client.send(#"{"id":3,"op":"search","query":"\#(query)","limit":0}"# + "\n")
        XCTAssertEqual(client.readObject()?["ok"], .bool(true))
    }

    func testErrorCodes() async throws {
        let (_, path) = try await start()
        let client = try LineClient(path: path)
        let cases: [(String, String)] = [
            (#"{"id":1,"op":"explode"}"#, "unknown_op"),
            (#"{"v":2,"id":2,"op":"ping"}"#, "unsupported_version"),
            (#"{"id":3,"op":"search","query":"a (( b"}"#, "bad_query"),
            (#"{"id":4,"op":"search","query":"x","limit":1001}"#, "limit_exceeded"),
            (#"{"id":5,"op":"search","query":"boom"}"#, "internal"),
            (#"{"id":6,"op":"search","query":"noindex"}"#, "no_index"),
            (#"{"id":7,"op":"reload"}"#, "unknown_op"),
        ]
        client.send(cases.map { $0.0 + "\n" }.joined())
        for (index, (request, code)) in cases.enumerated() {
            let response = client.readObject()
            XCTAssertEqual(response?.errorCode, code, request)
            XCTAssertEqual(response?["id"], .number(String(index + 1)))
            XCTAssertEqual(response?["ok"], .bool(false))
        }
    }

    func testStatusCounters() async throws {
        let (_, path) = try await start()
        let client = try LineClient(path: path)
        client.send("""
            {"id":1,"op":"search","query":"a"}
            {"id":2,"op":"search","query":"b"}
            {"id":3,"op":"search","query":"(("}
            {"id":4,"op":"bogus"}

            """)
        for _ in 0..<4 { XCTAssertNotNil(client.readLine()) }
        let other = try LineClient(path: path)
        other.send(#"{"id":5,"op":"status"}"# + "\n")
        let response = try Response.decode(Array(other.readLine()!.utf8))
        guard case .status(let status) = response.body else { return XCTFail("\(response)") }
        XCTAssertEqual(status.queries, 3)
        XCTAssertEqual(status.errors, 2)
        XCTAssertEqual(status.docs, 3)
        XCTAssertEqual(status.generation, "gen-000001")
        XCTAssertEqual(status.version, "quarry 0.1.0")
        XCTAssertEqual(status.connections, 2)
        XCTAssertEqual(status.latency?.samples, 3)
        XCTAssertGreaterThan(status.uptimeSeconds, 0)
    }

    func testShutdownFinishesInFlightRequest() async throws {
        let backend = FakeBackend()
        let (server, path) = try await start(backend)
        let client = try LineClient(path: path)
        client.send(#"{"id":1,"op":"search","query":"slow"}"# + "\n")
        while backend.searches == 0 { try await Task.sleep(nanoseconds: 5_000_000) }
        let began = Date()
        server.shutdown()
        var refused = false
        for _ in 0..<100 where !refused {
            refused = (try? LineClient(path: path)) == nil
            if !refused { try await Task.sleep(nanoseconds: 5_000_000) }
        }
        XCTAssertTrue(refused, "the listener must close")
        let response = client.readObject()
        XCTAssertEqual(response?["id"], .number("1"))
        XCTAssertEqual(response?["ok"], .bool(true))
        XCTAssertTrue(client.isClosedByPeer())
        try await waitStopped(server)
        XCTAssertLessThan(Date().timeIntervalSince(began), 3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "socket file removed on exit")
    }

    /// Lone slow searches run inline, so a request can still be unread in its socket (its event
    /// loop busy with another connection's search) when the drain starts: it is answered all the same.
    func testShutdownAnswersRequestsUnreadWhileTheLoopRanAnInlineSearch() async throws {
        let backend = FakeBackend()
        let (server, path) = try await start(backend)
        let clients = try (0..<4).map { _ in try LineClient(path: path) }
        for client in clients {
            client.send(#"{"op":"ping"}"# + "\n")
            XCTAssertNotNil(client.readLine())
        }
        // Two searches start; the other two requests arrive while their loops are busy.
        for (index, client) in clients.enumerated() where index < 2 {
            client.send(#"{"id":\#(index),"op":"search","query":"slow \#(index)"}"# + "\n")
        }
        while backend.searches < 2 { try await Task.sleep(nanoseconds: 5_000_000) }
        for (index, client) in clients.enumerated() where index >= 2 {
            client.send(#"{"id":\#(index),"op":"search","query":"slow \#(index)"}"# + "\n")
        }
        server.shutdown()
        for (index, client) in clients.enumerated() {
            let response = client.readObject()
            XCTAssertEqual(response?["id"], .number(String(index)), "connection \(index)")
            XCTAssertEqual(response?["ok"], .bool(true), "connection \(index)")
        }
        try await waitStopped(server)
    }

    func testIdleConnectionDoesNotBlockShutdown() async throws {
        let (server, path) = try await start()
        let idle = try LineClient(path: path)
        idle.send(#"{"op":"ping"}"# + "\n")
        XCTAssertNotNil(idle.readLine())
        let silent = try LineClient(path: path)  // never sends anything
        while server.connectionCount < 2 { try await Task.sleep(nanoseconds: 5_000_000) }
        let began = Date()
        server.shutdown()
        try await waitStopped(server, seconds: 2)
        XCTAssertLessThan(Date().timeIntervalSince(began), 1)
        XCTAssertTrue(idle.isClosedByPeer())
        XCTAssertTrue(silent.isClosedByPeer())
    }

    func testRunReturnsAfterShutdown() async throws {
        let path = temporarySocketPath()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = QuarryServer(backend: FakeBackend(), configuration: ServerConfiguration(socketPath: path), logger: logger)
        let running = Task { try await server.run() }
        var client: LineClient?
        for _ in 0..<200 where client == nil {
            client = try? LineClient(path: path)
            if client == nil { try await Task.sleep(nanoseconds: 5_000_000) }
        }
        XCTAssertNotNil(client)
        server.shutdown()
        server.shutdown()  // idempotent
        try await running.value
        try? FileManager.default.removeItem(atPath: ((path as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent)
    }

    func testMaxConnections() async throws {
        let (server, path) = try await start { $0.maxConnections = 2 }
        let first = try LineClient(path: path)
        let second = try LineClient(path: path)
        while server.connectionCount < 2 { try await Task.sleep(nanoseconds: 5_000_000) }
        let third = try LineClient(path: path)
        XCTAssertEqual(third.readObject()?.errorCode, "overloaded")
        XCTAssertTrue(third.isClosedByPeer())
        first.send(#"{"op":"ping"}"# + "\n")
        XCTAssertNotNil(first.readLine())
        second.send(#"{"op":"ping"}"# + "\n")
        XCTAssertNotNil(second.readLine())
    }

    func testIdleTimeoutClosesConnection() async throws {
        let (_, path) = try await start { $0.idleTimeoutSeconds = 0.2 }
        let client = try LineClient(path: path)
        client.send(#"{"op":"ping"}"# + "\n")
        XCTAssertNotNil(client.readLine())
        let began = Date()
        XCTAssertTrue(client.isClosedByPeer())
        XCTAssertLessThan(Date().timeIntervalSince(began), 2)
    }

    func testIdleTimeoutWaitsForSlowRequest() async throws {
        let (_, path) = try await start { $0.idleTimeoutSeconds = 0.1 }
        let client = try LineClient(path: path)
        client.send(#"{"id":1,"op":"search","query":"slow"}"# + "\n")
        XCTAssertEqual(client.readObject()?["ok"], .bool(true))
    }

    func testHalfClosedClientStillGetsAnswers() async throws {
        let (_, path) = try await start()
        let client = try LineClient(path: path)
        client.send(#"{"id":1,"op":"search","query":"slow"}"# + "\n" + #"{"id":2,"op":"ping"}"#)  // no final newline
        client.shutdownWrite()
        XCTAssertEqual(client.readObject()?["id"], .number("1"))
        XCTAssertEqual(client.readObject()?["id"], .number("2"))
        XCTAssertTrue(client.isClosedByPeer())
    }

    func testSocketModeAndStaleSocket() async throws {
        let path = temporarySocketPath()
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // A stale socket: bound, then its owner went away without unlinking it.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(stale)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))

        let server = try await makeServer(path: path) { $0.socketMode = 0o600 }
        defer { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let client = try LineClient(path: path)
        client.send(#"{"op":"ping"}"# + "\n")
        XCTAssertNotNil(client.readLine())
        server.shutdown()
        try await waitStopped(server)
    }

    func testBackPressureWithManyPipelinedRequests() async throws {
        let (_, path) = try await start { $0.maxPipelinedRequests = 4 }
        let client = try LineClient(path: path)
        let count = 500
        let writer = Thread {
            client.send((0..<count).map { #"{"id":\#($0),"op":"search","query":"q\#($0)"}"# + "\n" }.joined())
        }
        writer.start()
        for index in 0..<count {
            guard let response = client.readObject() else { return XCTFail("no response \(index)") }
            XCTAssertEqual(response["id"], .number(String(index)))
        }
    }
}

final class ServerConfigurationTests: XCTestCase {
    func testFromConfigFile() throws {
        let environment = ConfigEnvironment(variables: ["HOME": "/h"], userID: 5)
        let config = try QuarryConfiguration.parse(text: """
            [daemon]
            socket = "/run/x.sock"
            socket_mode = "0600"
            max_connections = 9
            max_request_bytes = 4096
            idle_timeout_s = 0
            worker_threads = 3
            [search]
            max_limit = 77
            max_offset = 88
            """, path: "t.toml", environment: environment)
        let server = ServerConfiguration(config)
        XCTAssertEqual(server.listener, .unixSocket(path: "/run/x.sock"))
        XCTAssertEqual(server.socketMode, 0o600)
        XCTAssertEqual(server.maxConnections, 9)
        XCTAssertEqual(server.idleTimeoutSeconds, 0)
        XCTAssertEqual(server.workerThreads, 3)
        XCTAssertEqual(server.limits, ProtocolLimits(maxRequestBytes: 4096, maxLimit: 77, maxOffset: 88))
        XCTAssertEqual(ServerConfiguration(config, socketPath: "/tmp/o.sock").listener, .unixSocket(path: "/tmp/o.sock"))
        XCTAssertEqual(ServerConfiguration(config, boundSocket: 3).listener, .boundSocket(descriptor: 3))
    }
}
