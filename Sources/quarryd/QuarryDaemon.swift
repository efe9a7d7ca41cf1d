import ArgumentParser
import Foundation
import Logging
import QuarryConfig
import QuarryServer
import QuarrySystem

/// `quarryd`: serves the live index generation on a Unix socket until SIGTERM.
@main
struct QuarryDaemon: AsyncParsableCommand {
    static let version = "quarryd 0.1.0 (protocol 1, index format 1)"
    static let configuration = CommandConfiguration(
        commandName: "quarryd",
        abstract: "Quarry search daemon: answers protocol v1 (newline-delimited JSON) on a Unix socket.",
        discussion: """
        Signals: SIGTERM/SIGINT stop accepting, finish in-flight requests and exit 0;
        SIGHUP reloads the generation CURRENT names (as the `reload` request does).
        Exit codes: 0 clean shutdown; 1 cannot start (bad config, damaged index, socket in use).
        """,
        version: version)

    @Option(name: .long, help: "Config file (default: $QUARRY_CONFIG, else /etc/quarry/quarry.toml if present).")
    var config: String?

    @Option(name: .long, help: "Index directory (overrides [index] dir).")
    var index: String?

    @Option(name: .long, help: "Unix socket path (overrides [daemon] socket).")
    var socket: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        var logger = Logger(label: "quarryd")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let configuration: QuarryConfiguration
        do {
            configuration = try QuarryConfiguration.load(path: config)
        } catch {
            FileHandle.standardError.write(Data("quarryd: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let indexPath = index ?? configuration.index.dir
        let backend: EngineBackend
        do {
            backend = try EngineBackend(indexPath: indexPath, configuration: configuration, version: Self.version, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("quarryd: cannot open the index: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let server = QuarryServer(backend: backend,
                                  configuration: ServerConfiguration(configuration, socketPath: socket, version: Self.version),
                                  logger: logger)
        let traps = [
            SignalTrap(.terminate) { server.shutdown() },
            SignalTrap(.interrupt) { server.shutdown() },
            SignalTrap(.hangup) { _ = try? backend.reload() },
        ]
        do {
            try await server.start()
        } catch {
            FileHandle.standardError.write(Data("quarryd: cannot listen: \(error)\n".utf8))
            throw ExitCode(1)
        }
        logger.info("serving \(backend.generation ?? "no index yet") from \(indexPath) on \(server.socketPath ?? "?")")
        try await server.waitUntilStopped()
        withExtendedLifetime(traps) {}
        logger.info("stopped")
    }
}
