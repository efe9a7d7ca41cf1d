import Foundation
import QuarryAnalysis
import QuarryFormat
import QuarryIndex

/// Query-time settings (from the config's [search] section).
public struct SearchSettings: Sendable {
    public var bm25 = BM25Parameters()
    public var defaultOperator: QueryParser.DefaultOperator = .or
    public var maxClauses = 1024
    public var maxDepth = 32
    /// Longest snippet in UTF-8 bytes.
    public var snippetBytes = 200
    /// Most dictionary terms one `prefix*` expands to (the first ones in term order).
    public var maxPrefixExpansions = 256
    /// The top-k algorithm for unions of terms.
    public var unionAlgorithm = UnionAlgorithm.automatic
    public init() {}
}

/// Top-k algorithms for a union of terms; both return exactly the exhaustive top k.
public enum UnionAlgorithm: String, Sendable, CaseIterable {
    /// Chosen per query by the measured rule in `Searcher.prefersMaxScore`.
    case automatic
    case blockMaxWAND = "bmw"
    case maxScore = "maxscore"
}

/// What one search asks for.
public struct SearchOptions: Sendable {
    public var limit = 10
    public var offset = 0
    /// Count every match exactly (disables pruning for unions).
    public var exactCount = false
    public var snippets = true
    public var fields = true
    public init(limit: Int = 10, offset: Int = 0, exactCount: Bool = false, snippets: Bool = true, fields: Bool = true) {
        self.limit = limit
        self.offset = offset
        self.exactCount = exactCount
        self.snippets = snippets
        self.fields = fields
    }
}

/// One ranked document.
public struct SearchHitResult: Sendable {
    public var docID: UInt32
    public var externalID: String
    public var score: Float
    public var title: String
    public var snippet: String?
    /// Stored fields other than title and body.
    public var fields: [StoredField]
}

/// The answer to one search.
public struct SearchResults: Sendable {
    public var hits: [SearchHitResult]
    /// Matching documents: exact when `totalIsExact`, else a lower bound.
    public var total: Int
    public var totalIsExact: Bool
    /// Parse + search + top-k ids, in microseconds (the figure set beside other engines).
    public var engineMicros: Int
    /// Stored fields and snippets, in microseconds.
    public var fetchMicros: Int
    /// "block-max-wand", "exhaustive", or "none".
    public var algorithm: String
}

/// Runs queries against one open generation. Thread-safe: analyzers come from a small pool.
public final class Searcher: @unchecked Sendable {
    public let reader: IndexReader
    public let settings: SearchSettings
    private let analyzerSettings: AnalyzerSettings
    private var pool: [Analyzer] = []
    private let poolLock = NSLock()
    /// Long lists' bound ratios, shared by every query on this generation and these settings.
    let listBounds = ListBoundCache()

    /// Prepares to search `reader` with the analyzer the index was built with.
    public init(reader: IndexReader, settings: SearchSettings) throws {
        self.reader = reader
        self.settings = settings
        analyzerSettings = reader.meta.analyzer
        pool.append(try Analyzer(settings: analyzerSettings))
    }

    private func withAnalyzer<R>(_ body: (Analyzer) throws -> R) throws -> R {
        poolLock.lock()
        let analyzer = pool.popLast()
        poolLock.unlock()
        let borrowed = try analyzer ?? Analyzer(settings: analyzerSettings)
        defer {
            poolLock.lock()
            pool.append(borrowed)
            poolLock.unlock()
        }
        return try body(borrowed)
    }

    /// Parses and runs `text`. Throws `QueryError` for a bad query, `IndexError` for a damaged index.
    public func search(_ text: String, options: SearchOptions) throws -> SearchResults {
        try withAnalyzer { analyzer in
            let started = DispatchTime.now().uptimeNanoseconds
            let parser = QueryParser(analyzer: analyzer, defaultOperator: settings.defaultOperator,
                                     maxClauses: settings.maxClauses, maxDepth: settings.maxDepth)
            let query = try parser.parse(text)
            var results = try run(query, options: options)
            let searched = DispatchTime.now().uptimeNanoseconds
            results.engineMicros = Int((searched - started) / 1000)
            if options.snippets || options.fields {
                let builder = SnippetBuilder(terms: query.highlightTerms, prefixes: query.highlightPrefixes,
                                             maxBytes: settings.snippetBytes)
                for i in results.hits.indices {
                    let stored = try reader.storedFields(results.hits[i].docID)
                    results.hits[i].title = stored.first { $0.name == "title" }?.value ?? ""
                    if options.snippets {
                        let body = stored.first { $0.name == "body" }?.value ?? ""
                        results.hits[i].snippet = builder.snippet(for: body, analyzer: analyzer)
                    }
                    if options.fields {
                        results.hits[i].fields = stored.filter { $0.name != "title" && $0.name != "body" }
                    }
                }
            }
            results.fetchMicros = Int((DispatchTime.now().uptimeNanoseconds - searched) / 1000)
            return results
        }
    }

