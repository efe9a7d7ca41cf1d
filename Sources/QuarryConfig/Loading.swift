import Foundation
import TOMLKit

extension QuarryConfiguration {
    /// Where the config comes from when no path is given.
    public static let systemConfigPath = "/etc/quarry/quarry.toml"

    /// Loads the config file.
    ///
    /// - `path` given: that file (it must exist).
    /// - nil: `$QUARRY_CONFIG` if set (it must exist), else /etc/quarry/quarry.toml if it exists,
    ///   else the embedded defaults.
    public static func load(path: String?, environment: ConfigEnvironment = .current) throws -> QuarryConfiguration {
        let chosen: String
        if let path {
            chosen = path
        } else if let fromEnvironment = environment.value("QUARRY_CONFIG") {
            chosen = fromEnvironment
        } else if FileManager.default.fileExists(atPath: systemConfigPath) {
            chosen = systemConfigPath
        } else {
            return defaults(environment: environment)
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: chosen))
        } catch {
            let reason = FileManager.default.fileExists(atPath: chosen)
                ? "cannot read the config file" : "no such config file"
            throw ConfigError(path: chosen, line: nil, reason: reason)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(path: chosen, line: nil, reason: "the config file is not valid UTF-8")
        }
        return try parse(text: text, path: chosen, environment: environment)
    }

    /// Parses config text. `path` is used in error messages and recorded as `sourcePath`.
    /// Unknown sections or keys, wrong types and out-of-range values are errors: a typo must
    /// not silently fall back to a default.
    public static func parse(text: String, path: String, environment: ConfigEnvironment = .current) throws -> QuarryConfiguration {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(path: path, line: error.source.begin.line, reason: error.description)
        }
        var configuration = defaults(environment: environment)
        configuration.sourcePath = path
        let locator = KeyLocator(text: text)
        for (sectionName, sectionValue) in table {
            guard let keys = Schema.sections[sectionName] else {
                throw ConfigError(path: path, line: locator.line(section: nil, key: sectionName),
                                  reason: "unknown section [\(sectionName)] (known: \(Schema.sectionNames))")
            }
            guard let section = sectionValue.table else {
                throw ConfigError(path: path, line: locator.line(section: nil, key: sectionName),
                                  reason: "\(sectionName) must be a section ([\(sectionName)]), not a \(sectionValue.type)")
            }
            for (key, value) in section {
                let line = locator.line(section: sectionName, key: key)
                guard let setting = keys[key] else {
                    let known = keys.keys.sorted().joined(separator: ", ")
                    throw ConfigError(path: path, line: line,
                                      reason: "unknown key \"\(key)\" in [\(sectionName)] (known: \(known))")
                }
                do {
                    try setting(value, &configuration, environment)
                } catch let error as SettingError {
                    throw ConfigError(path: path, line: line, reason: "\(sectionName).\(key): \(error.reason)")
                }
            }
        }
        return configuration
    }
}

struct SettingError: Error {
    var reason: String
}

/// Every key, its type, range and where it goes.
enum Schema {
    typealias Apply = (TOMLValueConvertible, inout QuarryConfiguration, ConfigEnvironment) throws -> Void

    static var sectionNames: String { sections.keys.sorted().joined(separator: ", ") }

