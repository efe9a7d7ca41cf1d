import Foundation
import QuarryTestSupport
import XCTest

/// The shipped units, man pages and install step: `systemd-analyze verify` passes with nothing
/// to say, the man pages render without warnings and name every option `--help` lists, and
/// `make install` / `make uninstall` put and remove what they should.
final class SystemdUnitTests: XCTestCase {
    var scratch: TemporaryDirectory?

    override func tearDown() {
        scratch?.remove()
    }

    static let units = ["quarryd.service", "quarryd.socket", "quarry-index.service", "quarry-index.timer"]
    static let manPages = ["quarry.1", "quarryd.8", "quarry-index.8"]
    var root: String { Binaries.packageRoot }

    /// Runs a program to completion; its exit status and merged output.
    private func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                     directory: String? = nil, stderrOnly: Bool = false) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let pipe = Pipe()
        process.standardOutput = stderrOnly ? FileHandle.nullDevice : pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A man tree (man1/, man8/) of the repository's pages, for MANPATH.
    private func manTree(in dir: TemporaryDirectory) throws -> String {
        let tree = dir.file("man")
        for page in Self.manPages {
            let section = tree + "/man" + String(page.last!)
            try FileManager.default.createDirectory(atPath: section, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(root)/man/\(page)", toPath: "\(section)/\(page)")
        }
        return tree
    }

    func testSystemdAnalyzeVerifyIsSilent() throws {
        let analyze = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: analyze) else {
            // Never a silent skip: CI installs systemd through scripts/install-deps.sh.
            return XCTFail("\(analyze) is missing: run scripts/install-deps.sh (apt package systemd)")
        }
        let dir = try TemporaryDirectory("qs-units")
        scratch = dir
        // verify checks that ExecStart binaries exist and that User=/Group= resolve: point the
        // copies at the built binaries and at root (the quarry user need not exist here).
        let binaries = Binaries.directory
        for name in ["quarryd", "quarry-index"] { _ = try Binaries.path(name) }
        for unit in Self.units {
            var text = try String(contentsOfFile: "\(root)/systemd/\(unit)", encoding: .utf8)
            text = text.replacingOccurrences(of: "/usr/local/bin/", with: binaries + "/")
            for key in ["User", "Group", "SocketUser", "SocketGroup"] {
                text = text.replacingOccurrences(of: "\n\(key)=quarry\n", with: "\n\(key)=root\n")
            }
            XCTAssertNil(text.range(of: #"\n(Socket)?(User|Group)=quarry\n"#, options: .regularExpression), "\(unit): a quarry user/group line was not rewritten")
            try text.write(toFile: dir.file(unit), atomically: true, encoding: .utf8)
        }
        // Documentation=man:… is checked too: MANPATH holds this repository's pages.
        let result = try run(analyze, ["verify"] + Self.units.map { dir.file($0) },
                             environment: ["MANPATH": try manTree(in: dir), "SYSTEMD_LOG_COLOR": "0"], directory: dir.path)
        // Every output line is a finding; none is expected, so none is allowed.
        let findings = result.output.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        XCTAssertEqual(findings, [], "systemd-analyze verify said:\n\(result.output)")
        XCTAssertEqual(result.status, 0, result.output)
        print("systemd-analyze verify \(Self.units.joined(separator: " ")): exit \(result.status), \(findings.count) lines of output")
    }

    func testUnitsUseTheDefaultPathsAndHardening() throws {
        let service = try String(contentsOfFile: "\(root)/systemd/quarryd.service", encoding: .utf8)
        let socket = try String(contentsOfFile: "\(root)/systemd/quarryd.socket", encoding: .utf8)
        let indexer = try String(contentsOfFile: "\(root)/systemd/quarry-index.service", encoding: .utf8)
        for line in ["Type=notify", "User=quarry", "Group=quarry", "RuntimeDirectory=quarry", "StateDirectory=quarry",
                     "ExecStart=/usr/local/bin/quarryd --config /etc/quarry/quarry.toml", "ExecReload=/bin/kill -HUP $MAINPID",
                     "WatchdogSec=30", "ProtectSystem=strict", "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_UNIX",
                     "CapabilityBoundingSet=", "SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes"] {
            XCTAssertTrue(service.contains("\n" + line + "\n"), "quarryd.service lacks \(line)")
        }
        // The socket unit listens where quarryd's default socket is under systemd
        // ($RUNTIME_DIRECTORY/quarry.sock with RuntimeDirectory=quarry).
        XCTAssertTrue(socket.contains("\nListenStream=/run/quarry/quarry.sock\n"))
        XCTAssertTrue(socket.contains("\nService=quarryd.service\n"))
        // The indexer writes $STATE_DIRECTORY/index, the directory quarryd reads.
        XCTAssertTrue(indexer.contains("\nStateDirectory=quarry\n"))
        XCTAssertTrue(indexer.contains("\nType=oneshot\n"))
        // A oneshot's RuntimeDirectory= would delete quarryd's /run/quarry when it finishes.
        XCTAssertFalse(indexer.contains("\nRuntimeDirectory="))
    }

    func testManPagesRenderCleanlyAndListEveryOption() throws {
        let man = "/usr/bin/man"
        guard FileManager.default.isExecutableFile(atPath: man) else { return XCTFail("\(man) is missing (apt package man-db)") }
        let programs = ["quarry.1": ["quarry", "search", "status"], "quarryd.8": ["quarryd"], "quarry-index.8": ["quarry-index"]]
        for page in Self.manPages {
            let path = "\(root)/man/\(page)"
            let rendered = try run(man, ["--warnings", "-l", path], environment: ["MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat"],
                                   stderrOnly: true)
            XCTAssertEqual(rendered.status, 0, "\(page): \(rendered.output)")
            XCTAssertEqual(rendered.output, "", "\(page): groff warnings")
            let source = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\\-", with: "-")
            for invocation in programs[page]! {
                let arguments = invocation == "quarry" || !page.hasPrefix("quarry.") ? ["--help"] : [invocation, "--help"]
                let program = page.hasPrefix("quarry.") ? "quarry" : invocation
                let help = try run(try Binaries.path(program), arguments).output
                let options = Set(help.matches(of: #/(?:^|[\s\[(])(--[a-z][a-z-]+)/#.anchorsMatchLineEndings()).map { String($0.output.1) })
                XCTAssertFalse(options.isEmpty, "\(program) \(arguments): no options in --help")
                for option in options {
                    XCTAssertTrue(source.contains(option), "\(page) does not mention \(option) from `\(program) \(arguments.joined(separator: " "))`")
                }
            }
        }
    }

    func testMakeInstallAndUninstall() throws {
        let make = "/usr/bin/make"
        guard FileManager.default.isExecutableFile(atPath: make) else { return XCTFail("\(make) is missing") }
        let dir = try TemporaryDirectory("qs-install")
        scratch = dir
        let destination = dir.file("root")
        // SWIFT=true: no release build here; the debug binaries stand in for it.
        let common = ["-C", root, "DESTDIR=\(destination)", "PREFIX=/opt/q", "SWIFT=true", "RELEASE=\(Binaries.directory)"]
        let first = try run(make, common + ["install"])
        XCTAssertEqual(first.status, 0, first.output)
        let expected = ["opt/q/bin/quarry", "opt/q/bin/quarryd", "opt/q/bin/quarry-index",
                        "opt/q/lib/systemd/system/quarryd.service", "opt/q/lib/systemd/system/quarryd.socket",
                        "opt/q/lib/systemd/system/quarry-index.service", "opt/q/lib/systemd/system/quarry-index.timer",
                        "opt/q/share/man/man1/quarry.1", "opt/q/share/man/man8/quarryd.8", "opt/q/share/man/man8/quarry-index.8",
                        "opt/q/share/doc/quarry/quarry-index.cron", "etc/quarry/quarry.toml"]
        let installed = try FileManager.default.subpathsOfDirectory(atPath: destination)
            .filter { !FileManager.default.isDirectory(destination + "/" + $0) }.sorted()
        XCTAssertEqual(installed, expected.sorted())
        let unit = try String(contentsOfFile: destination + "/opt/q/lib/systemd/system/quarryd.service", encoding: .utf8)
        XCTAssertTrue(unit.contains("\nExecStart=/opt/q/bin/quarryd --config /etc/quarry/quarry.toml\n"), unit)
        XCTAssertTrue(first.output.contains("useradd --system --no-create-home --shell /usr/sbin/nologin quarry")
                      || first.output.contains("systemctl daemon-reload"), first.output)

        // An edited config survives a second install and the uninstall.
        let config = destination + "/etc/quarry/quarry.toml"
        try "# edited by the admin\n".write(toFile: config, atomically: true, encoding: .utf8)
        let second = try run(make, common + ["install"])
        XCTAssertEqual(second.status, 0, second.output)
        XCTAssertEqual(try String(contentsOfFile: config, encoding: .utf8), "# edited by the admin\n")
        let removed = try run(make, common + ["uninstall"])
        XCTAssertEqual(removed.status, 0, removed.output)
        let left = try FileManager.default.subpathsOfDirectory(atPath: destination)
            .filter { !FileManager.default.isDirectory(destination + "/" + $0) }
        XCTAssertEqual(left, ["etc/quarry/quarry.toml"])
    }
}

private extension FileManager {
    func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
