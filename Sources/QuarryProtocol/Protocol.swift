// Protocol v1: newline-delimited JSON over a Unix stream socket.
//
//   Connection --> (RequestLine "\n")*            client to daemon
//   Connection --> (ResponseLine "\n")*           daemon to client, one per request, same order
//   RequestLine  --> JSON object: "v"? "id"? "op" op-fields*     (UTF-8, at most maxRequestBytes)
//   ResponseLine --> JSON object: "v" "id" "ok" (result-fields | "error")
//
// Field notes:
//   v       optional; when present it must be 1, else `unsupported_version`.
//   id      optional; a JSON number or string, echoed byte for byte; absent (or null) -> "id":null.
//   op      "search" | "status" | "ping" | "reload".
//   search: "query" string (required), "limit" 10, "offset" 0, "count" false, "snippets" true,
//           "fields" true. count=false lets the engine skip counting: "total" is then a lower
//           bound and "total_exact" is false.
//   Unknown request fields are ignored (forward compatibility); wrong types are `bad_request`.
//   A response line never contains a raw newline: strings are JSON-escaped.
//
// Example:
//   -> {"v":1,"id":7,"op":"search","query":"kharkiv +weapons","limit":10,"count":true}
//   <- {"v":1,"id":7,"ok":true,"total":1234,"total_exact":true,"took_us":180,"generation":"gen-000001",
//       "hits":[{"id":"doc-42","score":12.7,"title":"…","snippet":"… \u0002matched\u0003 …","fields":{"url":"…"}}]}
//   <- {"v":1,"id":8,"ok":false,"error":{"code":"bad_query","message":"unbalanced parenthesis at 14"}}

/// The protocol version this module speaks.
public enum ProtocolVersion {
    public static let current = 1
}

/// Machine-readable error codes carried in `"error":{"code":…}`.
public enum ErrorCode: String, Sendable, Codable, CaseIterable {
    /// Malformed JSON, not an object, a field of the wrong type or out of range, a missing op or query.
    case badRequest = "bad_request"
    /// `v` present and not 1.
    case unsupportedVersion = "unsupported_version"
    /// `op` is not one this daemon knows (or supports).
    case unknownOp = "unknown_op"
    /// The query text does not parse, or exceeds the engine's clause/depth limits (from the backend).
    case badQuery = "bad_query"
    /// The request line is longer than `ProtocolLimits.maxRequestBytes`; the line was discarded.
    case tooLarge = "too_large"
    /// `limit` or `offset` is beyond the result window (`ProtocolLimits.maxLimit`, `.maxOffset`).
    case limitExceeded = "limit_exceeded"
    /// The daemon has no index to search yet.
    case noIndex = "no_index"
    /// A bug or an unexpected failure inside the daemon; the message says what.
    case `internal` = "internal"
    /// The daemon is stopping and does not take new work.
    case shuttingDown = "shutting_down"
    /// The daemon is at its connection limit; this connection is closed after the error line.
    case overloaded = "overloaded"
}

