import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Where the real binaries are: `$QUARRY_BIN_DIR`, else `<package root>/.build/debug`.
enum Binaries {
    static let packageRoot: String = {
        // <root>/Tests/EndToEndTests/EndToEndSupport.swift
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()

    static var directory: String {
        if let fromEnvironment = ProcessInfo.processInfo.environment["QUARRY_BIN_DIR"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return packageRoot + "/.build/debug"
    }

    /// The path of `name`, or an XCTFail naming what to do (tests must not skip silently).
    static func path(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = directory + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            XCTFail("\(path) is missing: run swift build first (or set QUARRY_BIN_DIR)", file: file, line: line)
            throw MissingBinary(path: path)
        }
        return path
    }

    struct MissingBinary: Error, CustomStringConvertible {
        var path: String
        var description: String { "\(path) is missing: run swift build first" }
    }
}

/// What a finished child process left behind.
struct ProcessOutcome {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Deadline for any one child process: generous, only there so a hung child fails the test
/// instead of hanging the whole run. Never an assertion on speed.
let childDeadlineSeconds: Double = 120

/// Runs a binary to completion with its output captured in files (no pipe can fill up).
func runBinary(_ name: String, _ arguments: [String], in scratch: String,
               file: StaticString = #filePath, line: UInt = #line) throws -> ProcessOutcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try Binaries.path(name, file: file, line: line))
    process.arguments = arguments
    process.environment = childEnvironment()
    let tag = UUID().uuidString.prefix(8)
    let outPath = scratch + "/\(name)-\(tag).out", errPath = scratch + "/\(name)-\(tag).err"
    FileManager.default.createFile(atPath: outPath, contents: nil)
    FileManager.default.createFile(atPath: errPath, contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    defer { try? out.close(); try? err.close() }
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    if !waitForExit(process, seconds: childDeadlineSeconds) {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTFail("\(name) \(arguments) did not finish within \(childDeadlineSeconds) s; killed", file: file, line: line)
    }
    return ProcessOutcome(status: process.terminationStatus,
                          stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}

/// Waits for `process` to exit; false if it is still running after `seconds`.
func waitForExit(_ process: Process, seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning {
        if Date() > deadline { return false }
        usleep(5_000)
    }
    process.waitUntilExit()
    return true
}

/// The test's environment without anything that would point a child at another config or socket.
func childEnvironment() -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    for key in ["QUARRY_CONFIG", "QUARRY_SOCKET", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
                "INVOCATION_ID", "WATCHDOG_USEC", "WATCHDOG_PID"] {
        environment[key] = nil
    }
    environment["NO_COLOR"] = "1"
    return environment
}

/// A running `quarryd` on a temporary socket; `stop()` (or deinit) makes sure it is gone.
final class Daemon {
    let process = Process()
    let socketPath: String
    let logPath: String
    private let log: FileHandle

    init(indexPath: String, socketPath: String, scratch: String,
         file: StaticString = #filePath, line: UInt = #line) throws {
        self.socketPath = socketPath
        logPath = scratch + "/quarryd-\(UUID().uuidString.prefix(8)).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: try Binaries.path("quarryd", file: file, line: line))
        process.arguments = ["--index", indexPath, "--socket", socketPath]
        process.environment = childEnvironment()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Ready when the socket accepts a connection (a deadline, never an assertion on speed).
        let deadline = Date().addingTimeInterval(childDeadlineSeconds)
        while (try? SocketClient(path: socketPath)) == nil {
            guard process.isRunning else {
                throw DaemonFailed(description: "quarryd exited with \(process.terminationStatus) before listening: \(logText)")
            }
            guard Date() < deadline else {
                stop()
                throw DaemonFailed(description: "quarryd did not accept on \(socketPath) within \(childDeadlineSeconds) s: \(logText)")
            }
            usleep(10_000)
        }
    }

    struct DaemonFailed: Error, CustomStringConvertible { var description: String }

    var logText: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGTERM, then wait; SIGKILL if it does not go. Returns the exit status (nil if it had to be killed).
    @discardableResult
    func stop() -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()   // SIGTERM
        if waitForExit(process, seconds: childDeadlineSeconds) { return process.terminationStatus }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return nil
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? log.close()
    }
}

/// A blocking client on a Unix stream socket, with a receive timeout so a broken daemon fails
/// the test instead of hanging it.
final class SocketClient {
    private let fd: Int32
    private var buffered: [UInt8] = []

    struct Failure: Error, CustomStringConvertible { var description: String }

    init(path: String, timeoutSeconds: Int = 60) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw Failure(description: "socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw Failure(description: "connect \(path): errno \(code)")
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "send: errno \(errno)")
            }
            offset += written
        }
    }

    /// The next line without "\n"; throws on timeout or when the daemon closes first.
    func readLine() throws -> String {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeFirst(newline + 1)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "read: errno \(errno) (timeout?)")
            }
            if count == 0 { throw Failure(description: "the daemon closed the connection") }
            buffered.append(contentsOf: chunk[..<count])
        }
    }

    /// Sends one request line, returns the response as a JSON object.
    func request(_ line: String) throws -> [String: Any] {
        try send(line + "\n")
        return try parseObject(try readLine())
    }
}

/// Parses one JSON object line.
func parseObject(_ line: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw SocketClient.Failure(description: "not a JSON object: \(line)")
    }
    return object
}
