import Foundation
import QuarryProtocol
import QuarrySystem
import QuarryTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

// The real programs as a service: locate the built binaries, run them as child processes with a
// chosen environment, talk protocol v1 to quarryd, listen for sd_notify datagrams.

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The built binaries: `$QUARRY_BIN_DIR`, else `<package root>/.build/debug`.
enum Binaries {
    /// Tests/ServiceTests/ServiceHarness.swift -> the package root.
    static let packageRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static var directory: String {
        if let dir = ProcessInfo.processInfo.environment["QUARRY_BIN_DIR"], !dir.isEmpty { return dir }
        return packageRoot + "/.build/debug"
    }

    /// The path of a built program; fails the test (never skips) when it is missing.
    static func path(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = directory + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            XCTFail("\(path) is missing: run `swift build` first (or set QUARRY_BIN_DIR)", file: file, line: line)
            throw HarnessError("\(path) is missing")
        }
        return path
    }

    /// python3 for the load generator: Debian's, else the first on PATH.
    static func python3(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") { return "/usr/bin/python3" }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = String(dir) + "/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        XCTFail("python3 is missing (scripts/install-deps.sh installs it)", file: file, line: line)
        throw HarnessError("python3 is missing")
    }
}

/// A child process whose stdout and stderr go to files (read them any time; no pipe to fill).
final class ChildProcess {
    let process = Process()
    let name: String
    let stdoutPath: String
    let stderrPath: String

    /// Variables the test process may have from its own service manager: never inherited, only
    /// set when a test asks for them.
    static let serviceVariables = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID",
                                   "LISTEN_FDNAMES", "JOURNAL_STREAM", "INVOCATION_ID", "STATE_DIRECTORY",
                                   "RUNTIME_DIRECTORY", "QUARRY_CONFIG", "QUARRY_SOCKET"]

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
         logDirectory: String, name: String? = nil) throws {
        self.name = name ?? (executable as NSString).lastPathComponent
        let stamp = UUID().uuidString.prefix(8)
        stdoutPath = "\(logDirectory)/\(self.name)-\(stamp).out"
        stderrPath = "\(logDirectory)/\(self.name)-\(stamp).err"
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        var variables = ProcessInfo.processInfo.environment
        for key in Self.serviceVariables { variables[key] = nil }
        variables.merge(environment) { _, new in new }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = variables
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func signal(_ number: Int32) {
        if process.isRunning { kill(process.processIdentifier, number) }
    }

    /// Waits for the exit; the exit status, or nil on timeout. A death by signal is 128 + signal.
    @discardableResult
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { return nil }
            usleep(5_000)
        }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Runs to completion (for quarry-index): the exit status (128 + signal for a signal death).
    func wait(timeout: Double = 120) throws -> Int32 {
        guard let status = waitForExit(timeout: timeout) else {
            signal(SIGKILL)
            throw HarnessError("\(name) did not finish in \(timeout) s; stderr: \(stderr)")
        }
        return status
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// SIGKILL if still running (teardown).
    func killIfRunning() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            _ = waitForExit(timeout: 5)
        }
    }
}

/// One test's world: a temporary directory, the children it started (killed at teardown).
final class ServiceSandbox {
    let directory: TemporaryDirectory
    private(set) var children: [ChildProcess] = []

    init(_ label: String) throws {
        // Short: a Unix socket path must fit in 107 bytes.
        directory = try TemporaryDirectory("qs-\(label)")
    }

    var path: String { directory.path }
    func file(_ name: String) -> String { directory.file(name) }

    func spawn(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
               name: String? = nil) throws -> ChildProcess {
        let child = try ChildProcess(executable, arguments, environment: environment, logDirectory: path, name: name)
        children.append(child)
        return child
    }

    /// Runs `quarry-index` to completion; throws with its stderr unless it exits 0.
    @discardableResult
    func index(_ arguments: [String]) throws -> ChildProcess {
        let child = try spawn(try Binaries.path("quarry-index"), arguments)
        let status = try child.wait()
        guard status == 0 else {
            throw HarnessError("quarry-index \(arguments.joined(separator: " ")) exited \(status): \(child.stderr)")
        }
        return child
    }

    /// Starts quarryd and waits until it answers a ping on `socket`.
    func startDaemon(index: String, socket: String, arguments: [String] = [], environment: [String: String] = [:],
                     name: String = "quarryd") throws -> Daemon {
        let child = try spawn(try Binaries.path("quarryd"), ["--index", index, "--socket", socket] + arguments,
                              environment: environment, name: name)
        let daemon = Daemon(process: child, socketPath: socket)
        try daemon.waitUntilAnswering()
        return daemon
    }

    /// Kills every child still running, removes the directory.
    func tearDown() {
        for child in children { child.killIfRunning() }
        children.removeAll()
        directory.remove()
    }
}

/// A running quarryd.
final class Daemon {
    let process: ChildProcess
    let socketPath: String

