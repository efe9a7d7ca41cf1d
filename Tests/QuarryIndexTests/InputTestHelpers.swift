import Foundation
import XCTest
import QuarryIndex

/// A temporary directory, removed at deinit.
final class InputScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "quarry-input-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `relativePath` (creating directories) and returns the full path.
    @discardableResult
    func write(_ relativePath: String, _ bytes: [UInt8]) throws -> String {
        let full = path + "/" + relativePath
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }

    @discardableResult
    func write(_ relativePath: String, _ text: String) throws -> String {
        try write(relativePath, Array(text.utf8))
    }
}

/// Everything a reader yields, split into documents and bad records.
struct ReadOutcome {
    var documents: [SourceDocument] = []
    var bad: [BadRecord] = []
    /// Documents and bad records in order, as "doc <id>" / "bad <line>".
    var sequence: [String] = []
}

func readAll(_ sources: [String], limits: InputLimits = .default) throws -> ReadOutcome {
    let reader = try DocumentReader(sources: sources, limits: limits)
    var outcome = ReadOutcome()
    while let result = try reader.next() {
        switch result {
        case .success(let document):
            outcome.documents.append(document)
            outcome.sequence.append("doc \(document.id)")
        case .failure(let bad):
            outcome.bad.append(bad)
            outcome.sequence.append("bad \(bad.origin.line)")
        }
    }
    return outcome
}

/// A comparable rendering of a document's content (not its origin).
func render(_ document: SourceDocument) -> String {
    let fields = document.fields.map { "\($0.name)=\($0.value)" }.joined(separator: "|")
    return "\(document.id)\u{1}\(document.title)\u{1}\(document.body)\u{1}\(fields)"
}

/// Deterministic pseudo-random numbers (SplitMix64) so failures reproduce.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A JSON Lines corpus of `count` news-like records (ASCII, escapes, some non-ASCII, tags).
func makeCorpus(count: Int, seed: UInt64 = 42, bodyWords: ClosedRange<Int> = 40...400) -> String {
    var random = SeededRandom(seed: seed)
    let words = ["market", "policy", "river", "council", "vote", "season", "report", "energy", "school",
                 "café", "naïve", "Zürich", "\\\"quoted\\\"", "line\\nbreak", "tab\\there", "caf\\u00e9",
                 "emoji\\ud83d\\ude00", "U.S.", "6:10 p.m.", "price", "growth", "storm", "city", "data"]
    var out = ""
    out.reserveCapacity(count * 1500)
    for i in 0..<count {
        let wordCount = Int.random(in: bodyWords, using: &random)
        var body = ""
        for w in 0..<wordCount {
            if w > 0 { body += " " }
            body += words[Int.random(in: 0..<words.count, using: &random)]
        }
        let title = words[i % words.count] + " " + words[(i * 7) % words.count]
        out += #"{"id":"doc-\#(i)","title":"\#(title)","body":"\#(body)","url":"https://example.com/\#(i)","#
        out += #""date":"2024-01-\#(i % 28 + 1)","source":"wire","tags":["news","\#(words[i % 5])"]}"#
        out += "\n"
    }
    return out
}
