import Foundation
import Logging
import QuarryAnalysis
import QuarryConfig
import QuarryIndex
import QuarryProtocol
import QuarrySearch

/// The real engine behind the socket: one pinned generation at a time, swapped by `reload()`.
///
/// A query takes a strong reference to the current `Searcher` (and through it the mapped
/// generation) under a lock, then runs without the lock; a reload swaps the reference, so
/// in-flight queries finish on the old generation, which is unmapped when the last one ends.
public final class EngineBackend: ReloadableBackend, @unchecked Sendable {
    private let indexPath: String
    private let settings: QuarrySearch.SearchSettings
    private let analyzer: AnalyzerSettings
    private let logger: Logger
    private let lock = NSLock()
    private var searcher: Searcher?
    private let version: String
    /// Serializes reloads (signal, request and inotify may fire together).
    private let reloadLock = NSLock()
    /// Told about swaps (RELOADING=1 / READY=1); nil in tests and outside quarryd.
    public var notifier: ServiceNotifier?

    /// Opens the live generation if there is one. A missing index is not an error (requests get
    /// `no_index` until one is published and reloaded); a damaged or mismatched one is.
    public init(indexPath: String, configuration: QuarryConfiguration, version: String, logger: Logger) throws {
        self.indexPath = indexPath
        self.logger = logger
        self.version = version
        settings = Self.searchSettings(configuration.search)
        analyzer = Self.analyzerSettings(configuration.analysis)
        if try IndexDirectory(path: indexPath).currentGeneration() != nil {
            searcher = try open()
        } else {
            logger.warning("no index at \(indexPath) yet (no CURRENT); answering no_index until one is published and reloaded")
        }
    }

    /// The analyzer settings a config asks for.
    public static func analyzerSettings(_ analysis: AnalysisSettings) -> AnalyzerSettings {
        AnalyzerSettings(language: analysis.language, foldDiacritics: analysis.foldDiacritics,
                         stopwords: analysis.stopwords ? AnalyzerSettings.englishStopwords : [])
    }

    static func searchSettings(_ search: QuarryConfig.SearchSettings) -> QuarrySearch.SearchSettings {
        var settings = QuarrySearch.SearchSettings()
        settings.bm25 = BM25Parameters(k1: Float(search.k1), b: Float(search.b),
                                       titleWeight: Float(search.titleWeight), bodyWeight: Float(search.bodyWeight))
        settings.defaultOperator = search.defaultOperator == .and ? .and : .or
        settings.maxClauses = search.maxClauses
        settings.maxDepth = search.maxDepth
        settings.snippetBytes = search.snippetBytes
        return settings
    }

    private func open() throws -> Searcher {
        let reader = try IndexReader.openCurrent(indexPath: indexPath)
        try reader.checkAnalyzer(analyzer)
        return try Searcher(reader: reader, settings: settings)
    }

    private func pinned() -> Searcher? {
        lock.lock()
        defer { lock.unlock() }
        return searcher
    }

    /// Generation being served, if any.
    public var generation: String? { pinned()?.reader.generationName }

    public func search(_ request: SearchRequest) throws -> SearchResponse {
        try search(request, on: pinned())
    }

    /// Pins the generation served now; the search runs on it whenever the returned work runs.
    public func prepareSearch(_ request: SearchRequest) -> @Sendable () throws -> SearchResponse {
        let searcher = pinned()
        return { [self] in try self.search(request, on: searcher) }
    }

    private func search(_ request: SearchRequest, on pinnedSearcher: Searcher?) throws -> SearchResponse {
        guard let searcher = pinnedSearcher else {
            throw ProtocolError(.noIndex, "no index is loaded from \(indexPath); build one with quarry-index --index \(indexPath) SOURCE, then reload")
        }
        let options = SearchOptions(limit: request.limit, offset: request.offset, exactCount: request.count,
                                    snippets: request.snippets && settings.snippetBytes > 0, fields: request.fields)
        let results: SearchResults
        do {
            results = try searcher.search(request.query, options: options)
        } catch let error as QueryError {
            throw ProtocolError(.badQuery, error.description)
        } catch let error as IndexError {
            logger.error("search failed on \(searcher.reader.generationName): \(error)")
            throw ProtocolError(.internal, error.description)
        }
        let hits = results.hits.map { hit in
            SearchHit(id: hit.externalID, score: Double(hit.score), title: hit.title, snippet: hit.snippet,
                      fields: request.fields ? Dictionary(hit.fields.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }) : nil)
        }
        return SearchResponse(total: results.total, totalExact: results.totalIsExact, tookMicros: results.engineMicros,
                              generation: searcher.reader.generationName, hits: hits)
    }

    public func status() -> StatusInfo {
        let current = pinned()
        return StatusInfo(generation: current?.reader.generationName, docs: current?.reader.docCount ?? 0,
                          indexDir: indexPath, analyzer: current?.reader.meta.analyzer_fingerprint ?? analyzer.fingerprint,
                          version: version)
    }

    /// One line describing what is served, for STATUS= and logs.
    public var statusLine: String {
        guard let current = pinned() else { return "no index loaded from \(indexPath)" }
        return "serving \(current.reader.generationName) (\(current.reader.docCount) documents)"
    }

    /// Opens the generation CURRENT names if it differs from the one served, and swaps to it.
    /// The one reload path for SIGHUP, the `reload` request and CURRENT changing (inotify).
    /// A generation that fails to open (corrupt, other version, other analyzer) is refused: the
    /// reason is logged and thrown, and the old generation keeps serving.
    public func reload() throws -> String? {
        reloadLock.lock()
        defer { reloadLock.unlock() }
        let directory = IndexDirectory(path: indexPath)
        let name: String?
        do {
            name = try directory.currentGeneration()
        } catch {
            logger.error("reload: \(error); still \(statusLine)")
            throw ProtocolError(.internal, "\(error)")
        }
        guard let name else { return generation }
        if name == generation { return name }
        notifier?.reloading(status: "opening \(name); \(statusLine)")
        do {
            let fresh = try open()
            lock.lock()
            let old = searcher?.reader.generationName
            searcher = fresh
            lock.unlock()
            logger.info("now serving \(fresh.reader.generationName) (\(fresh.reader.docCount) documents)\(old.map { ", was \($0)" } ?? "")")
            notifier?.ready(status: statusLine)
            return fresh.reader.generationName
        } catch {
            logger.error("refused generation \(name): \(error); still \(statusLine)")
            notifier?.ready(status: "refused \(name); \(statusLine)")
            throw ProtocolError(.internal, "refused generation \(name): \(error)")
        }
    }
}
