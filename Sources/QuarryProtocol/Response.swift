/// What a response carries besides its id.
public enum ResponseBody: Sendable, Equatable {
    case search(SearchResponse)
    case status(StatusInfo)
    case pong
    /// The generation served after a reload (nil: still no index).
    case reloaded(generation: String?)
    case error(ProtocolError)
}

/// One response line.
public struct Response: Sendable, Equatable {
    public var id: RequestID
    public var body: ResponseBody

    public init(id: RequestID, body: ResponseBody) {
        self.id = id
        self.body = body
    }

    public var isOK: Bool {
        if case .error = body { return false }
        return true
    }

    /// Encodes the response as one line, newline included. The line holds no other newline.
    public func encodedLine() -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: estimatedByteCount)
        writer.beginObject()
        writer.key("v"); writer.int(ProtocolVersion.current)
        writer.key("id"); id.write(to: &writer)
        writer.key("ok"); writer.bool(isOK)
        switch body {
        case .search(let result):
            writer.key("total"); writer.int(result.total)
            writer.key("total_exact"); writer.bool(result.totalExact)
            writer.key("took_us"); writer.int(result.tookMicros)
            writer.key("generation"); writer.string(result.generation)
            writer.key("hits")
            writer.beginArray()
            for hit in result.hits { Response.write(hit, to: &writer) }
            writer.endArray()
        case .status(let status):
            writer.key("status")
            Response.write(status, to: &writer)
        case .pong:
            writer.key("pong"); writer.bool(true)
        case .reloaded(let generation):
            writer.key("reloaded"); writer.bool(true)
            writer.key("generation")
            if let generation { writer.string(generation) } else { writer.null() }
        case .error(let error):
            writer.key("error")
            writer.beginObject()
            writer.key("code"); writer.string(error.code.rawValue)
            writer.key("message"); writer.string(error.message)
            writer.endObject()
        }
        writer.endObject()
        writer.endLine()
        return writer.bytes
    }

    /// Room for the encoded line, so that the writer does not grow it several times.
    private var estimatedByteCount: Int {
        guard case .search(let result) = body else { return 512 }
        return result.hits.reduce(256) { total, hit in
            total + 96 + hit.id.utf8.count + hit.title.utf8.count + (hit.snippet?.utf8.count ?? 0) * 9 / 8
                + (hit.fields?.reduce(0) { $0 + 8 + $1.key.utf8.count + $1.value.utf8.count } ?? 0)
        }
    }

    private static func write(_ hit: SearchHit, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("id"); writer.string(hit.id)
        writer.key("score"); writer.double(hit.score)
        writer.key("title"); writer.string(hit.title)
        if let snippet = hit.snippet { writer.key("snippet"); writer.string(snippet) }
        if let fields = hit.fields {
            writer.key("fields")
            writer.beginObject()
            for name in fields.keys.sorted() {
                writer.key(name); writer.string(fields[name]!)
            }
            writer.endObject()
        }
        writer.endObject()
    }

    private static func write(_ status: StatusInfo, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("generation")
        if let generation = status.generation { writer.string(generation) } else { writer.null() }
        writer.key("docs"); writer.int(status.docs)
        writer.key("uptime_s"); writer.double((status.uptimeSeconds * 1000).rounded() / 1000)
        writer.key("queries"); writer.int(status.queries)
        writer.key("errors"); writer.int(status.errors)
        writer.key("index_dir"); writer.string(status.indexDir)
        writer.key("analyzer"); writer.string(status.analyzer)
        writer.key("version"); writer.string(status.version)
        if let connections = status.connections { writer.key("connections"); writer.int(connections) }
        if let latency = status.latency {
            writer.key("latency")
            writer.beginObject()
            writer.key("samples"); writer.int(latency.samples)
            writer.key("p50_us"); writer.int(latency.p50Micros)
            writer.key("p90_us"); writer.int(latency.p90Micros)
            writer.key("p99_us"); writer.int(latency.p99Micros)
            writer.key("p999_us"); writer.int(latency.p999Micros)
            writer.key("max_us"); writer.int(latency.maxMicros)
            writer.endObject()
        }
        writer.endObject()
    }

    // MARK: Decoding (the client side)

    /// Decodes a response line (newline optional). A line that is not a valid v1 response throws
    /// `ResponseDecodingError`; a well-formed error response decodes to `.error`.
    public static func decode(_ line: [UInt8]) throws -> Response {
        var line = line
        while let last = line.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { line.removeLast() }
        let document: JSONValue
        do {
            document = try JSONValue.parse(line)
        } catch {
            throw ResponseDecodingError(reason: "\(error)")
        }
        var object = try Fields(document, path: "response")
        let id: RequestID
        switch object.members["id"] {
        case nil, .null?: id = .null
        case .number(let token)?: id = .number(token)
        case .string(let text)?: id = .string(text)
        case let other?: throw ResponseDecodingError(reason: "\"id\" is \(other.typeName)")
        }
        let ok = try object.bool("ok")
        if !ok {
            var error = try Fields(object.required("error"), path: "error")
            let rawCode = try error.string("code")
            let message = try error.optionalString("message") ?? ""
            if let code = ErrorCode(rawValue: rawCode) {
                return Response(id: id, body: .error(ProtocolError(code, message)))
            }
            return Response(id: id, body: .error(ProtocolError(.internal, "[\(rawCode)] \(message)")))
        }
        if object.members["pong"] != nil {
            return Response(id: id, body: .pong)
        }
        if object.members["reloaded"] != nil {
            return Response(id: id, body: .reloaded(generation: try object.optionalString("generation")))
        }
        if let statusValue = object.members["status"] {
            var status = try Fields(statusValue, path: "status")
            var info = StatusInfo(
                generation: try status.optionalString("generation"),
                docs: try status.int("docs"),
                uptimeSeconds: try status.double("uptime_s"),
                queries: try status.int("queries"),
                errors: try status.int("errors"),
                indexDir: try status.optionalString("index_dir") ?? "",
                analyzer: try status.optionalString("analyzer") ?? "",
                version: try status.optionalString("version") ?? "")
            if status.members["connections"] != nil { info.connections = try status.int("connections") }
            if let latencyValue = status.members["latency"] {
                var latency = try Fields(latencyValue, path: "latency")
                info.latency = LatencySummary(
                    samples: try latency.int("samples"), p50Micros: try latency.int("p50_us"),
                    p90Micros: try latency.int("p90_us"), p99Micros: try latency.int("p99_us"),
                    p999Micros: latency.members["p999_us"] != nil ? try latency.int("p999_us") : try latency.int("p99_us"),
                    maxMicros: try latency.int("max_us"))
            }
            return Response(id: id, body: .status(info))
        }
        guard case .array(let hitValues) = try object.required("hits") else {
            throw ResponseDecodingError(reason: "\"hits\" is not an array")
        }
        var hits: [SearchHit] = []
        hits.reserveCapacity(hitValues.count)
        for hitValue in hitValues {
            var hit = try Fields(hitValue, path: "hit")
            var fields: [String: String]?
            if let fieldsValue = hit.members["fields"], fieldsValue != .null {
                guard case .object(let members) = fieldsValue else {
                    throw ResponseDecodingError(reason: "hit \"fields\" is not an object")
                }
                fields = [:]
                for (name, value) in members {
                    switch value {
                    case .string(let text): fields?[name] = text
                    case .number(let token): fields?[name] = token
                    case .bool(let flag): fields?[name] = String(flag)
                    default: continue
                    }
                }
            }
            hits.append(SearchHit(id: try hit.string("id"), score: try hit.double("score"),
                                  title: try hit.optionalString("title") ?? "",
                                  snippet: try hit.optionalString("snippet"), fields: fields))
        }
        let result = SearchResponse(
            total: try object.int("total"),
            totalExact: try object.optionalBool("total_exact") ?? false,
            tookMicros: try object.optionalInt("took_us") ?? 0,
            generation: try object.optionalString("generation") ?? "",
            hits: hits)
        return Response(id: id, body: .search(result))
    }
}

