/// A parsed query, before it meets an index.
///
/// Field `nil` means "every text field" (title and body, each with its weight).
public indirect enum Query: Hashable, Sendable {
    /// One analyzed term.
    case term(field: String?, term: String, boost: Float)
    /// Analyzed terms that must appear at consecutive positions.
    case phrase(field: String?, terms: [String], boost: Float)
    /// Every indexed term starting with `prefix` (lowercased and folded, not stemmed).
    case prefix(field: String?, prefix: String, boost: Float)
    /// Lucene-style boolean: all `must`, none of `mustNot`, and — when `must` is empty — at
    /// least one of `should`; `should` clauses add to the score either way.
    case boolean(must: [Query], should: [Query], mustNot: [Query], boost: Float)
    /// Matches nothing (every word analyzed away, e.g. only punctuation).
    case empty

    /// The clause's own boost (1 for `empty`).
    public var boost: Float {
        switch self {
        case .term(_, _, let boost), .phrase(_, _, let boost), .prefix(_, _, let boost), .boolean(_, _, _, let boost):
            return boost
        case .empty: return 1
        }
    }

    /// The same clause with its own boost replaced by `boost`.
    public func withBoost(_ boost: Float) -> Query {
        switch self {
        case .term(let field, let term, _): return .term(field: field, term: term, boost: boost)
        case .phrase(let field, let terms, _): return .phrase(field: field, terms: terms, boost: boost)
        case .prefix(let field, let prefix, _): return .prefix(field: field, prefix: prefix, boost: boost)
        case .boolean(let must, let should, let mustNot, _): return .boolean(must: must, should: should, mustNot: mustNot, boost: boost)
        case .empty: return .empty
        }
    }

    /// Terms that a snippet should highlight (positive clauses only).
    public var highlightTerms: Set<String> {
        switch self {
        case .term(_, let term, _): return [term]
        case .phrase(_, let terms, _): return Set(terms)
        case .prefix: return []
        case .boolean(let must, let should, _, _):
            return (must + should).reduce(into: Set<String>()) { $0.formUnion($1.highlightTerms) }
        case .empty: return []
        }
    }

    /// Prefixes that a snippet should highlight.
    public var highlightPrefixes: [String] {
        switch self {
        case .prefix(_, let prefix, _): return [prefix]
        case .boolean(let must, let should, _, _): return (must + should).flatMap(\.highlightPrefixes)
        default: return []
        }
    }
}

/// A query that cannot be run: what is wrong and where (a 0-based character offset).
public struct QueryError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// Malformed syntax.
        case syntax
        /// Over a configured limit (clauses, nesting depth, length).
        case tooComplex
    }
    public var code: Code
    public var message: String
    public var position: Int?

    public init(_ code: Code, _ message: String, at position: Int? = nil) {
        self.code = code
        self.message = message
        self.position = position
    }

    public var description: String {
        if let position { return "\(message) at \(position)" }
        return message
    }
}