    /// Runs a parsed query (ids only; no stored fields).
    public func run(_ query: Query, options: SearchOptions) throws -> SearchResults {
        let k = max(0, options.offset) + max(0, options.limit)
        var topK = TopK(capacity: k)
        var compiler = QueryCompiler(reader: reader, parameters: settings.bm25, listBounds: listBounds,
                                     maxPrefixExpansions: settings.maxPrefixExpansions,
                                     maxClauses: settings.maxClauses)
        guard let root = try compiler.compile(query, boost: 1) else {
            return SearchResults(hits: [], total: 0, totalIsExact: true, engineMicros: 0, fetchMicros: 0, algorithm: "none")
        }
        var total: Int
        var exact = true
        var algorithm = "exhaustive"
        if !options.exactCount, k > 0, let terms = Self.flatTerms(root) {
            if prefersMaxScore(terms) {
                total = MaxScore.run(terms, into: &topK)
                algorithm = "maxscore"
            } else {
                total = BlockMaxWAND.run(terms, into: &topK)
                algorithm = "block-max-wand"
            }
            exact = false
        } else if let conjunction = root as? ConjunctionScorer, let terms = conjunction.termsInQueryOrder {
            let outcome = BlockMaxAND.run(terms, docCount: reader.docCount, into: &topK, prune: !options.exactCount && k > 0)
            total = outcome.count
            exact = outcome.exact
            algorithm = exact ? "conjunction" : "block-max-and"
        } else {
            let outcome = Exhaustive.run(root, into: &topK, prune: !options.exactCount && k > 0)
            total = outcome.count
            exact = outcome.exact
            if !exact { algorithm = "block-max-and" }
        }
        if root.isCorrupt {
            throw IndexError(.corrupt, "\(reader.generationName): a posting list could not be decoded (the generation is damaged; rebuild it)")
        }
        let ranked = topK.sorted()
        total = max(total, ranked.count)
        let page = ranked.dropFirst(min(options.offset, ranked.count))
        let hits = page.map { entry in
            SearchHitResult(docID: entry.docID, externalID: reader.externalID(entry.docID), score: entry.score,
                            title: "", snippet: nil, fields: [])
        }
        return SearchResults(hits: Array(hits), total: total, totalIsExact: exact, engineMicros: 0, fetchMicros: 0,
                             algorithm: algorithm)
    }

    /// Which union algorithm runs a query (the settings may force one, for measurements).
    ///
    /// The rule, measured (quarry-bench, the 301 union queries on the medium corpus, 5 rounds,
    /// per-query medians): MaxScore was faster on 249 queries and block-max WAND on 15 (by at
    /// most 1.7x, all under 40 us); p50 28.7 vs 39.4 us, p99 683 vs 1615 us. A single posting
    /// list goes to block-max WAND, whose block bounds skip whole blocks where MaxScore would
    /// score every document until the heap's threshold passes the list's bound.
    func prefersMaxScore(_ terms: [TermScorer]) -> Bool {
        switch settings.unionAlgorithm {
        case .maxScore: return true
        case .blockMaxWAND: return false
        case .automatic: return true
        }
    }

    /// The term scorers of a pure union (or a single term), in summation order; nil otherwise.
    private static func flatTerms(_ root: Scorer) -> [TermScorer]? {
        if let term = root as? TermScorer { return [term] }
        guard let union = root as? DisjunctionScorer else { return nil }
        var terms: [TermScorer] = []
        for child in union.children {
            guard let term = child as? TermScorer else { return nil }
            terms.append(term)
        }
        return terms
    }
}

/// Turns a `Query` into a scorer tree over one generation (nil = matches nothing).
struct QueryCompiler {
    let reader: IndexReader
    let parameters: BM25Parameters
    let listBounds: ListBoundCache
    let maxPrefixExpansions: Int
    /// Most posting lists one query may open (prefix expansions and fields included).
    let maxClauses: Int
    private var openedLists = 0

    init(reader: IndexReader, parameters: BM25Parameters, listBounds: ListBoundCache, maxPrefixExpansions: Int, maxClauses: Int) {
        self.reader = reader
        self.parameters = parameters
        self.listBounds = listBounds
        self.maxPrefixExpansions = maxPrefixExpansions
        self.maxClauses = maxClauses
    }

    private mutating func countList() throws {
        openedLists += 1
        if openedLists > maxClauses {
            throw QueryError(.tooComplex, "the query expands to more than \(maxClauses) term clauses (prefix expansions and fields count)")
        }
    }

    private func fields(_ name: String?) -> [IndexField] {
        if let name, let field = IndexField(name: name) { return [field] }
        return IndexField.allCases
    }

    private func weight(_ field: IndexField) -> Float {
        let index = Int(field.rawValue)
        return index < parameters.fieldWeights.count ? parameters.fieldWeights[index] : 1
    }

