import Foundation
import QuarryAnalysis

/// A deliberately naive BM25 over the same analyzed tokens: dictionaries of token lists,
/// doubles, no blocks, no pruning. The engine must agree with it.
struct NaiveBM25 {
    struct FieldDoc {
        var terms: [String]  // in position order
        var length: Int { terms.count }
    }

    let k1 = 1.2, b = 0.75
    let fieldWeights = [2.0, 1.0]   // title, body
    var ids: [String] = []
    var fields: [[FieldDoc]] = [[], []]  // [field][doc]
    /// Documents per field and term, counted once up front (the only thing precomputed).
    private var docFreqs: [[String: Int]] = [[:], [:]]
    private var averageLengths: [Double] = [0, 0]

    init(documents: [(id: String, title: String, body: String)], analyzer: Analyzer) {
        for document in documents {
            ids.append(document.id)
            fields[0].append(FieldDoc(terms: analyzer.tokens(in: document.title).map(\.term)))
            fields[1].append(FieldDoc(terms: analyzer.tokens(in: document.body).map(\.term)))
        }
        for field in 0..<2 {
            for doc in fields[field] {
                for term in Set(doc.terms) { docFreqs[field][term, default: 0] += 1 }
            }
            averageLengths[field] = Double(fields[field].reduce(0) { $0 + $1.length }) / Double(ids.count)
        }
    }

    var docCount: Int { ids.count }

    func averageLength(_ field: Int) -> Double { averageLengths[field] }

    func docFreq(_ field: Int, _ term: String) -> Int { docFreqs[field][term] ?? 0 }

    func idf(_ n: Int) -> Double {
        log(1 + (Double(docCount) - Double(n) + 0.5) / (Double(n) + 0.5))
    }

    func bm25(tf: Int, length: Int, idf: Double, field: Int) -> Double {
        let norm = k1 * (1 - b + b * Double(length) / averageLength(field))
        return fieldWeights[field] * idf * (k1 + 1) * Double(tf) / (Double(tf) + norm)
    }

    /// Score of one term over both fields, nil if the doc lacks it everywhere.
    func termScore(_ term: String, doc: Int) -> Double? {
        var total = 0.0
        var matched = false
        for field in 0..<2 {
            let tf = fields[field][doc].terms.filter { $0 == term }.count
            if tf > 0 {
                matched = true
                total += bm25(tf: tf, length: fields[field][doc].length, idf: idf(docFreq(field, term)), field: field)
            }
        }
        return matched ? total : nil
    }

    /// Score of an exact phrase over both fields, nil if it occurs in neither.
    func phraseScore(_ terms: [String], doc: Int) -> Double? {
        var total = 0.0
        var matched = false
        for field in 0..<2 {
            let words = fields[field][doc].terms
            var frequency = 0
            if words.count >= terms.count {
                for start in 0...(words.count - terms.count) where Array(words[start..<(start + terms.count)]) == terms {
                    frequency += 1
                }
            }
            if frequency > 0 {
                matched = true
                let phraseIDF = terms.reduce(0.0) { $0 + idf(docFreq(field, $1)) }
                total += bm25(tf: frequency, length: fields[field][doc].length, idf: phraseIDF, field: field)
            }
        }
        return matched ? total : nil
    }

    enum Mode { case union, intersection, phrase }

    /// All matching docs with scores, best first (ties by doc order).
    func rank(_ terms: [String], mode: Mode) -> [(id: String, score: Double)] {
        var results: [(doc: Int, score: Double)] = []
        for doc in 0..<docCount {
            switch mode {
            case .union:
                let scores = terms.compactMap { termScore($0, doc: doc) }
                if !scores.isEmpty { results.append((doc, scores.reduce(0, +))) }
            case .intersection:
                let scores = terms.map { termScore($0, doc: doc) }
                if scores.allSatisfy({ $0 != nil }) { results.append((doc, scores.reduce(0) { $0 + $1! })) }
            case .phrase:
                if let score = phraseScore(terms, doc: doc) { results.append((doc, score)) }
            }
        }
        results.sort { $0.score > $1.score || ($0.score == $1.score && $0.doc < $1.doc) }
        return results.map { (ids[$0.doc], $0.score) }
    }
}
