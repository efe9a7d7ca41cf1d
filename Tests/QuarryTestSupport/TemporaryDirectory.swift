import Foundation

/// A fresh directory under the system temp dir, removed by `remove()`.
public struct TemporaryDirectory {
    public let path: String

    public init(_ label: String = "quarry-test") throws {
        let base = NSTemporaryDirectory() + "\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: file(name)))
    }

    public func write(_ name: String, bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: file(name)))
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A deterministic pseudo-random generator (SplitMix64) so that a failing seed can be replayed.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// JSON Lines for documents, with proper escaping.
public func jsonLine(_ object: [String: Any]) -> String {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// A random corpus over a small Zipf-distributed vocabulary (so frequent words span many
/// 128-document blocks and rare words sit in one).
public struct GeneratedCorpus {
    public struct Document {
        public var id: String
        public var title: String
        public var body: String
    }

    public static let vocabulary: [String] = [
        "river", "stone", "market", "winter", "garden", "signal", "harbor", "copper", "forest", "engine",
        "silver", "lantern", "meadow", "thunder", "canyon", "violet", "orbit", "pepper", "saddle", "tunnel",
        "anchor", "basket", "candle", "desert", "ember", "falcon", "glacier", "hammer", "island", "jungle",
        "kettle", "ladder", "mirror", "needle", "oyster", "pillow", "quartz", "ribbon", "sapphire", "timber",
        "umbrella", "velvet", "walnut", "yarrow", "zephyr", "bridge", "castle", "dragon", "feather", "goblet",
    ]

    public var documents: [Document] = []

    public init(documentCount: Int, seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        // Zipf weights 1/(rank+1).
        let weights = Self.vocabulary.indices.map { 1.0 / Double($0 + 1) }
        let total = weights.reduce(0, +)
        func word() -> String {
            var x = Double.random(in: 0..<total, using: &random)
            for (i, w) in weights.enumerated() {
                if x < w { return Self.vocabulary[i] }
                x -= w
            }
            return Self.vocabulary.last!
        }
        for i in 0..<documentCount {
            let titleLength = Int.random(in: 0...4, using: &random)
            let bodyLength = Int.random(in: 0...(i % 7 == 0 ? 300 : 60), using: &random)
            let title = (0..<titleLength).map { _ in word() }.joined(separator: " ")
            let body = (0..<bodyLength).map { _ in word() }.joined(separator: i % 3 == 0 ? ", " : " ")
            documents.append(Document(id: "doc-\(i)", title: title.capitalized, body: body))
        }
    }

    public var jsonLines: String {
        documents.map { jsonLine(["id": $0.id, "title": $0.title, "body": $0.body]) }.joined(separator: "\n") + "\n"
    }
}
