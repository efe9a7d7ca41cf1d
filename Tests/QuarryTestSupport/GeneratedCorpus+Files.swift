import Foundation

extension GeneratedCorpus {
    /// Writes the corpus as JSON Lines to `path`.
    public func writeJSONLines(to path: String) throws {
        try Data(jsonLines.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// A word that no generated document contains (it is not in `vocabulary`).
    public static let markerWord = "beacon"

    /// One JSON line for a marker document: the only document matching `markerWord`. Its text
    /// is the same for every `id`, so adding it changes no statistic between two corpora that
    /// differ only in the marker's id: every other query ranks identically.
    public static func markerLine(id: String) -> String {
        jsonLine(["id": id, "title": "Beacon", "body": "a beacon marks this generation"]) + "\n"
    }
}
