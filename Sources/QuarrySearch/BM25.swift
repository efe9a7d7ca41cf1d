import Foundation

/// BM25 as Lucene and tantivy define it, per field, with per-field weights:
///
///     score(d) = Σ_fields Σ_terms  boost · w_f · idf · (k1 + 1) · tf / (tf + k1 · (1 − b + b · dl / avgdl_f))
///     idf      = ln(1 + (N − n + 0.5) / (n + 0.5))
///
/// N = documents in the index, n = documents whose field f contains the term, dl = the field's
/// length in tokens, avgdl_f = its average over all documents. A phrase scores as one term whose
/// tf is the number of times the phrase occurs and whose idf is the sum of its terms' idfs.
public struct BM25Parameters: Equatable, Sendable {
    public var k1: Float
    public var b: Float
    /// Weight of each field, by field id (title, body).
    public var fieldWeights: [Float]

    public init(k1: Float = 1.2, b: Float = 0.75, titleWeight: Float = 2.0, bodyWeight: Float = 1.0) {
        self.k1 = k1
        self.b = b
        self.fieldWeights = [titleWeight, bodyWeight]
    }

    /// idf for a term in `docFreq` of `docCount` documents.
    public static func idf(docFreq: Int, docCount: Int) -> Float {
        let n = Double(docFreq), total = Double(docCount)
        return Float(log(1 + (total - n + 0.5) / (n + 0.5)))
    }
}

/// The per-posting BM25 arithmetic of one scored term (or phrase) in one field.
///
/// `score(tf, length) = weight · tf / (tf + normBase + normPerToken · length)`, with
/// weight = boost · w_f · idf · (k1 + 1), normBase = k1 · (1 − b), normPerToken = k1 · b / avgdl.
/// Monotone: rises with tf, falls with length, so (max tf, min length) bounds a block.
public struct TermWeight: Sendable {
    public let weight: Float
    public let normBase: Float
    public let normPerToken: Float

    public init(idf: Float, boost: Float, fieldWeight: Float, parameters: BM25Parameters, averageLength: Double) {
        weight = boost * fieldWeight * idf * (parameters.k1 + 1)
        normBase = parameters.k1 * (1 - parameters.b)
        normPerToken = averageLength > 0 ? parameters.k1 * parameters.b / Float(averageLength) : 0
    }

    @inline(__always)
    public func score(termFrequency: UInt32, length: UInt32) -> Float {
        let tf = Float(termFrequency)
        return weight * tf / (tf + normBase + normPerToken * Float(length))
    }
}
