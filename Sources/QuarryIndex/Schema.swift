/// The indexed fields of format v1. Each field has its own postings (keys are prefixed by the
/// field id), its own lengths in "norms", and a weight at query time.
public enum IndexField: UInt8, CaseIterable, Sendable {
    case title = 0
    case body = 1

    /// The name used in queries (`title:word`), the meta file and stored fields.
    public var name: String {
        switch self {
        case .title: return "title"
        case .body: return "body"
        }
    }

    public init?(name: String) {
        switch name {
        case "title": self = .title
        case "body": self = .body
        default: return nil
        }
    }

    /// The dictionary key of `term` in this field: field id byte + UTF-8 bytes.
    public func key(_ term: String) -> [UInt8] {
        var key: [UInt8] = [rawValue]
        key.append(contentsOf: term.utf8)
        return key
    }
}

/// The files of one generation, in the order they are written and verified.
public enum IndexFile: String, CaseIterable, Sendable {
    case terms, postings, positions, norms, ids, stored

    /// The 4-byte magic at the start of the file.
    public var magic: String {
        switch self {
        case .terms: return "QRYT"
        case .postings: return "QRYP"
        case .positions: return "QRYX"
        case .norms: return "QRYN"
        case .ids: return "QRYI"
        case .stored: return "QRYS"
        }
    }
}