    init(process: ChildProcess, socketPath: String) {
        self.process = process
        self.socketPath = socketPath
    }

    var log: String { process.stderr }

    func waitUntilAnswering(timeout: Double = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard process.isRunning else {
                throw HarnessError("quarryd exited with \(process.waitForExit(timeout: 1) ?? -1) before answering: \(log)")
            }
            if let client = try? ProtocolClient(socketPath), (try? client.ping()) == true { return }
            usleep(20_000)
        }
        throw HarnessError("quarryd did not answer on \(socketPath) within \(timeout) s: \(log)")
    }

    func client() throws -> ProtocolClient { try ProtocolClient(socketPath) }

    /// The generation quarryd serves (a status request on a fresh connection).
    func generation() throws -> String? {
        guard case .status(let status) = try client().send(.status).body else { throw HarnessError("status failed") }
        return status.generation
    }

    /// Polls until quarryd serves `generation`.
    func waitForGeneration(_ generation: String, timeout: Double = 15) -> Bool {
        eventually(timeout: timeout) { (try? self.generation()) == generation }
    }
}

/// Protocol v1 over QuarrySystem's blocking Unix socket connection.
final class ProtocolClient {
    let connection: UnixSocketConnection
    private var nextID = 1

    init(_ socketPath: String, timeoutSeconds: Int = 30) throws {
        connection = try UnixSocketConnection(path: socketPath, timeoutSeconds: timeoutSeconds)
    }

    /// Writes a request without reading its answer (for pipelining); returns its id.
    @discardableResult
    func write(_ operation: QuarryProtocol.Operation) throws -> RequestID {
        let id = RequestID(integerLiteral: nextID)
        nextID += 1
        try connection.write(Request(id: id, operation: operation).encodedLine())
        return id
    }

    /// Reads the next response; throws when the daemon closed the connection.
    func read() throws -> Response {
        guard let line = try connection.readLine(maxBytes: 16 << 20) else {
            throw HarnessError("the daemon closed the connection without an answer")
        }
        return try Response.decode(line)
    }

    func send(_ operation: QuarryProtocol.Operation) throws -> Response {
        let id = try write(operation)
        let response = try read()
        guard response.id == id else { throw HarnessError("answer for \(response.id), expected \(id)") }
        return response
    }

    func ping() throws -> Bool {
        if case .pong = try send(.ping).body { return true }
        return false
    }

    /// A search that must succeed.
    func search(_ query: String, limit: Int = 10, count: Bool = false) throws -> SearchResponse {
        let response = try send(.search(SearchRequest(query: query, limit: limit, count: count)))
        switch response.body {
        case .search(let result): return result
        case .error(let error): throw HarnessError("search '\(query)' failed: \(error)")
        default: throw HarnessError("search '\(query)': unexpected answer \(response.body)")
        }
    }
}

/// Stands in for systemd's notification socket: an AF_UNIX datagram socket whose datagrams
/// ("READY=1\nSTATUS=…") are collected with their arrival order.
final class NotifyListener {
    let path: String
    private let descriptor: Int32
    private let lock = NSLock()
    private var received: [String] = []
    private var stopped = false
    private var thread: Thread?

    init(path: String) throws {
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw HarnessError("path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { close(fd); throw HarnessError("bind \(path): errno \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        descriptor = fd
        let thread = Thread { [unowned self] in self.loop() }
        self.thread = thread
        thread.start()
    }

    private func loop() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !lock.withLock({ stopped }) {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                let message = String(decoding: buffer[..<count], as: UTF8.self)
                lock.withLock { received.append(message) }
            }
        }
    }

    var messages: [String] { lock.withLock { received } }

    /// Waits until some message satisfies `predicate`; its index in `messages`.
    func waitFor(timeout: Double, after index: Int = -1, _ predicate: (String) -> Bool) -> Int? {
        var found: Int?
        _ = eventually(timeout: timeout) {
            found = self.messages.indices.first { $0 > index && predicate(self.messages[$0]) }
            return found != nil
        }
        return found
    }

    func stop() {
        lock.withLock { stopped = true }
        while thread?.isFinished == false { usleep(10_000) }
        close(descriptor)
        unlink(path)
    }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes.
@discardableResult
func eventually(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if condition() { return true }
        if Date() > deadline { return false }
        usleep(10_000)
    }
}

/// "gen-000042" -> 42.
func generationNumber(_ name: String?) -> Int? {
    guard let name, name.hasPrefix("gen-") else { return nil }
    return Int(name.dropFirst(4))
}

func generationName(_ number: Int) -> String { "gen-" + String(format: "%06d", number) }

/// The generation CURRENT names, read directly.
func currentGeneration(_ indexPath: String) -> String? {
    guard let text = try? String(contentsOfFile: indexPath + "/CURRENT", encoding: .utf8) else { return nil }
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Wall-clock seconds since `start`, formatted for logs.
func seconds(since start: Date) -> String { String(format: "%.1f s", Date().timeIntervalSince(start)) }