    private mutating func termScorer(field: IndexField, info: TermPostingsInfo, boost: Float) throws -> TermScorer? {
        guard let lengths = reader.fieldLengths(field) else { return nil }
        try countList()
        let idf = BM25Parameters.idf(docFreq: info.docFreq, docCount: reader.docCount)
        let termWeight = TermWeight(idf: idf, boost: boost, fieldWeight: weight(field), parameters: parameters,
                                    averageLength: reader.averageFieldLengths[Int(field.rawValue)])
        return TermScorer(cursor: try reader.cursor(info), termWeight: termWeight, lengths: lengths,
                          listBounds: listBounds, listKey: info.postingsOffset)
    }

    private func union(_ scorers: [Scorer]) -> Scorer? {
        switch scorers.count {
        case 0: return nil
        case 1: return scorers[0]
        default: return DisjunctionScorer(scorers)
        }
    }

    /// Clauses that differ only in their boost, merged into one whose boost is the sum: every
    /// score is linear in the boost, so `+to +be +to` scores as `+to^2 +be` while opening two
    /// posting lists instead of three. First occurrences keep their order.
    static func mergingRepeats(_ clauses: [Query]) -> [Query] {
        guard clauses.count > 1 else { return clauses }
        var merged: [Query] = []
        var indexOf: [Query: Int] = [:]
        for clause in clauses {
            let key = clause.withBoost(1)
            if let index = indexOf[key] {
                merged[index] = key.withBoost(merged[index].boost + clause.boost)
            } else {
                indexOf[key] = merged.count
                merged.append(clause)
            }
        }
        return merged
    }

    mutating func compile(_ query: Query, boost: Float) throws -> Scorer? {
        switch query {
        case .empty:
            return nil
        case .term(let field, let term, let termBoost):
            var scorers: [Scorer] = []
            for field in fields(field) where weight(field) > 0 {
                if let info = try reader.postingsInfo(field: field, term: term),
                   let scorer = try termScorer(field: field, info: info, boost: boost * termBoost) {
                    scorers.append(scorer)
                }
            }
            return union(scorers)
        case .prefix(let field, let prefix, let prefixBoost):
            var scorers: [Scorer] = []
            for field in fields(field) where weight(field) > 0 {
                var infos: [TermPostingsInfo] = []
                try reader.terms.forEach(withPrefix: field.key(prefix)) { _, info in
                    infos.append(info)
                    return infos.count < maxPrefixExpansions
                }
                for info in infos {
                    if let scorer = try termScorer(field: field, info: info, boost: boost * prefixBoost) { scorers.append(scorer) }
                }
            }
            return union(scorers)
        case .phrase(let field, let terms, let phraseBoost):
            var scorers: [Scorer] = []
            fieldLoop: for field in fields(field) where weight(field) > 0 {
                guard let lengths = reader.fieldLengths(field) else { continue }
                // A repeated word ("to be or not to be") shares one cursor between its slots.
                var cursors: [PostingCursor] = []
                var cursorOfTerm: [String: Int] = [:]
                var slots: [Int] = []
                var idf: Float = 0
                for term in terms {
                    guard let info = try reader.postingsInfo(field: field, term: term) else { continue fieldLoop }
                    idf += BM25Parameters.idf(docFreq: info.docFreq, docCount: reader.docCount)
                    if let shared = cursorOfTerm[term] {
                        slots.append(shared)
                    } else {
                        try countList()
                        cursorOfTerm[term] = cursors.count
                        slots.append(cursors.count)
                        cursors.append(try reader.cursor(info))
                    }
                }
                let termWeight = TermWeight(idf: idf, boost: boost * phraseBoost, fieldWeight: weight(field),
                                            parameters: parameters, averageLength: reader.averageFieldLengths[Int(field.rawValue)])
                scorers.append(PhraseScorer(cursors: cursors, slots: slots, termWeight: termWeight, lengths: lengths))
            }
            return union(scorers)
        case .boolean(let must, let should, let mustNot, let booleanBoost):
            let inner = boost * booleanBoost
            var required: [Scorer] = []
            for clause in Self.mergingRepeats(must) {
                guard let scorer = try compile(clause, boost: inner) else { return nil }
                required.append(scorer)
            }
            var optional: [Scorer] = []
            for clause in Self.mergingRepeats(should) {
                if let scorer = try compile(clause, boost: inner) { optional.append(scorer) }
            }
            var excluded: [Scorer] = []
            for clause in Self.mergingRepeats(mustNot) {
                if let scorer = try compile(clause, boost: 1) { excluded.append(scorer) }
            }
            var base: Scorer
            if required.isEmpty {
                guard let any = union(optional) else { return nil }
                base = any
            } else {
                base = required.count == 1 ? required[0] : ConjunctionScorer(required)
                if let extra = union(optional) { base = RequiredOptionalScorer(required: base, optional: extra) }
            }
            if let exclusion = union(excluded) { base = ExclusionScorer(required: base, excluded: exclusion) }
            return base
        }
    }
}
