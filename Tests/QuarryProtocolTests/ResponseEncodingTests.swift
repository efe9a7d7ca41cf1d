import XCTest
@testable import QuarryProtocol

final class ResponseEncodingTests: XCTestCase {
    /// Escapes at the start, middle and end of a string, back to back, between runs of plain
    /// bytes (copied whole) and beside non-ASCII text, which is kept as UTF-8.
    func testStringEscapesAroundRunsOfPlainBytes() throws {
        var writer = JSONWriter()
        writer.beginArray()
        writer.string("\"a\\b\nc\r\td\u{02}\u{03}é\u{7F}\u{0}x\u{1F}\"")
        writer.string("")
        writer.string("plain text, no escapes — ünïcode 日本")
        writer.endArray()
        XCTAssertEqual(String(decoding: writer.bytes, as: UTF8.self),
                       #"["\"a\\b\nc\r\td\u0002\u0003é\u007f\u0000x\u001f\"","","plain text, no escapes — ünïcode 日本"]"#)
        let parsed = try JSONValue.parse(writer.bytes)
        XCTAssertEqual(parsed, .array([.string("\"a\\b\nc\r\td\u{02}\u{03}é\u{7F}\u{0}x\u{1F}\""), .string(""),
                                       .string("plain text, no escapes — ünïcode 日本")]))
    }

    private func text(_ response: Response) -> String {
        String(decoding: response.encodedLine(), as: UTF8.self)
    }

    func testSearchResponseShape() {
        let hit = SearchHit(id: "doc-42", score: 12.7, title: "T", snippet: "a \(Highlight.mark("b")) c",
                            fields: ["url": "http://x/", "date": "2024"])
        let response = Response(id: 7, body: .search(SearchResponse(total: 1234, totalExact: true, tookMicros: 180,
                                                                     generation: "gen-000001", hits: [hit])))
        XCTAssertEqual(text(response), #"{"v":1,"id":7,"ok":true,"total":1234,"total_exact":true,"took_us":180,"generation":"gen-000001","hits":[{"id":"doc-42","score":12.7,"title":"T","snippet":"a \u0002b\u0003 c","fields":{"date":"2024","url":"http://x/"}}]}"# + "\n")
    }

    func testOtherShapes() {
        XCTAssertEqual(text(Response(id: 9, body: .pong)), #"{"v":1,"id":9,"ok":true,"pong":true}"# + "\n")
        XCTAssertEqual(text(Response(id: .null, body: .error(ProtocolError(.badQuery, "unbalanced parenthesis at 14")))),
                       #"{"v":1,"id":null,"ok":false,"error":{"code":"bad_query","message":"unbalanced parenthesis at 14"}}"# + "\n")
        XCTAssertEqual(text(Response(id: "x", body: .reloaded(generation: nil))),
                       #"{"v":1,"id":"x","ok":true,"reloaded":true,"generation":null}"# + "\n")
        let status = StatusInfo(generation: "gen-000001", docs: 7807, uptimeSeconds: 12.5, queries: 41, errors: 2,
                                indexDir: "/i", analyzer: "english", version: "quarry 0.1.0")
        XCTAssertEqual(text(Response(id: 8, body: .status(status))),
                       #"{"v":1,"id":8,"ok":true,"status":{"generation":"gen-000001","docs":7807,"uptime_s":12.5,"queries":41,"errors":2,"index_dir":"/i","analyzer":"english","version":"quarry 0.1.0"}}"# + "\n")
    }

    func testEscapingKeepsOneLine() {
        let nasty = "line1\nline2\r\"q\"\\ \u{00}\u{1F}\u{7F} é 😀 \u{2028}"
        let response = Response(id: .string(nasty), body: .error(ProtocolError(.internal, nasty)))
        let line = response.encodedLine()
        XCTAssertEqual(line.filter { $0 == UInt8(ascii: "\n") }.count, 1)
        XCTAssertFalse(line.dropLast().contains { $0 < 0x20 })
        XCTAssertEqual(try Response.decode(line), response)
    }

    func testRoundTrips() throws {
        let responses: [Response] = [
            Response(id: 1, body: .search(SearchResponse(total: 0, totalExact: false, tookMicros: 3, generation: "g", hits: []))),
            Response(id: "two", body: .search(SearchResponse(total: 5, totalExact: true, tookMicros: 99, generation: "gen-000002", hits: [
                SearchHit(id: "a", score: 1.5, title: "A", snippet: nil, fields: nil),
                SearchHit(id: "b", score: 0.000012345, title: "", snippet: Highlight.mark("x"), fields: ["k": "v"]),
                SearchHit(id: "c", score: 1e20, title: "C"),
            ]))),
            Response(id: .null, body: .pong),
            Response(id: .number("1.0"), body: .reloaded(generation: "gen-000003")),
            Response(id: 4, body: .status(StatusInfo(generation: nil, docs: 0, uptimeSeconds: 0.125, queries: 1, errors: 0,
                                                     indexDir: "", analyzer: "", version: "v", connections: 3,
                                                     latency: LatencySummary(samples: 10, p50Micros: 1, p90Micros: 2,
                                                                             p99Micros: 3, p999Micros: 3, maxMicros: 4)))),
        ] + ErrorCode.allCases.map { Response(id: 5, body: .error(ProtocolError($0, "m \($0)"))) }
        for response in responses {
            XCTAssertEqual(try Response.decode(response.encodedLine()), response)
        }
    }

    func testUnknownErrorCodeFromNewerDaemon() throws {
        let decoded = try Response.decode(Array(#"{"v":1,"id":1,"ok":false,"error":{"code":"brand_new","message":"m"}}"#.utf8))
        XCTAssertEqual(decoded.body, .error(ProtocolError(.internal, "[brand_new] m")))
    }

    func testMalformedResponse() {
        XCTAssertThrowsError(try Response.decode(Array("not json".utf8)))
        XCTAssertThrowsError(try Response.decode(Array(#"{"v":1,"id":1}"#.utf8)))
        XCTAssertThrowsError(try Response.decode(Array(#"{"v":1,"id":1,"ok":true,"total":"x","hits":[]}"#.utf8)))
    }

    func testHighlight() {
        let snippet = "the \(Highlight.mark("quick")) fox \(Highlight.mark("jumps"))"
        XCTAssertEqual(Highlight.strip(snippet), "the quick fox jumps")
        XCTAssertEqual(Highlight.render(snippet, open: "<b>", close: "</b>"), "the <b>quick</b> fox <b>jumps</b>")
        XCTAssertEqual(Highlight.sanitize("a\u{02}b\u{03}c"), "abc")
        XCTAssertEqual(Highlight.strip("plain"), "plain")
    }

    func testCodableKeysMatchTheWire() throws {
        let status = StatusInfo(generation: "g", docs: 1, indexDir: "d", analyzer: "a", version: "v")
        let json = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
        XCTAssertTrue(json.contains("\"uptime_s\""))
        XCTAssertTrue(json.contains("\"index_dir\""))
    }
}
