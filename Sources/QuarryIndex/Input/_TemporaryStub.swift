// TEMPORARY: stand-in with the agreed API until the real input layer merges. Deleted at merge.
import Foundation
public struct RecordOrigin: Sendable, Equatable, CustomStringConvertible { public var file: String; public var line: Int; public var description: String { "\(file):\(line)" } }
public struct SourceDocument: Sendable {
    public var id: String; public var title: String; public var body: String
    public var fields: [(name: String, value: String)]; public var origin: RecordOrigin
}
public struct BadRecord: Error, Sendable, CustomStringConvertible { public var origin: RecordOrigin; public var reason: String; public var description: String { "\(origin): \(reason)" } }
public struct InputLimits: Sendable { public var maxRecordBytes: Int = 16 << 20; public static let `default` = InputLimits() }
public struct InputError: Error, CustomStringConvertible { public var message: String; public var description: String { message } }
public final class DocumentReader {
    var lines: [Substring] = []; var i = 0; let path: String
    public init(sources: [String], limits: InputLimits = .default) throws {
        path = sources[0]
        guard let d = FileManager.default.contents(atPath: path) else { throw InputError(message: "cannot open '\(path)'") }
        lines = String(decoding: d, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    }
    public func next() throws -> Result<SourceDocument, BadRecord>? {
        while i < lines.count {
            let line = lines[i]; i += 1
            if line.isEmpty { continue }
            let origin = RecordOrigin(file: path, line: i)
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let id = o["id"] as? String else { return .failure(BadRecord(origin: origin, reason: "bad")) }
            return .success(SourceDocument(id: id, title: o["title"] as? String ?? "", body: o["body"] as? String ?? "", fields: [], origin: origin))
        }
        return nil
    }
    public var bytesRead: Int { 0 }
    public var totalBytes: Int? { nil }
}
