/// The operation a request asks for.
public enum Operation: Sendable, Equatable {
    case search(SearchRequest)
    case status
    case ping
    /// Re-read `CURRENT` and swap to the newest generation.
    case reload

    /// The `op` string on the wire.
    public var name: String {
        switch self {
        case .search: return "search"
        case .status: return "status"
        case .ping: return "ping"
        case .reload: return "reload"
        }
    }
}

/// One decoded request line.
public struct Request: Sendable, Equatable {
    public var id: RequestID
    public var operation: Operation

    public init(id: RequestID = .null, operation: Operation) {
        self.id = id
        self.operation = operation
    }

    /// The outcome of decoding one line: the id (recovered whenever the line was a JSON object
    /// with a valid id, so that even an error response can echo it) and the request or the error.
    public struct Parsed: Sendable, Equatable {
        public var id: RequestID
        public var result: Result<Request, ProtocolError>
    }

    /// Decodes one request line (without its newline). Never throws and never traps: every
    /// malformation becomes a `ProtocolError` in `result`.
    public static func parse(_ line: UnsafeRawBufferPointer, limits: ProtocolLimits = .default) -> Parsed {
        if line.count > limits.maxRequestBytes {
            return Parsed(id: .null, result: .failure(ProtocolError(.tooLarge,
                "request line of \(line.count) bytes exceeds the limit of \(limits.maxRequestBytes) bytes")))
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(line)
        } catch let error as JSONSyntaxError {
            return Parsed(id: .null, result: .failure(ProtocolError(.badRequest, error.description)))
        } catch {
            return Parsed(id: .null, result: .failure(ProtocolError(.badRequest, "\(error)")))
        }
        guard case .object(let members) = document else {
            return Parsed(id: .null, result: .failure(ProtocolError(.badRequest,
                "a request must be a JSON object, not \(document.typeName)")))
        }
        let id: RequestID
        switch members["id"] {
        case nil, .null?: id = .null
        case .number(let token)?: id = .number(token)
        case .string(let text)?: id = .string(text)
        case let other?:
            return Parsed(id: .null, result: .failure(ProtocolError(.badRequest,
                "\"id\" must be a number or a string, not \(other.typeName)")))
        }
        do {
            let operation = try decodeOperation(members, limits: limits)
            return Parsed(id: id, result: .success(Request(id: id, operation: operation)))
        } catch let error as ProtocolError {
            return Parsed(id: id, result: .failure(error))
        } catch {
            return Parsed(id: id, result: .failure(ProtocolError(.internal, "\(error)")))
        }
    }

    /// Decodes one request line from a byte array.
    public static func parse(_ line: [UInt8], limits: ProtocolLimits = .default) -> Parsed {
        line.withUnsafeBytes { parse($0, limits: limits) }
    }

    /// Decodes one request line from a string.
    public static func parse(_ line: String, limits: ProtocolLimits = .default) -> Parsed {
        parse(Array(line.utf8), limits: limits)
    }

    /// Decodes one request line, throwing the `ProtocolError` on any malformation.
    public static func decode(_ line: [UInt8], limits: ProtocolLimits = .default) throws -> Request {
        try parse(line, limits: limits).result.get()
    }

    private static func decodeOperation(_ members: [String: JSONValue], limits: ProtocolLimits) throws -> Operation {
        if let version = members["v"] {
            guard let number = version.integer else {
                throw ProtocolError(.badRequest, "\"v\" must be an integer, not \(version.typeName)")
            }
            guard number == ProtocolVersion.current else {
                throw ProtocolError(.unsupportedVersion,
                    "protocol version \(number) is not supported; this daemon speaks version \(ProtocolVersion.current)")
            }
        }
        guard let op = members["op"] else { throw ProtocolError(.badRequest, "missing \"op\"") }
        guard case .string(let name) = op else {
            throw ProtocolError(.badRequest, "\"op\" must be a string, not \(op.typeName)")
        }
        switch name {
        case "search": return .search(try decodeSearch(members, limits: limits))
        case "status": return .status
        case "ping": return .ping
        case "reload": return .reload
        default:
            throw ProtocolError(.unknownOp, "unknown op \"\(name)\" (known: search, status, ping, reload)")
        }
    }

    private static func decodeSearch(_ members: [String: JSONValue], limits: ProtocolLimits) throws -> SearchRequest {
        guard let queryValue = members["query"] else { throw ProtocolError(.badRequest, "missing \"query\"") }
        guard case .string(let query) = queryValue else {
            throw ProtocolError(.badRequest, "\"query\" must be a string, not \(queryValue.typeName)")
        }
        var request = SearchRequest(query: query)
        request.limit = try integer(members, "limit", default: request.limit)
        request.offset = try integer(members, "offset", default: request.offset)
        request.count = try boolean(members, "count", default: request.count)
        request.snippets = try boolean(members, "snippets", default: request.snippets)
        request.fields = try boolean(members, "fields", default: request.fields)
        if request.limit > limits.maxLimit {
            throw ProtocolError(.limitExceeded, "limit \(request.limit) exceeds the maximum of \(limits.maxLimit)")
        }
        if request.offset > limits.maxOffset {
            throw ProtocolError(.limitExceeded, "offset \(request.offset) exceeds the maximum of \(limits.maxOffset)")
        }
        return request
    }

    private static func integer(_ members: [String: JSONValue], _ key: String, default value: Int) throws -> Int {
        guard let raw = members[key], raw != .null else { return value }
        guard let number = raw.integer, number >= 0 else {
            throw ProtocolError(.badRequest, "\"\(key)\" must be a non-negative integer, not \(describe(raw))")
        }
        return number
    }

    private static func boolean(_ members: [String: JSONValue], _ key: String, default value: Bool) throws -> Bool {
        guard let raw = members[key], raw != .null else { return value }
        guard case .bool(let flag) = raw else {
            throw ProtocolError(.badRequest, "\"\(key)\" must be true or false, not \(describe(raw))")
        }
        return flag
    }

    private static func describe(_ value: JSONValue) -> String {
        if case .number(let token) = value { return token }
        return value.typeName
    }

    /// Encodes the request as one line, newline included (what the client sends).
    public func encodedLine() -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("v"); writer.int(ProtocolVersion.current)
        writer.key("id"); id.write(to: &writer)
        writer.key("op"); writer.string(operation.name)
        if case .search(let search) = operation {
            writer.key("query"); writer.string(search.query)
            writer.key("limit"); writer.int(search.limit)
            writer.key("offset"); writer.int(search.offset)
            writer.key("count"); writer.bool(search.count)
            writer.key("snippets"); writer.bool(search.snippets)
            writer.key("fields"); writer.bool(search.fields)
        }
        writer.endObject()
        writer.endLine()
        return writer.bytes
    }
}
