import Foundation
import XCTest
@testable import QuarryConfig

final class QuarryConfigTests: XCTestCase {
    private let user = ConfigEnvironment(variables: ["HOME": "/home/ann", "XDG_RUNTIME_DIR": "/run/user/1000",
                                                     "XDG_DATA_HOME": "/home/ann/data"], userID: 1000)

    private func parse(_ text: String, environment: ConfigEnvironment? = nil) throws -> QuarryConfiguration {
        try QuarryConfiguration.parse(text: text, path: "/etc/q.toml", environment: environment ?? user)
    }

    private func assertError(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(text), file: file, line: line) { error in
            guard let error = error as? ConfigError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertTrue(error.description.hasPrefix(expected), "\(error.description) does not start with \(expected)",
                          file: file, line: line)
        }
    }

    // MARK: Defaults

    func testDefaults() {
        let config = QuarryConfiguration.defaults(environment: user)
        XCTAssertEqual(config.index.dir, "/home/ann/data/quarry/index")
        XCTAssertEqual(config.daemon.socket, "/run/user/1000/quarry/quarry.sock")
        XCTAssertEqual(config.daemon.socketMode, 0o660)
        XCTAssertEqual(config.daemon.maxConnections, 256)
        XCTAssertEqual(config.daemon.maxRequestBytes, 65_536)
        XCTAssertEqual(config.daemon.idleTimeoutSeconds, 300)
        XCTAssertEqual(config.daemon.workerThreads, 0)
        XCTAssertEqual(config.search.k1, 1.2)
        XCTAssertEqual(config.search.b, 0.75)
        XCTAssertEqual(config.search.defaultOperator, .or)
        XCTAssertEqual(config.search.titleWeight, 2.0)
        XCTAssertEqual(config.search.bodyWeight, 1.0)
        XCTAssertEqual(config.search.maxLimit, 1_000)
        XCTAssertEqual(config.search.maxOffset, 10_000)
        XCTAssertEqual(config.search.maxClauses, 1_024)
        XCTAssertEqual(config.search.maxDepth, 32)
        XCTAssertEqual(config.search.snippetBytes, 200)
        XCTAssertEqual(config.analysis.language, "english")
        XCTAssertFalse(config.analysis.stopwords)
        XCTAssertTrue(config.analysis.foldDiacritics)
        XCTAssertEqual(config.indexer.maxRecordBytes, 16_777_216)
        XCTAssertEqual(config.indexer.memoryBytes, 512 << 20)
        XCTAssertNil(config.sourcePath)
    }

    func testDefaultPaths() {
        let bare = ConfigEnvironment(variables: ["HOME": "/home/bob"], userID: 1001)
        XCTAssertEqual(DefaultPaths.indexDirectory(bare), "/home/bob/.local/share/quarry/index")
        XCTAssertEqual(DefaultPaths.socketPath(bare), "/tmp/quarry-1001/quarry.sock")
        let service = ConfigEnvironment(variables: ["INVOCATION_ID": "abc", "HOME": "/"], userID: 0)
        XCTAssertEqual(DefaultPaths.indexDirectory(service), "/var/lib/quarry/index")
        XCTAssertEqual(DefaultPaths.socketPath(service), "/run/quarry/quarry.sock")
        let dirs = ConfigEnvironment(variables: ["STATE_DIRECTORY": "/var/lib/q:/var/lib/other",
                                                 "RUNTIME_DIRECTORY": "/run/q"], userID: 998)
        XCTAssertEqual(DefaultPaths.indexDirectory(dirs), "/var/lib/q/index")
        XCTAssertEqual(DefaultPaths.socketPath(dirs), "/run/q/quarry.sock")
    }

    func testEmptyFileGivesDefaults() throws {
        var expected = QuarryConfiguration.defaults(environment: user)
        expected.sourcePath = "/etc/q.toml"
        XCTAssertEqual(try parse(""), expected)
        XCTAssertEqual(try parse("# only a comment\n[daemon]\n"), expected)
    }

    /// The shipped Config/quarry.toml documents the defaults: parsing it changes nothing.
    func testShippedFileMatchesDefaults() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Config/quarry.toml")
        let config = try QuarryConfiguration.load(path: url.path, environment: user)
        var expected = QuarryConfiguration.defaults(environment: user)
        expected.sourcePath = url.path
        XCTAssertEqual(config, expected)
    }

    func testFullFile() throws {
        let config = try parse("""
            [index]
            dir = "~/idx"
            [daemon]
            socket = "/run/q/q.sock"
            socket_mode = "0600"
            max_connections = 10
            max_request_bytes = 1024
            idle_timeout_s = 2.5
            worker_threads = 3
            [search]
            k1 = 0.9
            b = 0.4
            default_operator = "AND"
            title_weight = 3
            body_weight = 0.5
            max_limit = 50
            max_offset = 500
            max_clauses = 64
            max_depth = 8
            snippet_bytes = 0
            [analysis]
            language = "French"
            stopwords = true
            fold_diacritics = false
            [indexer]
            max_record_bytes = 4096
            memory = "2G"
            """)
        XCTAssertEqual(config.index.dir, "/home/ann/idx")
        XCTAssertEqual(config.daemon.socket, "/run/q/q.sock")
        XCTAssertEqual(config.daemon.socketMode, 0o600)
        XCTAssertEqual(config.daemon.maxConnections, 10)
        XCTAssertEqual(config.daemon.maxRequestBytes, 1024)
        XCTAssertEqual(config.daemon.idleTimeoutSeconds, 2.5)
        XCTAssertEqual(config.daemon.workerThreads, 3)
        XCTAssertEqual(config.search.k1, 0.9)
        XCTAssertEqual(config.search.b, 0.4)
        XCTAssertEqual(config.search.defaultOperator, .and)
        XCTAssertEqual(config.search.titleWeight, 3)
        XCTAssertEqual(config.search.bodyWeight, 0.5)
        XCTAssertEqual(config.search.maxLimit, 50)
        XCTAssertEqual(config.search.maxOffset, 500)
        XCTAssertEqual(config.search.maxClauses, 64)
        XCTAssertEqual(config.search.maxDepth, 8)
        XCTAssertEqual(config.search.snippetBytes, 0)
        XCTAssertEqual(config.analysis.language, "french")
        XCTAssertTrue(config.analysis.stopwords)
        XCTAssertFalse(config.analysis.foldDiacritics)
        XCTAssertEqual(config.indexer.maxRecordBytes, 4096)
        XCTAssertEqual(config.indexer.memoryBytes, 2 << 30)
        XCTAssertEqual(config.sourcePath, "/etc/q.toml")
    }

    func testSizesAndModes() throws {
        XCTAssertEqual(try parse("[indexer]\nmemory = \"65536K\"").indexer.memoryBytes, 64 << 20)
        XCTAssertEqual(try parse("[indexer]\nmemory = \"1GiB\"").indexer.memoryBytes, 1 << 30)
        XCTAssertEqual(try parse("[indexer]\nmemory = 33554432").indexer.memoryBytes, 32 << 20)
        XCTAssertEqual(try parse("[daemon]\nsocket_mode = 0o640").daemon.socketMode, 0o640)
        XCTAssertEqual(try parse("daemon.max_connections = 7").daemon.maxConnections, 7)
    }

    func testReorderMethod() throws {
        XCTAssertEqual(try parse("").indexer.reorder, "none")
        XCTAssertEqual(try parse("[indexer]\nreorder = \"bp\"").indexer.reorder, "bp")
        XCTAssertEqual(try parse("[indexer]\nreorder = \"BP\"").indexer.reorder, "bp")
        XCTAssertEqual(try parse("[indexer]\nreorder = \"none\"").indexer.reorder, "none")
        assertError("[indexer]\nreorder = \"fast\"", "/etc/q.toml:2:")
        assertError("[indexer]\nreorder = true", "/etc/q.toml:2:")
    }

    // MARK: Bad files: path:line: reason

    func testSyntaxError() {
        assertError("[daemon]\nmax_connections = 10\nsocket = \n", "/etc/q.toml:3: ")
        assertError("[search\nk1 = 1", "/etc/q.toml:1: ")
        assertError("[daemon]\nmax_connections = 1\nmax_connections = 2\n", "/etc/q.toml:3: ")
    }

    func testUnknownKeyAndSection() {
        assertError("[daemon]\n\nmax_conections = 10\n", "/etc/q.toml:3: unknown key \"max_conections\" in [daemon]")
        assertError("# c\n[deamon]\nsocket = \"/x\"\n", "/etc/q.toml:2: unknown section [deamon]")
        assertError("[search]\nk1 = 1\n[index]\nk1 = 2\n", "/etc/q.toml:4: unknown key \"k1\" in [index]")
        assertError("verbose = true\n", "/etc/q.toml:1: unknown section [verbose]")
    }

    func testWrongTypes() {
        assertError("[daemon]\nmax_connections = \"10\"\n", "/etc/q.toml:2: daemon.max_connections: must be an integer, not a string")
        assertError("[search]\nk1 = \"high\"\n", "/etc/q.toml:2: search.k1: must be a number")
        assertError("[analysis]\n  stopwords = 1\n", "/etc/q.toml:2: analysis.stopwords: must be true or false, not an integer")
        assertError("[index]\ndir = 5\n", "/etc/q.toml:2: index.dir: must be a string")
        assertError("[search]\nmax_limit = 1.5\n", "/etc/q.toml:2: search.max_limit: must be an integer, not a floating-point number")
        assertError("index = 5\n", "/etc/q.toml:1: index must be a section")
    }

    func testOutOfRange() {
        assertError("[search]\nb = 1.5\n", "/etc/q.toml:2: search.b: 1.5 is out of range 0...1")
        assertError("[daemon]\nmax_connections = 0\n", "/etc/q.toml:2: daemon.max_connections: 0 is out of range")
        assertError("[search]\ndefault_operator = \"xor\"\n", "/etc/q.toml:2: search.default_operator: must be \"or\" or \"and\"")
        assertError("[daemon]\nsocket_mode = \"0999\"\n", "/etc/q.toml:2: daemon.socket_mode: must be an octal mode")
        assertError("[daemon]\nsocket_mode = \"01777\"\n", "/etc/q.toml:2: daemon.socket_mode: mode must be between")
        assertError("[indexer]\nmemory = \"lots\"\n", "/etc/q.toml:2: indexer.memory: must be a size")
        assertError("[indexer]\nmemory = \"1K\"\n", "/etc/q.toml:2: indexer.memory: 1024 bytes is out of range")
        assertError("[index]\ndir = \"relative/path\"\n", "/etc/q.toml:2: index.dir: must be an absolute path")
        assertError("[daemon]\nsocket = \"/\(String(repeating: "s", count: 120))\"\n", "/etc/q.toml:2: daemon.socket: socket path longer")
        assertError("[analysis]\nlanguage = \"en-US\"\n", "/etc/q.toml:2: analysis.language: must be a Snowball")
    }

    // MARK: Loading

    func testLoadMissingFile() {
        XCTAssertThrowsError(try QuarryConfiguration.load(path: "/nonexistent/q.toml", environment: user)) { error in
            XCTAssertEqual("\(error)", "/nonexistent/q.toml: no such config file")
        }
    }

    func testLoadFromEnvironmentVariable() throws {
        let path = NSTemporaryDirectory() + "quarry-config-\(UUID().uuidString).toml"
        try "[search]\nk1 = 2.0\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var environment = user
        environment.variables["QUARRY_CONFIG"] = path
        let config = try QuarryConfiguration.load(path: nil, environment: environment)
        XCTAssertEqual(config.search.k1, 2.0)
        XCTAssertEqual(config.sourcePath, path)
    }
}
