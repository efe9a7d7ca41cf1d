import Foundation
import XCTest
import QuarryIndex

final class InputJSONLinesTests: XCTestCase {
    func testGoodRecordsWithAllFields() throws {
        let dir = try InputScratchDirectory()
        let lines = [
            "\u{FEFF}" + #"{"id":"a1","title":"Caf\u00e9 \"open\"","body":"line1\nline2\t\\ \/ \ud83d\ude00 naïve","url":"https://x.test/a","date":"2024-05-01","source":"wire","tags":["x","y z",3,true,null,["nested"],{"o":1}],"score":4.5,"flag":false,"nothing":null,"meta":{"a":[1,{"b":2}]}}"#,
            "",
            "   \t ",
            #"{"id":42,"title":"Integer id"}"# + "\r",
            #"  { "body" : "no title" , "id" : "b2" }  "#,
            #"{"id":"c3","title":null,"tags":[],"url":"u1","url":"u2"}"#,
        ]
        let path = try dir.write("good.jsonl", lines.joined(separator: "\n") + "\n")
        let outcome = try readAll([path])
        XCTAssertEqual(outcome.bad.map(\.description), [])
        XCTAssertEqual(outcome.documents.count, 4)

        let a = outcome.documents[0]
        XCTAssertEqual(a.id, "a1")
        XCTAssertEqual(a.title, "Café \"open\"")
        XCTAssertEqual(a.body, "line1\nline2\t\\ / 😀 naïve")
        XCTAssertEqual(a.fields.map(\.name), ["url", "date", "source", "tags", "score", "flag"])
        XCTAssertEqual(a.fields.map(\.value), ["https://x.test/a", "2024-05-01", "wire", "x, y z, 3, true", "4.5", "false"])
        XCTAssertEqual(a.origin, RecordOrigin(file: path, line: 1))
        XCTAssertEqual(a.origin.description, "\(path):1")

        let b = outcome.documents[1]
        XCTAssertEqual(b.id, "42")
        XCTAssertEqual(b.title, "Integer id")
        XCTAssertEqual(b.body, "")
        XCTAssertEqual(b.origin.line, 4)

        XCTAssertEqual(outcome.documents[2].id, "b2")
        XCTAssertEqual(outcome.documents[2].title, "")
        XCTAssertEqual(outcome.documents[2].body, "no title")
        XCTAssertEqual(outcome.documents[2].origin.line, 5)

        let c = outcome.documents[3]
        XCTAssertEqual(c.title, "")
        XCTAssertEqual(c.fields.map(\.name), ["url"])
        XCTAssertEqual(c.fields.map(\.value), ["u2"])
    }

    func testLastLineWithoutNewline() throws {
        let dir = try InputScratchDirectory()
        let path = try dir.write("a.ndjson", "{\"id\":\"1\"}\n{\"id\":\"2\"}")
        XCTAssertEqual(try readAll([path]).sequence, ["doc 1", "doc 2"])
    }

