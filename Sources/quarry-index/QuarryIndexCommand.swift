import ArgumentParser
import Foundation
import QuarryAnalysis
import QuarryConfig
import QuarryIndex
import QuarrySystem

/// `quarry-index`: reads documents, writes a new index generation, publishes it atomically.
@main
struct QuarryIndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarry-index",
        abstract: "Build a new Quarry index generation and publish it atomically.",
        discussion: """
        SOURCE is a JSON Lines file (.jsonl, optionally .gz or .zst), '-' for JSON Lines on stdin,
        or a directory tree of .txt/.md files (first non-empty line = title, relative path = id).
        Bad records are reported as file:line: reason and skipped; --strict fails instead.

        Exit codes: 0 published; 1 error (nothing published, the previous generation stays live);
        2 usage error; 4 bad records with --strict (nothing published).
        """,
        version: quarryVersion)

    @Option(name: .long, help: "Index directory (holds CURRENT and the generations).")
    var index: String?

    @Option(name: .long, help: "Config file (default: $QUARRY_CONFIG, else /etc/quarry/quarry.toml if present).")
    var config: String?

    @Flag(name: .long, help: "Fail (exit 4, publish nothing) if any record is bad.")
    var strict = false

    @Option(name: .long, help: "Snowball stemmer language, or 'none' (overrides the config).")
    var language: String?

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    @Option(name: .long, help: "quarryd's socket, told to reload after publishing (default: [daemon] socket of the config).")
    var socket: String?

    @Flag(name: .long, help: "Do not ask a running quarryd to reload after publishing.")
    var noReload = false

    @Option(name: .long, help: ArgumentHelp("Memory budget, e.g. 512M, 2G (default: [indexer] memory of the config, 512M). Peak RSS stays within the budget plus a constant; see Config/quarry.toml.", valueName: "size"))
    var memory: String?

    @Option(name: .long, help: "Analysis threads (default: one per core); the reader and the writer run beside them.")
    var threads: Int?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp("Renumber documents by recursive graph bisection before publishing: similar documents get nearby ids, so postings shrink and queries skip more; the build takes longer (default: [indexer] reorder of the config, none). Results are the same."))
    var reorder: Bool?

    @Argument(help: "Input sources.")
    var sources: [String] = []

    /// Usage errors exit 2 (ArgumentParser's default is 64, EX_USAGE).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }

    func validate() throws {
        if sources.isEmpty { throw ValidationError("give at least one SOURCE (a .jsonl file, '-', or a directory)") }
        if let memory, Self.parseByteSize(memory) == nil {
            throw ValidationError("--memory must be a size such as 512M, 2G or 1048576 (at least 1M), not '\(memory)'")
        }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256") }
    }

    func run() throws {
        let settings: IndexerSettings
        do {
            settings = try IndexerSettings.resolve(configPath: config, indexOverride: index, languageOverride: language)
        } catch {
            FileHandle.standardError.write(Data("quarry-index: \(error)\n".utf8))
            throw ExitCode(2)
        }
        var options = BuildOptions()
        options.analyzer = settings.analyzer
        options.strict = strict
        options.inputLimits.maxRecordBytes = settings.maxRecordBytes
        options.memoryBytes = memory.flatMap(Self.parseByteSize) ?? settings.memoryBytes
        options.threads = threads ?? 0
        options.reorder = Self.reorderOptions(method: reorder.map { $0 ? .bp : .none } ?? settings.reorder)
        let progress = ProgressReporter(enabled: !quiet)
        var badShown = 0
        let maxBadShown = 1000
        do {
            let summary = try IndexBuilder.build(
                sources: sources, indexPath: settings.indexPath, options: options,
                onBadRecord: { bad in
                    badShown += 1
                    if badShown <= maxBadShown {
                        progress.clearLine()
                        FileHandle.standardError.write(Data("\(bad)\n".utf8))
                    } else if badShown == maxBadShown + 1 {
                        FileHandle.standardError.write(Data("quarry-index: more bad records; only the count is reported from now on\n".utf8))
                    }
                },
                onProgress: { progress.report($0) },
                onReorderProgress: { progress.report($0) })
            progress.clearLine()
            if !quiet {
                let total = summary.fileBytes.values.reduce(0, +)
                let rate = summary.seconds > 0 ? Double(summary.documents) / summary.seconds : 0
                let ratio = summary.storedCompressedBytes > 0 ? Double(summary.storedRawBytes) / Double(summary.storedCompressedBytes) : 0
                let megabytesPerSecond = summary.seconds > 0 ? Double(summary.bytesRead) / 1_048_576 / summary.seconds : 0
                let peak = FileSystem.peakResidentKiB().map { formatBytes($0 * 1024) } ?? "?"
                print("published \(summary.generation) in \(settings.indexPath): \(summary.documents) documents, "
                      + "\(summary.badRecords) bad records skipped, \(formatBytes(total)) in \(String(format: "%.1f", summary.seconds)) s "
                      + "(\(Int(rate)) docs/s, \(String(format: "%.1f", megabytesPerSecond)) MiB/s; stored fields LZ4 ratio \(String(format: "%.2f", ratio)); "
                      + "\(summary.threads) analysis threads, \(summary.runs) runs spilled, peak RSS \(peak), budget \(formatBytes(options.memoryBytes)))")
                if let reorder = summary.reorder {
                    print("reordered by \(reorder.method.rawValue) before publishing: \(reorder.terms) terms, \(reorder.postings) postings in the forward index "
                          + "(\(formatBytes(reorder.forwardIndexBytes))); forward index \(String(format: "%.1f", reorder.forwardIndexSeconds)) s, "
                          + "bisection \(String(format: "%.1f", reorder.bisectionSeconds)) s, rewrite \(String(format: "%.1f", reorder.rewriteSeconds)) s; "
                          + "peak accounted \(formatBytes(reorder.peakAccountedBytes))")
                }
            }
            if !noReload {
                let message = DaemonReloader.reload(socketPath: socket ?? settings.socketPath)
                if !quiet, let message { print(message) }
            }
        } catch let error as IndexError {
            progress.clearLine()
            FileHandle.standardError.write(Data("quarry-index: \(error)\n".utf8))
            throw ExitCode(error.code == .badRecords ? 4 : 1)
        } catch {
            progress.clearLine()
            FileHandle.standardError.write(Data("quarry-index: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

extension QuarryIndexCommand {
    /// Reordering options for `method`. QUARRY_REORDER_MIN_DF, QUARRY_REORDER_MAX_FRACTION,
    /// QUARRY_REORDER_ITERATIONS and QUARRY_REORDER_LEAF override the defaults, for experiments only.
    static func reorderOptions(method: ReorderMethod) -> ReorderOptions {
        var options = ReorderOptions(method: method)
        let environment = ProcessInfo.processInfo.environment
        if let value = environment["QUARRY_REORDER_MIN_DF"].flatMap({ Int($0) }), value >= 1 { options.minDocFreq = value }
        if let value = environment["QUARRY_REORDER_MAX_FRACTION"].flatMap({ Double($0) }), value > 0 { options.maxDocFraction = value }
        if let value = environment["QUARRY_REORDER_ITERATIONS"].flatMap({ Int($0) }), value >= 0 { options.bisection.maxIterations = value }
        if let value = environment["QUARRY_REORDER_LEAF"].flatMap({ Int($0) }), value >= 2 { options.bisection.leafSize = value }
        return options
    }

    /// "512M", "2G", "64K", "1GiB" or a number of bytes (binary suffixes); nil if malformed or < 1 MiB.
    static func parseByteSize(_ text: String) -> Int? {
        guard let bytes = ByteSize.parse(text), bytes >= 1 << 20 else { return nil }
        return bytes
    }
}

let quarryVersion = "quarry-index 0.1.0 (index format 2)"

func formatBytes(_ count: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(count)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
}

/// Progress on a terminal (stderr is a TTY): one rewritten line; otherwise silent until the summary.
final class ProgressReporter {
    private let enabled: Bool
    private var shown = false

    init(enabled: Bool) {
        self.enabled = enabled && isatty(2) == 1
    }

    func report(_ progress: BuildProgress) {
        guard enabled else { return }
        let rate = progress.seconds > 0 ? Double(progress.documents) / progress.seconds : 0
        let megabytes = Double(progress.bytesRead) / 1_048_576
        var line = "\r\u{1B}[K\(progress.documents) docs, \(Int(rate)) docs/s, \(String(format: "%.1f", megabytes / max(progress.seconds, 0.001))) MB/s, \(progress.badRecords) bad"
        if let total = progress.totalBytes, total > 0, progress.bytesRead > 0 {
            let fraction = Double(progress.bytesRead) / Double(total)
            let eta = progress.seconds * (1 - fraction) / max(fraction, 0.0001)
            line += String(format: ", %.0f%%, ETA %.0f s", fraction * 100, eta)
        }
        FileHandle.standardError.write(Data(line.utf8))
        shown = true
    }

    func report(_ progress: ReorderProgress) {
        guard enabled else { return }
        let percent = progress.total > 0 ? 100 * Double(progress.done) / Double(progress.total) : 0
        FileHandle.standardError.write(Data(String(format: "\r\u{1B}[Kreordering: %@, %.0f%%, %.0f s", progress.phase.rawValue, percent, progress.seconds).utf8))
        shown = true
    }

    func clearLine() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); shown = false }
    }
}
