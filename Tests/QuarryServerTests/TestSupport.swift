#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOPosix
import QuarryProtocol
@testable import QuarryServer

/// Test fake: echoes the query as a hit; "((" -> bad_query; "slow" -> sleeps 0.4 s;
/// "boom" -> a non-protocol error (internal); "noindex" -> no_index.
final class FakeBackend: SearchBackend, @unchecked Sendable {
    static let slowSeconds = 0.4
    private let lock = NSLock()
    private var _searches = 0
    var searches: Int { lock.withLock { _searches } }
    /// Whether each search ran on a search worker (true) or on an event loop (false), by query.
    private var _ranOnWorker: [String: Bool] = [:]
    var ranOnWorker: [String: Bool] { lock.withLock { _ranOnWorker } }

    struct Boom: Error {}

    func search(_ request: SearchRequest) throws -> SearchResponse {
        let onWorker = MultiThreadedEventLoopGroup.currentEventLoop == nil
        lock.withLock {
            _searches += 1
            _ranOnWorker[request.query] = onWorker
        }
        if request.query.contains("((") { throw ProtocolError(.badQuery, "unbalanced parenthesis at 0") }
        if request.query.contains("boom") { throw Boom() }
        if request.query.contains("noindex") { throw ProtocolError(.noIndex, "no index in /nowhere") }
        if request.query.contains("slow") { Thread.sleep(forTimeInterval: FakeBackend.slowSeconds) }
        let hit = SearchHit(id: "echo", score: 1.5, title: request.query,
                            snippet: request.snippets ? Highlight.mark(request.query) : nil,
                            fields: request.fields ? ["limit": String(request.limit)] : nil)
        return SearchResponse(total: 1, totalExact: request.count, tookMicros: 42, generation: "gen-000001",
                              hits: request.limit > 0 ? [hit] : [])
    }

    func status() -> StatusInfo {
        StatusInfo(generation: "gen-000001", docs: 3, indexDir: "/fake", analyzer: "english", version: "")
    }
}

/// A blocking Unix-socket client with a receive timeout, so a broken server fails a test
/// instead of hanging it.
final class LineClient {
    let fd: Int32
    private var pending: [UInt8] = []

    init(path: String, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }

    func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// The next line without "\n", or nil at end of stream / timeout.
    func readLine() -> String? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeFirst(newline + 1)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return nil }
            pending.append(contentsOf: chunk[..<count])
        }
    }

    /// Reads one line and parses it as a JSON object.
    func readObject(file: StaticString = #filePath, line: UInt = #line) -> [String: JSONValue]? {
        guard let text = readLine() else { return nil }
        guard case .object(let members)? = try? JSONValue.parse(text) else { return nil }
        return members
    }

    /// True when the server has closed the connection (read returns 0 before the timeout).
    func isClosedByPeer() -> Bool {
        readLine() == nil && pending.isEmpty
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    var errorCode: String? {
        guard case .object(let error)? = self["error"], case .string(let code)? = error["code"] else { return nil }
        return code
    }
}

enum TestTimeout: Error { case expired(String) }

/// Polls until the server has stopped or the deadline passes.
func waitStopped(_ server: QuarryServer, seconds: Double = 5) async throws {
    let done = NSLock()
    var finished = false
    server.stoppedPromise.futureResult.whenComplete { _ in done.withLock { finished = true } }
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if done.withLock({ finished }) { return }
        try await Task.sleep(nanoseconds: 10_000_000)
    }
    throw TestTimeout.expired("server did not stop within \(seconds) s")
}

/// A fresh short socket path (sun_path holds 108 bytes).
func temporarySocketPath() -> String {
    let directory = "/tmp/qst-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    return directory + "/sub/quarry.sock"
}

func makeServer(backend: SearchBackend = FakeBackend(), path: String = temporarySocketPath(),
                configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> QuarryServer {
    var configuration = ServerConfiguration(socketPath: path)
    configuration.workerThreads = 2
    configure(&configuration)
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let server = QuarryServer(backend: backend, configuration: configuration, logger: logger)
    try await server.start()
    return server
}

/// Test fake for generation pinning: every prepared search pins the next generation number;
/// "slow" sleeps so that later pipelined searches finish first on other workers.
final class PinningBackend: SearchBackend, @unchecked Sendable {
    private let lock = NSLock()
    private var nextGeneration = 1
    private var _preparedOffLoop = 0
    /// Searches prepared somewhere other than an event loop (the server must prepare on arrival).
    var preparedOffLoop: Int { lock.withLock { _preparedOffLoop } }

    func search(_ request: SearchRequest) throws -> SearchResponse {
        try prepareSearch(request)()
    }

    func prepareSearch(_ request: SearchRequest) -> @Sendable () throws -> SearchResponse {
        let onLoop = MultiThreadedEventLoopGroup.currentEventLoop != nil
        let generation = lock.withLock { () -> Int in
            if !onLoop { _preparedOffLoop += 1 }
            defer { nextGeneration += 1 }
            return nextGeneration
        }
        return {
            if request.query.contains("slow") { Thread.sleep(forTimeInterval: FakeBackend.slowSeconds) }
            return SearchResponse(total: 0, totalExact: true, tookMicros: 1,
                                  generation: String(format: "gen-%06d", generation), hits: [])
        }
    }

    func status() -> StatusInfo {
        StatusInfo(generation: nil, docs: 0, indexDir: "/fake", analyzer: "english", version: "")
    }
}