/// An error that travels on the wire: a code and a human-readable message.
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(code: ErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    public init(_ code: ErrorCode, _ message: String) {
        self.init(code: code, message: message)
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// Bounds the daemon enforces on every request.
public struct ProtocolLimits: Sendable, Equatable {
    /// Longest request line in bytes, newline excluded. 64 KiB is far beyond any real query and
    /// bounds what one connection can make the daemon buffer.
    public var maxRequestBytes: Int
    /// Largest `limit`: each hit costs a stored-field fetch and a snippet.
    public var maxLimit: Int
    /// Largest `offset`: deep pages cost a top-(offset+limit) heap; beyond this, refine the query.
    public var maxOffset: Int

    public init(maxRequestBytes: Int = 65_536, maxLimit: Int = 1_000, maxOffset: Int = 10_000) {
        self.maxRequestBytes = maxRequestBytes
        self.maxLimit = maxLimit
        self.maxOffset = maxOffset
    }

    public static let `default` = ProtocolLimits()
}

/// The `id` of a request, echoed in its response exactly as the client wrote it.
public enum RequestID: Sendable, Hashable, CustomStringConvertible,
                       ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    /// No id (absent or null in the request): the response carries `"id":null`.
    case null
    /// A JSON number token as written (`7`, `7.0`, `-1e3`).
    case number(String)
    case string(String)

    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(stringLiteral value: String) { self = .string(value) }

    public var description: String {
        switch self {
        case .null: return "null"
        case .number(let token): return token
        case .string(let text): return "\"\(text)\""
        }
    }

    func write(to writer: inout JSONWriter) {
        switch self {
        case .null: writer.null()
        case .number(let token): writer.rawNumber(token)
        case .string(let text): writer.string(text)
        }
    }
}

/// What a search asks for. Defaults are the protocol's defaults.
public struct SearchRequest: Sendable, Equatable {
    /// The query text, in the query language documented in the README.
    public var query: String
    /// Number of hits to return (0 = count only).
    public var limit: Int
    /// Number of best hits to skip (paging).
    public var offset: Int
    /// Ask for an exact total; false lets the engine skip counting (total is then a lower bound).
    public var count: Bool
    /// Return a snippet per hit.
    public var snippets: Bool
    /// Return the stored extra fields per hit.
    public var fields: Bool

    public init(query: String, limit: Int = 10, offset: Int = 0, count: Bool = false,
                snippets: Bool = true, fields: Bool = true) {
        self.query = query
        self.limit = limit
        self.offset = offset
        self.count = count
        self.snippets = snippets
        self.fields = fields
    }
}

/// One result.
public struct SearchHit: Codable, Sendable, Equatable {
    /// The document's external id.
    public var id: String
    public var score: Double
    public var title: String
    /// Body text around the matches, terms marked with `Highlight.start`/`Highlight.end`.
    public var snippet: String?
    /// Stored extra fields (url, date, source, tags joined with ", ").
    public var fields: [String: String]?

    public init(id: String, score: Double, title: String, snippet: String? = nil, fields: [String: String]? = nil) {
        self.id = id
        self.score = score
        self.title = title
        self.snippet = snippet
        self.fields = fields
    }
}

/// The answer to a search.
public struct SearchResponse: Sendable, Equatable {
    /// Matching documents: exact when `totalExact`, else a lower bound.
    public var total: Int
    public var totalExact: Bool
    /// Time inside the engine (parse + search + fetch), measured by the backend, in microseconds.
    public var tookMicros: Int
    /// The index generation that answered (`gen-000001`).
    public var generation: String
    public var hits: [SearchHit]

    public init(total: Int, totalExact: Bool, tookMicros: Int, generation: String, hits: [SearchHit]) {
        self.total = total
        self.totalExact = totalExact
        self.tookMicros = tookMicros
        self.generation = generation
        self.hits = hits
    }
}

/// Query latency percentiles over the daemon's recent queries (server-measured, request to response).
public struct LatencySummary: Codable, Sendable, Equatable {
    /// How many searches the percentiles cover (every search since the daemon started).
    public var samples: Int
    public var p50Micros: Int
    public var p90Micros: Int
    public var p99Micros: Int
    public var p999Micros: Int
    public var maxMicros: Int

    public init(samples: Int, p50Micros: Int, p90Micros: Int, p99Micros: Int, p999Micros: Int, maxMicros: Int) {
        self.samples = samples
        self.p50Micros = p50Micros
        self.p90Micros = p90Micros
        self.p99Micros = p99Micros
        self.p999Micros = p999Micros
        self.maxMicros = maxMicros
    }

    enum CodingKeys: String, CodingKey {
        case samples, p50Micros = "p50_us", p90Micros = "p90_us", p99Micros = "p99_us", p999Micros = "p999_us", maxMicros = "max_us"
    }
}

/// The daemon's state, as `op: status` reports it. The backend fills the index fields; the
/// server fills uptime, counters, connections and latency.
public struct StatusInfo: Codable, Sendable, Equatable {
    /// The generation being served, nil when there is no index.
    public var generation: String?
    public var docs: Int
    public var uptimeSeconds: Double
    /// Search requests answered (successfully or not).
    public var queries: Int
    /// Requests answered with an error.
    public var errors: Int
    public var indexDir: String
    /// The analyzer recorded in the index, e.g. "english, fold_diacritics".
    public var analyzer: String
    /// The daemon's version line, e.g. "quarry 0.1.0".
    public var version: String
    /// Open client connections.
    public var connections: Int?
    public var latency: LatencySummary?

    public init(generation: String?, docs: Int, uptimeSeconds: Double = 0, queries: Int = 0, errors: Int = 0,
                indexDir: String, analyzer: String, version: String,
                connections: Int? = nil, latency: LatencySummary? = nil) {
        self.generation = generation
        self.docs = docs
        self.uptimeSeconds = uptimeSeconds
        self.queries = queries
        self.errors = errors
        self.indexDir = indexDir
        self.analyzer = analyzer
        self.version = version
        self.connections = connections
        self.latency = latency
    }

    enum CodingKeys: String, CodingKey {
        case generation, docs, uptimeSeconds = "uptime_s", queries, errors, indexDir = "index_dir",
             analyzer, version, connections, latency
    }
}
