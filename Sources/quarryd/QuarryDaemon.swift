import ArgumentParser
import Foundation
import Logging
import QuarryConfig
import QuarryServer
import QuarrySystem
import QuarrySystemd

/// `quarryd`: serves the live index generation on a Unix socket until SIGTERM.
@main
struct QuarryDaemon: AsyncParsableCommand {
    static let version = "quarryd 0.1.0 (protocol 1, index format 2)"
    static let configuration = CommandConfiguration(
        commandName: "quarryd",
        abstract: "Quarry search daemon: answers protocol v1 (newline-delimited JSON) on a Unix socket.",
        discussion: """
        Under systemd: Type=notify (READY=1 once the index is open and the socket listens,
        RELOADING=1/READY=1 around generation swaps, STATUS= lines, STOPPING=1, WATCHDOG=1 when
        WatchdogSec= is set), socket activation (a listening socket passed by LISTEN_FDS is used
        instead of --socket), and log lines with journald priority prefixes.

        Signals: SIGTERM/SIGINT stop accepting, finish in-flight requests and exit 0;
        SIGHUP reloads the generation CURRENT names (as the `reload` request and a change of
        CURRENT, seen by inotify, do).
        Exit codes: 0 clean shutdown; 1 cannot start (bad config, damaged index, socket in use);
        2 usage error.
        """,
        version: version)

    @Option(name: .long, help: "Config file (default: $QUARRY_CONFIG, else /etc/quarry/quarry.toml if present).")
    var config: String?

    @Option(name: .long, help: "Index directory (overrides [index] dir).")
    var index: String?

    @Option(name: .long, help: "Unix socket path (overrides [daemon] socket; ignored under socket activation).")
    var socket: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Flag(name: .long, help: "Do not watch CURRENT with inotify (reload only on SIGHUP or a reload request).")
    var noWatch = false

    /// Usage errors exit 2 (ArgumentParser's default is 64, EX_USAGE).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }

    func run() async throws {
        JournalLogHandler.bootstrap(level: Logger.Level(rawValue: logLevel) ?? .info)
        let logger = Logger(label: "quarryd")
        let configuration: QuarryConfiguration
        do {
            configuration = try QuarryConfiguration.load(path: config)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
        let indexPath = index ?? configuration.index.dir
        let notifier = ServiceNotifier(logger: logger)
        let backend: EngineBackend
        do {
            backend = try EngineBackend(indexPath: indexPath, configuration: configuration, version: Self.version, logger: logger)
        } catch {
            logger.critical("cannot open the index: \(error)")
            throw ExitCode(1)
        }
        backend.notifier = notifier

        let activated = Systemd.listenDescriptors().first { Systemd.isUnixStreamListener($0) }
        let serverConfiguration = ServerConfiguration(configuration, socketPath: socket, boundSocket: activated, version: Self.version)
        let server = QuarryServer(backend: backend, configuration: serverConfiguration, logger: logger)
        let traps = [
            SignalTrap(.terminate) { notifier.stopping(); server.shutdown() },
            SignalTrap(.interrupt) { notifier.stopping(); server.shutdown() },
            SignalTrap(.hangup) { _ = try? backend.reload() },
        ]
        do {
            try await server.start()
        } catch {
            logger.critical("cannot listen on \(server.socketPath ?? "the activated socket"): \(error)")
            throw ExitCode(1)
        }
        let watcher = DirectoryWatcher(directory: indexPath, fileName: "CURRENT") { _ = try? backend.reload() }
        if !noWatch { watcher.start() }
        let where_ = activated != nil ? "socket-activated fd \(activated!)" : (server.socketPath ?? "?")
        logger.info("\(backend.statusLine) from \(indexPath) on \(where_)")
        notifier.ready(status: backend.statusLine)
        notifier.startPeriodic {
            let counts = server.counts
            return "\(backend.statusLine); \(counts.queries) queries, \(counts.errors) errors"
        }
        try await server.waitUntilStopped()
        watcher.stop()
        withExtendedLifetime(traps) {}
        logger.info("exiting")
    }
}
