import Foundation
import QuarryProtocol
import QuarrySystem

/// Terminal and plain-text rendering.
enum Output {
    /// Colour and bold only on a terminal, and never when NO_COLOR is set (https://no-color.org).
    static let styled: Bool = ProcessFacts.isTerminal(1) && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty

    static let bold = "\u{1B}[1m"
    static let highlight = "\u{1B}[1;31m"
    static let reset = "\u{1B}[0m"

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("quarry: \(message)\n".utf8))
    }

    static func printLine(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes + [UInt8(ascii: "\n")]))
    }

    static func printSearch(_ result: SearchResponse, offset: Int) {
        var text = ""
        for (index, hit) in result.hits.enumerated() {
            let title = oneLine(Highlight.strip(hit.title.isEmpty ? hit.id : hit.title))
            let score = String(format: "%.2f", hit.score)
            text += "\(offset + index + 1). \(styled ? bold + title + reset : title)  (score \(score))\n"
            text += "   id: \(hit.id)\n"
            if let snippet = hit.snippet, !snippet.isEmpty {
                let rendered = styled ? Highlight.render(snippet, open: highlight, close: reset) : Highlight.strip(snippet)
                text += "   \(oneLine(rendered))\n"
            }
        }
        let noun = result.total == 1 ? "hit" : "hits"
        let count = result.totalExact ? "\(result.total) \(noun)" : "at least \(result.total) \(noun)"
        text += "\(count) (took \(result.tookMicros) µs)\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func printStatus(_ status: StatusInfo) {
        var rows: [(String, String)] = [
            ("generation", status.generation ?? "(no index)"),
            ("docs", String(status.docs)),
            ("uptime", String(format: "%.1f s", status.uptimeSeconds)),
            ("queries", String(status.queries)),
            ("errors", String(status.errors)),
        ]
        if let connections = status.connections { rows.append(("connections", String(connections))) }
        if let latency = status.latency {
            rows.append(("latency", "p50 \(latency.p50Micros) µs, p90 \(latency.p90Micros) µs, p99 \(latency.p99Micros) µs, p99.9 \(latency.p999Micros) µs, max \(latency.maxMicros) µs (\(latency.samples) searches)"))
        }
        rows += [("index dir", status.indexDir), ("analyzer", status.analyzer), ("version", status.version)]
        let width = rows.map(\.0.count).max() ?? 0
        let text = rows.map { $0.0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
        print(text)
    }

    /// Collapses runs of whitespace (snippets span paragraphs) to single spaces.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
