import QuarryFormat
import QuarryTestSupport
import XCTest

/// TermDictionaryWriter / TermDictionary round trips: exact lookup and prefix scans.
final class TermDictionaryTests: XCTestCase {
    /// Sorted unique keys: a field byte then a term; many share long prefixes, some are
    /// prefixes of others, some hold multi-byte UTF-8.
    static func makeKeys(count: Int, seed: UInt64) -> [[UInt8]] {
        var random = SeededGenerator(seed: seed)
        let stems = ["", "a", "ab", "abc", "inter", "internation", "international", "zz", "é", "日本", "naïve", "x\u{1F600}"]
        let alphabet = Array("abcdeéz語".unicodeScalars.map(String.init))
        var set = Set<[UInt8]>()
        while set.count < count {
            let field = UInt8(random.next() % 3)
            var term = stems[Int(random.next() % UInt64(stems.count))]
            for _ in 0..<Int(random.next() % 6) { term += alphabet[Int(random.next() % UInt64(alphabet.count))] }
            set.insert([field] + Array(term.utf8))
        }
        return set.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Encodes `keys` with increasing offsets; returns the framed file and each key's info.
    static func makeDictionary(_ keys: [[UInt8]], seed: UInt64) -> (file: [UInt8], infos: [[UInt8]: TermPostingsInfo]) {
        var random = SeededGenerator(seed: seed)
        var writer = TermDictionaryWriter()
        var infos: [[UInt8]: TermPostingsInfo] = [:]
        var postings: UInt64 = 16, positions: UInt64 = 16
        for key in keys {
            let info = TermPostingsInfo(docFreq: Int(1 + random.next() % (random.next() % 10 == 0 ? 1_000_000 : 50)),
                                        postingsOffset: postings, positionsOffset: positions)
            postings += random.next() % 5000
            positions += random.next() % (1 << 33)
            writer.add(key: key, info: info)
            infos[key] = info
        }
        XCTAssertEqual(writer.termCount, keys.count)
        return (FileFrame.frame(magic: TermDictionaryFormat.magic, generation: 9, body: writer.finish()), infos)
    }

    static func withDictionary(_ file: [UInt8], _ body: (TermDictionary) throws -> Void) throws {
        try file.withUnsafeBytes { bytes in
            let range = try FileFrame.verify(bytes, file: "terms", magic: TermDictionaryFormat.magic, generation: 9)
            try body(try TermDictionary(file: bytes, body: range))
        }
    }

    func testLookupOfPresentAndAbsentKeys() throws {
        let keys = Self.makeKeys(count: 3000, seed: 1)
        let (file, infos) = Self.makeDictionary(keys, seed: 2)
        var random = SeededGenerator(seed: 3)
        try Self.withDictionary(file) { dictionary in
            XCTAssertEqual(dictionary.termCount, keys.count)
            for key in keys {
                XCTAssertEqual(try dictionary.lookup(key), infos[key], "key \(key)")
            }
            // Absent: before the first, after the last, between neighbours, extensions and cut-offs.
            var absent: [[UInt8]] = [[], [3], [255, 255], [0, 0], [2] + Array("zzzzzzzzzzzzzz".utf8)]
            for _ in 0..<3000 {
                let key = keys[Int(random.next() % UInt64(keys.count))]
                switch random.next() % 3 {
                case 0: absent.append(key + [UInt8(truncatingIfNeeded: random.next())])
                case 1: absent.append(Array(key.dropLast()))
                default:
                    var changed = key
                    changed[Int(random.next() % UInt64(changed.count))] ^= UInt8(1 + random.next() % 255)
                    absent.append(changed)
                }
            }
            for key in absent where infos[key] == nil {
                XCTAssertNil(try dictionary.lookup(key), "absent key \(key)")
            }
        }
    }

    func testPrefixScanEqualsBruteForceFilter() throws {
        let keys = Self.makeKeys(count: 2500, seed: 4)
        let (file, infos) = Self.makeDictionary(keys, seed: 5)
        var random = SeededGenerator(seed: 6)
        try Self.withDictionary(file) { dictionary in
            var prefixes: [[UInt8]] = [[], [0], [1], [2], [3], [0] + Array("inter".utf8), [1] + Array("日".utf8), [2, 0xE6]]
            for _ in 0..<200 {
                let key = keys[Int(random.next() % UInt64(keys.count))]
                prefixes.append(Array(key.prefix(Int(random.next() % UInt64(key.count + 1)))))
            }
            for prefix in prefixes {
                var scanned: [[UInt8]] = []
                try dictionary.forEach(withPrefix: prefix) { key, info in
                    XCTAssertEqual(info, infos[key], "prefix \(prefix) key \(key)")
                    scanned.append(key)
                    return true
                }
                XCTAssertEqual(scanned, keys.filter { $0.starts(with: prefix) }, "prefix \(prefix)")
                // Stopping early stops.
                var seen = 0
                try dictionary.forEach(withPrefix: prefix) { _, _ in seen += 1; return seen < 3 }
                XCTAssertEqual(seen, min(3, scanned.count), "prefix \(prefix)")
            }
        }
    }

    func testBlockBoundarySizesAndEmptyDictionary() throws {
        for count in [0, 1, 63, 64, 65, 128, 129] {
            let keys = Self.makeKeys(count: count, seed: UInt64(100 + count))
            let (file, infos) = Self.makeDictionary(keys, seed: 7)
            try Self.withDictionary(file) { dictionary in
                XCTAssertEqual(dictionary.termCount, count)
                for key in keys { XCTAssertEqual(try dictionary.lookup(key), infos[key], "count \(count)") }
                XCTAssertNil(try dictionary.lookup([0] + Array("absent-term".utf8)))
                var scanned = 0
                try dictionary.forEach(withPrefix: []) { _, _ in scanned += 1; return true }
                XCTAssertEqual(scanned, count)
            }
        }
    }

    /// The worked example in TermDictionary.swift.
    func testDocumentedExampleBytes() {
        var writer = TermDictionaryWriter()
        writer.add(key: [1] + Array("cat".utf8), info: TermPostingsInfo(docFreq: 3, postingsOffset: 16, positionsOffset: 16))
        writer.add(key: [1] + Array("cats".utf8), info: TermPostingsInfo(docFreq: 1, postingsOffset: 40, positionsOffset: 31))
        let body = writer.finish()
        XCTAssertEqual(Array(body.prefix(16)), [0x02, 0x00, 0x04, 0x01, 0x63, 0x61, 0x74, 0x03, 0x10, 0x10,
                                               0x04, 0x01, 0x73, 0x01, 0x18, 0x0F])
    }
}
