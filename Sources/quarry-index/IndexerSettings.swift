import Foundation
import QuarryAnalysis

/// The indexer's effective settings: config file (when QuarryConfig lands) + command line.
struct IndexerSettings {
    var indexPath: String
    var analyzer: AnalyzerSettings
    var maxRecordBytes: Int

    static func resolve(configPath: String?, indexOverride: String?, languageOverride: String?) throws -> IndexerSettings {
        var analyzer = AnalyzerSettings.default
        if let languageOverride { analyzer.language = languageOverride }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/tmp"
        let dataHome = ProcessInfo.processInfo.environment["XDG_DATA_HOME"] ?? home + "/.local/share"
        return IndexerSettings(indexPath: indexOverride ?? dataHome + "/quarry/index", analyzer: analyzer,
                               maxRecordBytes: 16 << 20)
    }
}
