import XCTest
@testable import QuarryProtocol

final class RequestDecodingTests: XCTestCase {
    private func parsed(_ line: String, limits: ProtocolLimits = .default) -> Request.Parsed {
        Request.parse(line, limits: limits)
    }

    private func assertError(_ line: String, _ code: ErrorCode, contains fragment: String? = nil,
                             id: RequestID = .null, limits: ProtocolLimits = .default,
                             file: StaticString = #filePath, line testLine: UInt = #line) {
        let result = parsed(line, limits: limits)
        XCTAssertEqual(result.id, id, "id of \(line)", file: file, line: testLine)
        switch result.result {
        case .success(let request):
            XCTFail("\(line) decoded to \(request), expected \(code)", file: file, line: testLine)
        case .failure(let error):
            XCTAssertEqual(error.code, code, "\(line): \(error.message)", file: file, line: testLine)
            if let fragment {
                XCTAssertTrue(error.message.contains(fragment), "\(error.message) lacks \(fragment)",
                              file: file, line: testLine)
            }
        }
    }

    func testFullSearchRequest() throws {
        let request = try Request.decode(Array(#"{"v":1,"id":7,"op":"search","query":"kharkiv +weapons","limit":20,"offset":5,"count":true,"snippets":false,"fields":false}"#.utf8))
        XCTAssertEqual(request.id, .number("7"))
        XCTAssertEqual(request.operation, .search(SearchRequest(query: "kharkiv +weapons", limit: 20, offset: 5,
                                                                count: true, snippets: false, fields: false)))
    }

    func testDefaults() throws {
        let request = try parsed(#"{"op":"search","query":"x"}"#).result.get()
        XCTAssertEqual(request.id, .null)
        XCTAssertEqual(request.operation, .search(SearchRequest(query: "x")))
        guard case .search(let search) = request.operation else { return XCTFail() }
        XCTAssertEqual(search.limit, 10)
        XCTAssertEqual(search.offset, 0)
        XCTAssertFalse(search.count)
        XCTAssertTrue(search.snippets)
        XCTAssertTrue(search.fields)
    }

    func testOtherOps() throws {
        XCTAssertEqual(try parsed(#"{"v":1,"id":8,"op":"status"}"#).result.get().operation, .status)
        XCTAssertEqual(try parsed(#"{"op":"ping"}"#).result.get().operation, .ping)
        XCTAssertEqual(try parsed(#"{"op":"reload"}"#).result.get().operation, .reload)
    }

    func testIdIsEchoedAsWritten() throws {
        XCTAssertEqual(parsed(#"{"id":7,"op":"ping"}"#).id, .number("7"))
        XCTAssertEqual(parsed(#"{"id":7.50,"op":"ping"}"#).id, .number("7.50"))
        XCTAssertEqual(parsed(#"{"id":-1e3,"op":"ping"}"#).id, .number("-1e3"))
        XCTAssertEqual(parsed(#"{"id":"abc","op":"ping"}"#).id, .string("abc"))
        XCTAssertEqual(parsed(#"{"id":null,"op":"ping"}"#).id, .null)
        XCTAssertEqual(parsed(#"{"op":"ping"}"#).id, .null)
        // The id is recovered even when the rest of the request is bad.
        XCTAssertEqual(parsed(#"{"id":"q1","op":"nope"}"#).id, .string("q1"))
    }

    func testMalformedJSON() {
        assertError("", .badRequest, contains: "invalid JSON")
        assertError("{", .badRequest, contains: "invalid JSON")
        assertError("{\"op\":\"ping\"", .badRequest)
        assertError("{\"op\" \"ping\"}", .badRequest, contains: "expected ':'")
        assertError("{\"op\":\"ping\",}", .badRequest)
        assertError("{'op':'ping'}", .badRequest)
        assertError("{\"op\":\"ping\"} x", .badRequest, contains: "after the JSON value")
        assertError("{\"op\":\"pi\nng\"}", .badRequest, contains: "control character")
        assertError(#"{"op":"ping","x":01}"#, .badRequest, contains: "leading zero")
        assertError(#"{"op":"ping","x":1.}"#, .badRequest)
        assertError(#"{"op":"ping","x":"\q"}"#, .badRequest, contains: "escape")
        assertError(#"{"op":"ping","x":"\ud800"}"#, .badRequest, contains: "surrogate")
        assertError(#"{"op":"ping","x":tru}"#, .badRequest, contains: "literal")
        assertError(String(repeating: "[", count: 100) + String(repeating: "]", count: 100), .badRequest,
                    contains: "nesting")
    }

    func testNotAnObject() {
        assertError("[]", .badRequest, contains: "an array")
        assertError("42", .badRequest, contains: "a number")
        assertError("\"ping\"", .badRequest, contains: "a string")
        assertError("null", .badRequest, contains: "null")
    }

    func testWrongTypes() {
        assertError(#"{"id":[1],"op":"ping"}"#, .badRequest, contains: "\"id\"")
        assertError(#"{"id":true,"op":"ping"}"#, .badRequest, contains: "\"id\"")
        assertError(#"{"op":5}"#, .badRequest, contains: "\"op\" must be a string")
        assertError(#"{"v":"1","op":"ping"}"#, .badRequest, contains: "\"v\"")
        assertError(#"{"id":1,"op":"search","query":5}"#, .badRequest, contains: "\"query\"", id: 1)
        assertError(#"{"op":"search","query":"x","limit":"10"}"#, .badRequest, contains: "\"limit\"")
        assertError(#"{"op":"search","query":"x","limit":2.5}"#, .badRequest, contains: "2.5")
        assertError(#"{"op":"search","query":"x","limit":-1}"#, .badRequest, contains: "non-negative")
        assertError(#"{"op":"search","query":"x","offset":-3}"#, .badRequest, contains: "\"offset\"")
        assertError(#"{"op":"search","query":"x","count":1}"#, .badRequest, contains: "\"count\"")
        assertError(#"{"op":"search","query":"x","snippets":"yes"}"#, .badRequest, contains: "\"snippets\"")
        assertError(#"{"op":"search","query":"x","fields":null,"count":[]}"#, .badRequest, contains: "\"count\"")
        assertError(#"{"op":"search","query":"x","limit":1e300}"#, .badRequest)
    }

    func testMissingFields() {
        assertError(#"{"id":3}"#, .badRequest, contains: "missing \"op\"", id: 3)
        assertError(#"{"op":"search"}"#, .badRequest, contains: "missing \"query\"")
    }

    func testVersionAndOp() {
        assertError(#"{"v":2,"id":1,"op":"ping"}"#, .unsupportedVersion, id: 1)
        assertError(#"{"v":0,"op":"ping"}"#, .unsupportedVersion)
        assertError(#"{"op":"explode"}"#, .unknownOp, contains: "explode")
        XCTAssertNoThrow(try parsed(#"{"v":1.0,"op":"ping"}"#).result.get())
    }

    func testLimits() {
        let limits = ProtocolLimits(maxRequestBytes: 64, maxLimit: 100, maxOffset: 50)
        assertError(#"{"op":"search","query":"x","limit":101}"#, .limitExceeded, contains: "100", limits: limits)
        assertError(#"{"op":"search","query":"x","offset":51}"#, .limitExceeded, contains: "50", limits: limits)
        XCTAssertNoThrow(try parsed(#"{"op":"search","query":"x","limit":100,"offset":50}"#, limits: limits).result.get())
        assertError(#"{"op":"search","query":"\#(String(repeating: "a", count: 100))"}"#, .tooLarge, limits: limits)
        assertError(#"{"op":"search","query":"x","limit":1001}"#, .limitExceeded)
        assertError(#"{"op":"search","query":"x","offset":10001}"#, .limitExceeded)
    }

    func testUnknownFieldsAreIgnoredAndEscapesDecoded() throws {
        let request = try parsed(#"{"op":"search","query":"caf\u00e9 \"x\" \ud83d\ude00\/","future":{"a":[1,2]}}"#).result.get()
        XCTAssertEqual(request.operation, .search(SearchRequest(query: "café \"x\" 😀/")))
    }

    func testRequestRoundTrip() throws {
        let requests = [
            Request(id: 1, operation: .search(SearchRequest(query: "a \"b c\" -d\n\t\u{01}", limit: 3, offset: 2,
                                                           count: true, snippets: false, fields: true))),
            Request(id: "s", operation: .status),
            Request(id: .null, operation: .ping),
            Request(id: .number("2.5"), operation: .reload),
        ]
        for request in requests {
            let line = request.encodedLine()
            XCTAssertEqual(line.last, UInt8(ascii: "\n"))
            XCTAssertEqual(line.filter { $0 == UInt8(ascii: "\n") }.count, 1)
            XCTAssertEqual(try Request.decode(Array(line.dropLast())), request)
        }
    }
}
