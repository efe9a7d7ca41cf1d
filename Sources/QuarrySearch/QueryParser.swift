import QuarryAnalysis

/// Parses the query language (README "Query language"):
///
///     query   := orExpr
///     orExpr  := andExpr ("OR" andExpr)*
///     andExpr := clause (["AND"] clause)*        juxtaposed clauses use the default operator
///     clause  := ("+" | "-" | "NOT ") primary
///     primary := "(" query ")" | [field ":"] '"' words '"' ["^" boost]
///              | [field ":"] word ["*"] ["^" boost]
///
/// `+x` must match, `-x` / `NOT x` must not; `a AND b` makes both required; bare clauses are
/// optional (default operator OR) or required (AND). Words go through the index's analyzer:
/// a word that analyzes to several tokens ("U.S.-made") becomes a phrase, one that analyzes
/// to nothing is dropped. `word*` matches every term with that (unstemmed) prefix.
public struct QueryParser {
    /// Which operator joins clauses written side by side.
    public enum DefaultOperator: String, Sendable { case or, and }

    public var defaultOperator: DefaultOperator
    /// Most term/phrase/prefix clauses in one query.
    public var maxClauses: Int
    /// Deepest parenthesis nesting.
    public var maxDepth: Int
    private let analyzer: Analyzer

    public init(analyzer: Analyzer, defaultOperator: DefaultOperator = .or, maxClauses: Int = 1024, maxDepth: Int = 32) {
        self.analyzer = analyzer
        self.defaultOperator = defaultOperator
        self.maxClauses = maxClauses
        self.maxDepth = maxDepth
    }

    /// Parses `text` or throws `QueryError` with the character position of the problem.
    public func parse(_ text: String) throws -> Query {
        var state = State(characters: Array(text), parser: self)
        let query = try state.parseOr(depth: 0)
        state.skipSpace()
        if state.index < state.characters.count {
            if state.characters[state.index] == ")" {
                throw QueryError(.syntax, "unbalanced parenthesis: ')' without '('", at: state.index)
            }
            throw QueryError(.syntax, "unexpected '\(state.characters[state.index])'", at: state.index)
        }
        return query
    }

    private struct State {
        let characters: [Character]
        let parser: QueryParser
        var index = 0
        var clauseCount = 0

        init(characters: [Character], parser: QueryParser) {
            self.characters = characters
            self.parser = parser
        }

        mutating func skipSpace() {
            while index < characters.count && characters[index].isSpaceFast { index += 1 }
        }

        func isBoundary(_ at: Int) -> Bool {
            at >= characters.count || characters[at].isSpaceFast || characters[at] == "(" || characters[at] == ")" || characters[at] == "\""
        }

        /// True when the keyword `word` starts at `index` and ends at a boundary.
        func atKeyword(_ word: String) -> Bool {
            let letters = Array(word)
            guard index + letters.count <= characters.count else { return false }
            for (offset, letter) in letters.enumerated() where characters[index + offset] != letter { return false }
            return isBoundary(index + letters.count)
        }

        mutating func parseOr(depth: Int) throws -> Query {
            var groups: [Query] = [try parseAnd(depth: depth)]
            while true {
                skipSpace()
                guard atKeyword("OR") else { break }
                let at = index
                index += 2
                skipSpace()
                if index >= characters.count || characters[index] == ")" || atKeyword("OR") || atKeyword("AND") {
                    throw QueryError(.syntax, "OR needs a clause on both sides", at: at)
                }
                groups.append(try parseAnd(depth: depth))
            }
            let kept = groups.filter { $0 != .empty }
            if kept.isEmpty { return .empty }
            if kept.count == 1 { return kept[0] }
            return .boolean(must: [], should: kept, mustNot: [], boost: 1)
        }

        enum Occur { case must, should, mustNot }

        mutating func parseAnd(depth: Int) throws -> Query {
            var clauses: [(query: Query, occur: Occur, explicit: Bool)] = []
            var pendingAnd = false
            var andPosition = 0
            while true {
                skipSpace()
                if index >= characters.count || characters[index] == ")" || atKeyword("OR") { break }
                if atKeyword("AND") {
                    guard !clauses.isEmpty, !pendingAnd else { throw QueryError(.syntax, "AND needs a clause on both sides", at: index) }
                    andPosition = index
                    index += 3
                    pendingAnd = true
                    if !clauses[clauses.count - 1].explicit { clauses[clauses.count - 1].occur = .must }
                    continue
                }
                var occur: Occur? = nil
                let clauseStart = index
                if characters[index] == "+" { occur = .must; index += 1 }
                else if characters[index] == "-" { occur = .mustNot; index += 1 }
                else if atKeyword("NOT") { occur = .mustNot; index += 3; skipSpace() }
                if occur != nil && isBoundary(index) && (index >= characters.count || characters[index] != "(" && characters[index] != "\"") {
                    // A lone "+", "-" or "NOT" (pasted text such as "Kyiv - Kharkiv") modifies nothing: drop it.
                    _ = clauseStart
                    continue
                }
                let explicit = occur != nil
                let resolved = occur ?? (pendingAnd ? .must : (parser.defaultOperator == .and ? .must : .should))
                pendingAnd = false
                let primary = try parsePrimary(depth: depth)
                clauses.append((primary, resolved, explicit))
            }
            if pendingAnd { throw QueryError(.syntax, "AND needs a clause on both sides", at: andPosition) }
            var must: [Query] = [], should: [Query] = [], mustNot: [Query] = []
            for clause in clauses where clause.query != .empty {
                switch clause.occur {
                case .must: must.append(clause.query)
                case .should: should.append(clause.query)
                case .mustNot: mustNot.append(clause.query)
                }
            }
            if must.isEmpty && should.isEmpty {
                if !mustNot.isEmpty { throw QueryError(.syntax, "a query needs at least one clause that is not negated") }
                return .empty
            }
            if must.isEmpty && mustNot.isEmpty && should.count == 1 { return should[0] }
            if should.isEmpty && mustNot.isEmpty && must.count == 1 { return must[0] }
            return .boolean(must: must, should: should, mustNot: mustNot, boost: 1)
        }