    func testEachBadKindIsReportedAndSkipped() throws {
        let dir = try InputScratchDirectory()
        var bytes: [UInt8] = []
        func line(_ text: String) { bytes += Array(text.utf8) + [0x0a] }
        line(#"{"id":"g1"}"#)                                  // 1
        bytes += Array(#"{"id":"u","body":"ab"#.utf8) + [0xff, 0xfe] + Array(#""}"#.utf8) + [0x0a]   // 2
        line(#"{"id":"x","title":"unterminated}"#)             // 3
        line(#"{"id":"x" "title":"t"}"#)                        // 4
        line(#"[1,2,3]"#)                                        // 5
        line(#""just a string""#)                               // 6
        line(#"{"title":"no id"}"#)                             // 7
        line(#"{"id":"","title":"empty id"}"#)                  // 8
        line(#"{"id":1.5}"#)                                     // 9
        line(#"{"id":"t","title":7}"#)                          // 10
        line(#"{"id":"t","body":["a"]}"#)                       // 11
        line(#"{"id":"d","x":"# + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "}")  // 12
        line(#"{"id":"s","body":"\ud800 alone"}"#)              // 13
        line(#"{"id":"e","body":"\q"}"#)                        // 14
        line("{\"id\":\"c\",\"body\":\"raw\ttab\"}")          // 15
        line(#"{"id":"t"} trailing"#)                           // 16
        line(#"{"id":"g2"}"#)                                   // 17
        line("{\"id\":\"n\",\"body\":\"ok\"}\u{0}")           // 18
        bytes += [0xC3, 0x28] + Array("{}".utf8) + [0x0a]       // 19: invalid UTF-8 outside a string
        line(#"{"id":"ok63","x":"# + String(repeating: "[", count: 63) + String(repeating: "]", count: 63) + "}")  // 20
        line(#"{"id":"g3","title":"last"}"#)                    // 21
        let path = try dir.write("bad.jsonl", bytes)

        let outcome = try readAll([path])
        XCTAssertEqual(outcome.documents.map(\.id), ["g1", "g2", "ok63", "g3"])
        XCTAssertEqual(outcome.documents.map(\.origin.line), [1, 17, 20, 21])
        let reasons = Dictionary(uniqueKeysWithValues: outcome.bad.map { ($0.origin.line, $0.reason) })
        XCTAssertEqual(reasons[2], "invalid UTF-8 at byte 21")
        XCTAssertEqual(reasons[3], "invalid JSON: unterminated string (opened at byte 19) at byte 33")
        XCTAssertEqual(reasons[4], "invalid JSON: expected ',' or '}', found '\"' at byte 11")
        XCTAssertEqual(reasons[5], "not a JSON object")
        XCTAssertEqual(reasons[6], "not a JSON object")
        XCTAssertEqual(reasons[7], "missing id")
        XCTAssertEqual(reasons[8], "missing id")
        XCTAssertEqual(reasons[9], "field 'id' is not a string or integer")
        XCTAssertEqual(reasons[10], "field 'title' is not a string")
        XCTAssertEqual(reasons[11], "field 'body' is not a string")
        XCTAssertEqual(reasons[12], "invalid JSON: nesting deeper than 64 levels at byte 78")
        XCTAssertEqual(reasons[13], "invalid JSON: unpaired surrogate \\uD800 at byte 19")
        XCTAssertEqual(reasons[14], "invalid JSON: invalid escape '\\q' at byte 19")
        XCTAssertEqual(reasons[15], "invalid JSON: unescaped control character 0x9 in a string at byte 22")
        XCTAssertEqual(reasons[16], "invalid JSON: expected the end of the line after the value, found 't' at byte 12")
        XCTAssertEqual(reasons[18], "invalid JSON: expected the end of the line after the value, found byte 0x0 at byte 23")
        XCTAssertEqual(reasons[19], "invalid UTF-8 at byte 1")
        XCTAssertEqual(outcome.bad.count, 17)
        for bad in outcome.bad {
            XCTAssertEqual(bad.origin.file, path)
            XCTAssertEqual(bad.description, "\(path):\(bad.origin.line): \(bad.reason)")
        }
    }

    func testOverLimitLineIsSkippedWithSmallLimit() throws {
        let dir = try InputScratchDirectory()
        let long = #"{"id":"long","body":""# + String(repeating: "x", count: 1000) + #""}"#
        let exact = #"{"id":"exact","body":""# + String(repeating: "y", count: 100 - 24) + #""}"#
        XCTAssertEqual(exact.utf8.count, 100)
        let path = try dir.write("a.jsonl", "{\"id\":\"1\"}\n\(long)\n\(exact)\n{\"id\":\"2\"}\n\(long)")
        let outcome = try readAll([path], limits: InputLimits(maxRecordBytes: 100))
        XCTAssertEqual(outcome.sequence, ["doc 1", "bad 2", "doc exact", "doc 2", "bad 5"])
        XCTAssertEqual(outcome.bad.first?.reason, "record is \(long.utf8.count) bytes, over the limit of 100 bytes")
    }

    /// A 100 MB line between good records: reported, skipped, and never buffered whole
    /// (the reader's buffer stops at the 16 MiB limit; this checks the outcome, not RSS).
    func testHundredMegabyteLine() throws {
        let dir = try InputScratchDirectory()
        let path = dir.path + "/huge.jsonl"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data(#"{"id":"before","title":"t"}"#.utf8 + [0x0a]))
        let prefix = Data(#"{"id":"huge","body":""#.utf8)
        try handle.write(contentsOf: prefix)
        let chunk = Data(repeating: 0x61, count: 1 << 20)
        for _ in 0..<100 { try handle.write(contentsOf: chunk) }
        try handle.write(contentsOf: Data(#""}"#.utf8 + [0x0a]))
        try handle.write(contentsOf: Data(#"{"id":"after","title":"t2"}"#.utf8 + [0x0a]))
        try handle.close()

        let outcome = try readAll([path])
        XCTAssertEqual(outcome.sequence, ["doc before", "bad 2", "doc after"])
        let hugeBytes = prefix.count + 100 << 20 + 2
        XCTAssertEqual(outcome.bad.first?.reason, "record is \(hugeBytes) bytes, over the limit of \(16 << 20) bytes")
        XCTAssertEqual(outcome.documents.last?.origin.line, 3)
    }

    /// Records larger than the 1 MiB read chunk, and many small ones across chunk boundaries.
    func testRecordsSpanningReadChunks() throws {
        let dir = try InputScratchDirectory()
        let big = String(repeating: "word ", count: 600_000)   // 3 MB body
        var text = makeCorpus(count: 3000)
        text += #"{"id":"big","body":"\#(big)"}"# + "\n"
        text += makeCorpus(count: 10, seed: 7)
        let path = try dir.write("a.jsonl", text)
        let outcome = try readAll([path])
        XCTAssertEqual(outcome.bad.map(\.description), [])
        XCTAssertEqual(outcome.documents.count, 3011)
        XCTAssertEqual(outcome.documents[3000].id, "big")
        XCTAssertEqual(outcome.documents[3000].body, big)
        XCTAssertEqual(outcome.documents[3010].origin.line, 3011)
    }

    func testMultipleSourcesInOrderAndByteCounts() throws {
        let dir = try InputScratchDirectory()
        let first = try dir.write("one.jsonl", "{\"id\":\"1\"}\n{\"id\":\"2\"}\n")
        let second = try dir.write("two.json", "{\"id\":\"3\"}\n")
        try dir.write("tree/x.txt", "Title\nbody")
        let reader = try DocumentReader(sources: [first, second, dir.path + "/tree"])
        XCTAssertEqual(reader.totalBytes, 22 + 11 + 10)
        XCTAssertEqual(reader.bytesRead, 0)
        var ids: [String] = []
        while let result = try reader.next() { ids.append(try result.get().id) }
        XCTAssertEqual(ids, ["1", "2", "3", "x.txt"])
        XCTAssertEqual(reader.bytesRead, 43)
        XCTAssertNil(try DocumentReader(sources: [first, "-"]).totalBytes)
    }

    func testMissingSourceThrows() throws {
        let dir = try InputScratchDirectory()
        let missing = dir.path + "/nope.jsonl"
        XCTAssertThrowsError(try DocumentReader(sources: [missing])) { error in
            XCTAssertEqual((error as? InputError)?.message, "cannot open '\(missing)': No such file or directory")
        }
    }

    /// No input, however broken, traps: random mutations of good lines are documents or bad records.
    func testMutatedLinesNeverCrash() throws {
        let dir = try InputScratchDirectory()
        var random = SeededRandom(seed: 2024)
        let seeds = Array(makeCorpus(count: 50, bodyWords: 3...12).split(separator: "\n").map { Array($0.utf8) })
        let alphabet = Array(#"{}[]",:\u0123456789abcdefDntrue-+.eE "#.utf8) + [0x00, 0x0d, 0x80, 0xC3, 0xED, 0xF4, 0xFF]
        var bytes: [UInt8] = []
        for _ in 0..<5000 {
            var line = seeds[Int.random(in: 0..<seeds.count, using: &random)]
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let at = Int.random(in: 0..<line.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: line[at] = alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
                case 1: line.remove(at: at)
                default: line.insert(alphabet[Int.random(in: 0..<alphabet.count, using: &random)], at: at)
                }
            }
            bytes += line.filter { $0 != 0x0a } + [0x0a]
        }
        let path = try dir.write("fuzz.jsonl", bytes)
        let outcome = try readAll([path])
        XCTAssertEqual(outcome.documents.count + outcome.bad.count, 5000 - blankLineCount(bytes))
        XCTAssertGreaterThan(outcome.bad.count, 1000)
        for document in outcome.documents { XCTAssertFalse(document.id.isEmpty) }
    }

    private func blankLineCount(_ bytes: [UInt8]) -> Int {
        bytes.split(separator: 0x0a, omittingEmptySubsequences: false).dropLast()
            .filter { $0.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0d } }.count
    }
}
