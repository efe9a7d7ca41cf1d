import Foundation
import QuarryAnalysis
import QuarryConfig
import QuarryIndex

/// The indexer's effective settings: the config file (or embedded defaults), then the command line.
struct IndexerSettings {
    var indexPath: String
    var analyzer: AnalyzerSettings
    var maxRecordBytes: Int
    /// Memory budget for the build ([indexer] memory, or --memory).
    var memoryBytes: Int
    /// quarryd's socket, to ask it to reload after publishing.
    var socketPath: String
    /// Document reordering ([indexer] reorder, or --reorder / --no-reorder).
    var reorder: ReorderMethod

    static func resolve(configPath: String?, indexOverride: String?, languageOverride: String?) throws -> IndexerSettings {
        let configuration = try QuarryConfiguration.load(path: configPath)
        var analyzer = AnalyzerSettings(language: configuration.analysis.language,
                                        foldDiacritics: configuration.analysis.foldDiacritics,
                                        stopwords: configuration.analysis.stopwords ? AnalyzerSettings.englishStopwords : [])
        if let languageOverride { analyzer.language = languageOverride }
        return IndexerSettings(indexPath: indexOverride ?? configuration.index.dir, analyzer: analyzer,
                               maxRecordBytes: configuration.indexer.maxRecordBytes,
                               memoryBytes: configuration.indexer.memoryBytes,
                               socketPath: configuration.daemon.socket,
                               reorder: ReorderMethod(rawValue: configuration.indexer.reorder) ?? .none)
    }
}