        mutating func countClause(at position: Int) throws {
            clauseCount += 1
            if clauseCount > parser.maxClauses {
                throw QueryError(.tooComplex, "more than \(parser.maxClauses) clauses", at: position)
            }
        }

        mutating func parseBoost() throws -> Float {
            guard index < characters.count, characters[index] == "^" else { return 1 }
            let start = index
            index += 1
            var digits = ""
            while index < characters.count, characters[index].isNumber || characters[index] == "." {
                digits.append(characters[index]); index += 1
            }
            guard let boost = Float(digits), boost >= 0, boost.isFinite, boost <= 1e6 else {
                throw QueryError(.syntax, "boost '^\(digits)' is not a number between 0 and 1000000", at: start)
            }
            return boost
        }

        mutating func parsePrimary(depth: Int) throws -> Query {
            skipSpace()
            guard index < characters.count else { throw QueryError(.syntax, "a clause is missing", at: index) }
            let start = index
            if characters[index] == "(" {
                guard depth + 1 <= parser.maxDepth else {
                    throw QueryError(.tooComplex, "parentheses nested deeper than \(parser.maxDepth)", at: index)
                }
                index += 1
                let inner = try parseOr(depth: depth + 1)
                skipSpace()
                guard index < characters.count, characters[index] == ")" else {
                    throw QueryError(.syntax, "unbalanced parenthesis: '(' is never closed", at: start)
                }
                index += 1
                let boost = try parseBoost()
                return boosted(inner, boost)
            }
            // Optional field prefix.
            var field: String? = nil
            if let colon = fieldPrefixEnd() {
                field = String(characters[index..<colon])
                index = colon + 1
            }
            if index < characters.count && characters[index] == "\"" {
                let quote = index
                index += 1
                var text = ""
                while index < characters.count && characters[index] != "\"" { text.append(characters[index]); index += 1 }
                guard index < characters.count else { throw QueryError(.syntax, "unterminated quote", at: quote) }
                index += 1
                let boost = try parseBoost()
                try countClause(at: quote)
                let terms = parser.analyzer.tokens(in: text).map(\.term)
                if terms.isEmpty { return .empty }
                if terms.count == 1 { return .term(field: field, term: terms[0], boost: boost) }
                return .phrase(field: field, terms: terms, boost: boost)
            }
            var word = ""
            while index < characters.count, !characters[index].isSpaceFast,
                  characters[index] != "(", characters[index] != ")", characters[index] != "\"", characters[index] != "^" {
                word.append(characters[index]); index += 1
            }
            guard !word.isEmpty else { throw QueryError(.syntax, "a clause is missing", at: start) }
            let boost = try parseBoost()
            try countClause(at: start)
            if word.count > 1, word.hasSuffix("*") {
                let stem = String(word.dropLast())
                guard let prefix = parser.analyzer.normalizeWithoutStemming(word: stem), !prefix.isEmpty else { return .empty }
                return .prefix(field: field, prefix: prefix, boost: boost)
            }
            let terms = parser.analyzer.tokens(in: word).map(\.term)
            if terms.isEmpty { return .empty }
            if terms.count == 1 { return .term(field: field, term: terms[0], boost: boost) }
            return .phrase(field: field, terms: terms, boost: boost)
        }

        /// If a known field name and ':' start at `index`, the colon's index.
        func fieldPrefixEnd() -> Int? {
            for name in ["title", "body"] {
                let letters = Array(name)
                let colon = index + letters.count
                guard colon < characters.count, characters[colon] == ":" else { continue }
                if Array(characters[index..<colon]) == letters, colon + 1 < characters.count,
                   !characters[colon + 1].isSpaceFast {
                    return colon
                }
            }
            return nil
        }

        func boosted(_ query: Query, _ boost: Float) -> Query {
            boost == 1 ? query : query.withBoost(query.boost * boost)
        }
    }
}

extension Character {
    /// `isWhitespace`, answered without the Unicode property lookup for ASCII characters.
    @inline(__always) fileprivate var isSpaceFast: Bool {
        if let ascii = asciiValue { return ascii == 0x20 || (ascii >= 0x09 && ascii <= 0x0D) }
        return isWhitespace
    }
}