/// A daemon's line that is not a valid v1 response (a bug or a different program on the socket).
public struct ResponseDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { "malformed response: \(reason)" }
}

/// Typed access to an object's members, for decoding responses.
private struct Fields {
    let members: [String: JSONValue]
    let path: String

    init(_ value: JSONValue, path: String) throws {
        guard case .object(let members) = value else {
            throw ResponseDecodingError(reason: "\(path) is \(value.typeName), not an object")
        }
        self.members = members
        self.path = path
    }

    func required(_ key: String) throws -> JSONValue {
        guard let value = members[key] else { throw ResponseDecodingError(reason: "\(path) has no \"\(key)\"") }
        return value
    }

    private func mismatch(_ key: String, _ expected: String) -> ResponseDecodingError {
        ResponseDecodingError(reason: "\(path).\(key) is not \(expected)")
    }

    mutating func string(_ key: String) throws -> String {
        guard case .string(let text) = try required(key) else { throw mismatch(key, "a string") }
        return text
    }

    mutating func optionalString(_ key: String) throws -> String? {
        guard let value = members[key], value != .null else { return nil }
        guard case .string(let text) = value else { throw mismatch(key, "a string") }
        return text
    }

    mutating func int(_ key: String) throws -> Int {
        guard let number = try required(key).integer else { throw mismatch(key, "an integer") }
        return number
    }

    mutating func optionalInt(_ key: String) throws -> Int? {
        guard let value = members[key], value != .null else { return nil }
        guard let number = value.integer else { throw mismatch(key, "an integer") }
        return number
    }

    mutating func double(_ key: String) throws -> Double {
        guard let number = try required(key).double else { throw mismatch(key, "a number") }
        return number
    }

    mutating func bool(_ key: String) throws -> Bool {
        guard case .bool(let flag) = try required(key) else { throw mismatch(key, "a boolean") }
        return flag
    }

    mutating func optionalBool(_ key: String) throws -> Bool? {
        guard let value = members[key], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw mismatch(key, "a boolean") }
        return flag
    }
}