    static let sections: [String: [String: Apply]] = [
        "index": [
            "dir": { value, config, environment in config.index.dir = try path(value, environment) },
        ],
        "daemon": [
            "socket": { value, config, environment in
                let socket = try path(value, environment)
                // sun_path holds 108 bytes including the terminating NUL.
                guard socket.utf8.count <= 107 else { throw SettingError(reason: "socket path longer than 107 bytes") }
                config.daemon.socket = socket
            },
            "socket_mode": { value, config, _ in config.daemon.socketMode = try fileMode(value) },
            "max_connections": { value, config, _ in config.daemon.maxConnections = try int(value, 1...65_536) },
            "max_request_bytes": { value, config, _ in config.daemon.maxRequestBytes = try int(value, 256...16_777_216) },
            "idle_timeout_s": { value, config, _ in config.daemon.idleTimeoutSeconds = try double(value, 0...604_800) },
            "worker_threads": { value, config, _ in config.daemon.workerThreads = try int(value, 0...1_024) },
        ],
        "search": [
            "k1": { value, config, _ in config.search.k1 = try double(value, 0...100) },
            "b": { value, config, _ in config.search.b = try double(value, 0...1) },
            "default_operator": { value, config, _ in
                let text = try string(value)
                guard let op = DefaultOperator(rawValue: text.lowercased()) else {
                    throw SettingError(reason: "must be \"or\" or \"and\", not \"\(text)\"")
                }
                config.search.defaultOperator = op
            },
            "title_weight": { value, config, _ in config.search.titleWeight = try double(value, 0...1_000) },
            "body_weight": { value, config, _ in config.search.bodyWeight = try double(value, 0...1_000) },
            "max_limit": { value, config, _ in config.search.maxLimit = try int(value, 1...100_000) },
            "max_offset": { value, config, _ in config.search.maxOffset = try int(value, 0...10_000_000) },
            "max_clauses": { value, config, _ in config.search.maxClauses = try int(value, 1...65_536) },
            "max_depth": { value, config, _ in config.search.maxDepth = try int(value, 1...1_000) },
            "snippet_bytes": { value, config, _ in config.search.snippetBytes = try int(value, 0...65_536) },
        ],
        "analysis": [
            "language": { value, config, _ in
                let text = try string(value)
                guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "_") }) else {
                    throw SettingError(reason: "must be a Snowball language name such as \"english\" (or \"none\"), not \"\(text)\"")
                }
                config.analysis.language = text.lowercased()
            },
            "stopwords": { value, config, _ in config.analysis.stopwords = try bool(value) },
            "fold_diacritics": { value, config, _ in config.analysis.foldDiacritics = try bool(value) },
        ],
        "indexer": [
            "max_record_bytes": { value, config, _ in config.indexer.maxRecordBytes = try int(value, 1_024...1_073_741_824) },
            "memory": { value, config, _ in config.indexer.memoryBytes = try byteSize(value, (16 << 20)...(1 << 40)) },
            "reorder": { value, config, _ in
                let text = try string(value)
                guard IndexerSettings.reorderMethods.contains(text.lowercased()) else {
                    throw SettingError(reason: "must be \"none\" or \"bp\" (recursive graph bisection), not \"\(text)\"")
                }
                config.indexer.reorder = text.lowercased()
            },
        ],
    ]

    private static func typeMismatch(_ expected: String, _ value: TOMLValueConvertible) -> SettingError {
        SettingError(reason: "must be \(expected), not \(article(value.type))")
    }

    private static func article(_ type: TOMLType) -> String {
        switch type {
        case .int: return "an integer"
        case .array: return "an array"
        default: return "a \(type)"
        }
    }

    static func int(_ value: TOMLValueConvertible, _ range: ClosedRange<Int>) throws -> Int {
        guard value.type == .int, let number = value.int else { throw typeMismatch("an integer", value) }
        guard range.contains(number) else {
            throw SettingError(reason: "\(number) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    static func double(_ value: TOMLValueConvertible, _ range: ClosedRange<Double>) throws -> Double {
        let number: Double
        switch value.type {
        case .double: number = value.double ?? .nan
        case .int: number = Double(value.int ?? 0)
        default: throw typeMismatch("a number", value)
        }
        guard range.contains(number) else {
            throw SettingError(reason: "\(number) is out of range \(format(range.lowerBound))...\(format(range.upperBound))")
        }
        return number
    }

    private static func format(_ number: Double) -> String {
        number == number.rounded() ? String(Int(number)) : String(number)
    }

    static func string(_ value: TOMLValueConvertible) throws -> String {
        guard value.type == .string, let text = value.string else { throw typeMismatch("a string", value) }
        return text
    }

    static func bool(_ value: TOMLValueConvertible) throws -> Bool {
        guard value.type == .bool, let flag = value.bool else { throw typeMismatch("true or false", value) }
        return flag
    }

    static func path(_ value: TOMLValueConvertible, _ environment: ConfigEnvironment) throws -> String {
        let text = try string(value)
        guard !text.isEmpty else { throw SettingError(reason: "must not be empty") }
        let expanded = DefaultPaths.expandTilde(text, environment)
        guard expanded.hasPrefix("/") else { throw SettingError(reason: "must be an absolute path (or start with ~/), not \"\(text)\"") }
        return expanded
    }

    /// "0660" (octal string) or an integer written in octal (0o660).
    static func fileMode(_ value: TOMLValueConvertible) throws -> UInt16 {
        let mode: Int
        switch value.type {
        case .string:
            let text = value.string ?? ""
            guard !text.isEmpty, let parsed = Int(text, radix: 8) else {
                throw SettingError(reason: "must be an octal mode such as \"0660\", not \"\(text)\"")
            }
            mode = parsed
        case .int:
            mode = value.int ?? -1
        default:
            throw typeMismatch("an octal mode string such as \"0660\"", value)
        }
        guard (0...0o777).contains(mode) else { throw SettingError(reason: "mode must be between 0000 and 0777") }
        return UInt16(mode)
    }

    /// "512M", "2G", "65536K", "1GiB", "1048576" or an integer number of bytes. Suffixes are binary (K = 1024).
    static func byteSize(_ value: TOMLValueConvertible, _ range: ClosedRange<Int>) throws -> Int {
        let bytes: Int
        switch value.type {
        case .int:
            bytes = value.int ?? 0
        case .string:
            let text = (value.string ?? "").trimmingCharacters(in: .whitespaces)
            guard let parsed = ByteSize.parse(text) else {
                throw SettingError(reason: "must be a size such as \"512M\" (K, M, G suffixes), not \"\(text)\"")
            }
            bytes = parsed
        default:
            throw typeMismatch("a size such as \"512M\"", value)
        }
        guard range.contains(bytes) else {
            throw SettingError(reason: "\(bytes) bytes is out of range \(range.lowerBound >> 20)M...\(range.upperBound >> 30)G")
        }
        return bytes
    }
}

/// Finds the line of a key in the source text (TOMLKit does not expose node positions).
/// Understands `[section]` headers and `key = …` / `"key" = …` lines; good enough for the flat
/// layout of quarry.toml.
struct KeyLocator {
    private var lines: [(section: String?, key: String?, header: String?)] = []

    init(text: String) {
        var section: String?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") && !line.hasPrefix("[[") {
                let name = line.dropFirst().prefix { $0 != "]" }.trimmingCharacters(in: .whitespaces)
                section = name.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                lines.append((section, nil, section))
                continue
            }
            guard let equals = line.firstIndex(of: "="), !line.hasPrefix("#") else {
                lines.append((section, nil, nil))
                continue
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            lines.append((section, key, nil))
        }
    }

    /// 1-based line of `key` in `section` (nil section: a top-level key or a section header).
    func line(section: String?, key: String) -> Int? {
        for (offset, entry) in lines.enumerated() {
            if let section {
                if entry.section == section && entry.key == key { return offset + 1 }
                if entry.section == nil && entry.key == "\(section).\(key)" { return offset + 1 }
            } else {
                if entry.header == key || (entry.section == nil && entry.key == key) { return offset + 1 }
                if entry.section == nil, let dotted = entry.key, dotted.hasPrefix(key + ".") { return offset + 1 }
            }
        }
        return nil
    }
}

/// Sizes written as "512M", "2G", "64K", "1GiB" or a plain number of bytes (binary suffixes),
/// as the config file and `quarry-index --memory` take them.
public enum ByteSize {
    /// The number of bytes, or nil when malformed or too large.
    public static func parse(_ text: String) -> Int? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces).uppercased())
        if digits.hasSuffix("IB") { digits = digits.dropLast(2) } else if digits.hasSuffix("B") { digits = digits.dropLast() }
        var shift = 0
        switch digits.last {
        case "K": shift = 10
        case "M": shift = 20
        case "G": shift = 30
        case "T": shift = 40
        default: shift = 0
        }
        if shift > 0 { digits = digits.dropLast() }
        guard let number = Int(digits), number >= 0, number <= (Int.max >> shift) else { return nil }
        return number << shift
    }
}
