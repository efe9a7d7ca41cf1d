/// Everything `quarry-index` and `quarryd` read from `quarry.toml`. Every field has an embedded
/// default, so the programs run without a config file. Config/quarry.toml documents each one.
public struct QuarryConfiguration: Sendable, Equatable {
    public var index: IndexSettings
    public var daemon: DaemonSettings
    public var search: SearchSettings
    public var analysis: AnalysisSettings
    public var indexer: IndexerSettings
    /// The file these settings came from; nil when only defaults apply.
    public var sourcePath: String?

    public init(index: IndexSettings, daemon: DaemonSettings, search: SearchSettings = SearchSettings(),
                analysis: AnalysisSettings = AnalysisSettings(), indexer: IndexerSettings = IndexerSettings(),
                sourcePath: String? = nil) {
        self.index = index
        self.daemon = daemon
        self.search = search
        self.analysis = analysis
        self.indexer = indexer
        self.sourcePath = sourcePath
    }

    /// The embedded defaults for this environment (paths depend on XDG variables and systemd).
    public static func defaults(environment: ConfigEnvironment = .current) -> QuarryConfiguration {
        QuarryConfiguration(index: IndexSettings(dir: DefaultPaths.indexDirectory(environment)),
                            daemon: DaemonSettings(socket: DefaultPaths.socketPath(environment)))
    }
}

/// `[index]`
public struct IndexSettings: Sendable, Equatable {
    /// The index directory (holds CURRENT and the gen-NNNNNN directories).
    public var dir: String

    public init(dir: String) { self.dir = dir }
}

/// `[daemon]`
public struct DaemonSettings: Sendable, Equatable {
    /// The Unix socket quarryd listens on and quarry connects to.
    public var socket: String
    /// Permission bits of the socket file (owner and group may connect).
    public var socketMode: UInt16 = 0o660
    /// Connections beyond this are refused with an `overloaded` error.
    public var maxConnections = 256
    /// Longest request line in bytes.
    public var maxRequestBytes = 65_536
    /// Idle connections close after this many seconds; 0 = never.
    public var idleTimeoutSeconds: Double = 300
    /// Search threads; 0 = one per core.
    public var workerThreads = 0

    public init(socket: String) { self.socket = socket }
}

/// `default_operator`: how terms without `+`/`-`/`AND`/`OR` combine.
public enum DefaultOperator: String, Sendable, Equatable {
    case or
    case and
}

/// `[search]`
public struct SearchSettings: Sendable, Equatable {
    /// BM25 term-frequency saturation.
    public var k1 = 1.2
    /// BM25 length normalisation (0 = none, 1 = full).
    public var b = 0.75
    public var defaultOperator = DefaultOperator.or
    public var titleWeight = 2.0
    public var bodyWeight = 1.0
    /// Largest `limit` a request may ask for.
    public var maxLimit = 1_000
    /// Largest `offset` a request may ask for.
    public var maxOffset = 10_000
    /// Most clauses (terms, phrases, prefix expansions) one query may have.
    public var maxClauses = 1_024
    /// Deepest parenthesis nesting.
    public var maxDepth = 32
    /// Snippet length in bytes; 0 = no snippets.
    public var snippetBytes = 200

    public init() {}
}

/// `[analysis]`
public struct AnalysisSettings: Sendable, Equatable {
    /// Snowball stemmer language ("english", "french", …) or "none".
    public var language = "english"
    /// Drop the built-in English stopword list.
    public var stopwords = false
    /// Fold diacritics (é -> e).
    public var foldDiacritics = true

    public init() {}
}

/// `[indexer]`
public struct IndexerSettings: Sendable, Equatable {
    /// Records larger than this are reported and skipped.
    public var maxRecordBytes = 16_777_216
    /// Memory budget for in-memory postings before spilling a run, in bytes (file: "512M").
    public var memoryBytes = 512 << 20
    /// Document reordering before publishing: "none" (input order) or "bp" (recursive graph
    /// bisection: smaller postings, faster queries, a longer build). `quarry-index --reorder` /
    /// `--no-reorder` override it.
    public var reorder = "none"
    /// The values `reorder` takes.
    public static let reorderMethods = ["none", "bp"]

    public init() {}
}
