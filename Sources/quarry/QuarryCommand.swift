import ArgumentParser
import Foundation
import QuarryProtocol
import QuarrySystem

/// `quarry`: the thin client. One request per run; prints the answer.
@main
struct QuarryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarry",
        abstract: "Query a running quarryd.",
        discussion: """
            The socket is --socket, else $QUARRY_SOCKET, else daemon.socket in the config file \
            (--config, $QUARRY_CONFIG or /etc/quarry/quarry.toml), else the default \
            ($XDG_RUNTIME_DIR/quarry/quarry.sock or /tmp/quarry-$UID/quarry.sock; \
            /run/quarry/quarry.sock for the system service).

            Exit status:
              0  hits found (search), or success (status, ping)
              1  no hits
              2  usage error
              3  daemon unreachable (no socket, refused, connection closed, timeout)
              4  bad query (bad_query, limit_exceeded)
              5  other daemon error (no_index, overloaded, internal, ...)

            Matched terms are highlighted when standard output is a terminal and NO_COLOR is \
            unset; --json prints the daemon's response line unchanged (marks as \\u0002/\\u0003).
            """,
        subcommands: [Search.self, Status.self, Ping.self])

    /// Declared here so `quarry --socket P search …` parses; each subcommand declares the same
    /// group and receives the values wherever they were written.
    @OptionGroup var global: GlobalOptions

    /// Usage errors exit 2 (ArgumentParser's default is 64, EX_USAGE).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                exit(withError: ExitCode(ExitStatus.usage))
            }
            exit(withError: error)
        }
    }
}

/// Exit statuses, as documented in --help.
enum ExitStatus {
    static let hits: Int32 = 0
    static let noHits: Int32 = 1
    static let usage: Int32 = 2
    static let unreachable: Int32 = 3
    static let badQuery: Int32 = 4
    static let daemonError: Int32 = 5
}

struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The daemon's Unix socket.", valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp("Config file to read daemon.socket from.", valueName: "path"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for the daemon.", valueName: "seconds"))
    var timeout: Int = 60
}

extension QuarryCommand {
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Search the index.",
            discussion: "Several words are joined with spaces: `quarry search kharkiv +weapons` is the query \"kharkiv +weapons\".")

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "Number of hits to show.")
        var limit: Int = 10

        @Option(name: .long, help: "Number of best hits to skip.")
        var offset: Int = 0

        @Flag(name: .long, help: "Count all matches exactly (slower; otherwise the total may be a lower bound).")
        var count = false

        @Flag(name: .long, help: "Print the daemon's JSON response line.")
        var json = false

        @Flag(name: .customLong("no-snippets"), help: "Do not ask for snippets.")
        var noSnippets = false

        @Argument(help: "The query (see the README for the query language).")
        var query: [String]

        func validate() throws {
            guard limit >= 0 else { throw ValidationError("--limit must be 0 or more") }
            guard offset >= 0 else { throw ValidationError("--offset must be 0 or more") }
            guard !query.joined().trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("missing query")
            }
        }

        func run() throws {
            let request = SearchRequest(query: query.joined(separator: " "), limit: limit, offset: offset,
                                        count: count, snippets: !noSnippets, fields: json)
            let (line, response) = try Exchange.perform(.search(request), global: global)
            if json { Output.printLine(line) }
            switch response.body {
            case .search(let result):
                if !json { Output.printSearch(result, offset: offset) }
                throw ExitCode(result.hits.isEmpty ? ExitStatus.noHits : ExitStatus.hits)
            default:
                throw Exchange.fail(response, printed: json)
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the daemon's status.")

        @OptionGroup var global: GlobalOptions

        @Flag(name: .long, help: "Print the daemon's JSON response line.")
        var json = false

        func run() throws {
            let (line, response) = try Exchange.perform(.status, global: global)
            if json { Output.printLine(line) }
            guard case .status(let status) = response.body else { throw Exchange.fail(response, printed: json) }
            if !json { Output.printStatus(status) }
        }
    }

    struct Ping: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check that the daemon answers.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let started = DispatchTime.now()
            let (_, response) = try Exchange.perform(.ping, global: global)
            guard case .pong = response.body else { throw Exchange.fail(response, printed: false) }
            let micros = (DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1000
            print("pong (\(micros) µs)")
        }
    }
}

/// One request, one response.
enum Exchange {
    /// Longest response line accepted: 1000 hits with snippets and fields stay far below this.
    static let maxResponseBytes = 64 << 20

    static func perform(_ operation: QuarryProtocol.Operation, global: GlobalOptions) throws -> (line: [UInt8], response: Response) {
        let path: String
        do {
            path = try SocketPath.resolve(option: global.socket, configOption: global.config)
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.usage)
        }
        do {
            let connection = try UnixSocketConnection(path: path, timeoutSeconds: max(0, global.timeout))
            try connection.write(Request(id: 1, operation: operation).encodedLine())
            guard let line = try connection.readLine(maxBytes: maxResponseBytes) else {
                Output.error("\(path): the daemon closed the connection without answering")
                throw ExitCode(ExitStatus.unreachable)
            }
            do {
                return (line, try Response.decode(line))
            } catch {
                Output.error("\(path): \(error)")
                throw ExitCode(ExitStatus.daemonError)
            }
        } catch let error as SystemError {
            if error.call == "connect" {
                Output.error("cannot connect to \(path): \(error.reason) (is quarryd running?)")
            } else {
                Output.error("\(path): \(error.call) failed: \(error.reason)")
            }
            throw ExitCode(ExitStatus.unreachable)
        }
    }

    /// Reports an error response (unless --json already printed it) and returns the exit code.
    static func fail(_ response: Response, printed: Bool) -> ExitCode {
        guard case .error(let error) = response.body else {
            Output.error("unexpected response from the daemon")
            return ExitCode(ExitStatus.daemonError)
        }
        if !printed { Output.error("\(error.code.rawValue): \(error.message)") }
        switch error.code {
        case .badQuery, .limitExceeded: return ExitCode(ExitStatus.badQuery)
        default: return ExitCode(ExitStatus.daemonError)
        }
    }
}
