import QuarrySystem

/// An index directory: numbered, immutable generations and the `CURRENT` file naming the live one.
///
///     <dir>/CURRENT       "gen-000042\n"; replaced only by rename(2), never edited in place
///     <dir>/CURRENT.tmp   the next CURRENT while it is being made durable
///     <dir>/lock          flock(2)ed by the one quarry-index allowed to write
///     <dir>/gen-000042/   meta, terms, postings, positions, norms, ids, stored
///
/// Contract of `publish`: when it returns, CURRENT names the new generation durably; if the
/// process dies at any point before, CURRENT is untouched and still names a complete generation.
public struct IndexDirectory: Sendable {
    public let path: String
    public static let currentFileName = "CURRENT"
    public static let lockFileName = "lock"
    static let generationPrefix = "gen-"

    public init(path: String) {
        self.path = path
    }

    /// "gen-000042" for 42.
    public static func generationName(_ number: UInt64) -> String {
        let digits = String(number)
        return generationPrefix + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// 42 for "gen-000042"; nil for anything else.
    public static func generationNumber(_ name: String) -> UInt64? {
        guard name.hasPrefix(generationPrefix) else { return nil }
        let digits = name.dropFirst(generationPrefix.count)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }

    public func generationPath(_ name: String) -> String { path + "/" + name }

    /// The generation CURRENT names, or nil when there is no CURRENT.
    public func currentGeneration() throws -> String? {
        let currentPath = path + "/" + Self.currentFileName
        guard FileSystem.exists(currentPath) else { return nil }
        let text = String(decoding: try FileSystem.readFile(currentPath), as: UTF8.self)
        let name = text.trimmingCharactersNewline()
        guard Self.generationNumber(name) != nil else {
            throw IndexError(.corrupt, "\(currentPath) holds '\(name.prefix(40))', not a generation name")
        }
        return name
    }

    /// Generation directories present, by number.
    public func generations() throws -> [(number: UInt64, name: String)] {
        guard FileSystem.isDirectory(path) else { return [] }
        return try FileSystem.listDirectory(path).compactMap { name in
            guard let number = Self.generationNumber(name), FileSystem.isDirectory(generationPath(name)) else { return nil }
            return (number, name)
        }.sorted { $0.number < $1.number }
    }

    /// Takes the writer lock, creating the directory if needed.
    public func lockForWriting() throws -> FileLock {
        try FileSystem.createDirectory(path)
        do {
            return try FileLock(path: path + "/" + Self.lockFileName)
        } catch let error as SystemError where error.errno == EWOULDBLOCK_VALUE {
            throw IndexError(.locked, "another quarry-index is writing \(path) (lock file \(path)/\(Self.lockFileName) is held)")
        }
    }

    /// Points CURRENT at `name` durably (see the type's contract). Caller holds the lock and has
    /// made every file of the generation and its directory durable.
    public func publish(_ name: String) throws {
        let temporary = path + "/" + Self.currentFileName + ".tmp"
        try FileSystem.writeFileDurably(temporary, Array((name + "\n").utf8))
        try FileSystem.rename(temporary, to: path + "/" + Self.currentFileName)
        try FileSystem.syncDirectory(path)
    }

    /// Removes generations other than the live one and the one before it, and any generation
    /// directory newer than the live one (left by a crashed build). Caller holds the lock.
    /// Returns the names removed.
    @discardableResult
    public func removeUnusedGenerations() throws -> [String] {
        let live = try currentGeneration()
        let liveNumber = live.flatMap(Self.generationNumber)
        let all = try generations()
        let older = all.filter { liveNumber != nil && $0.number < liveNumber! }
        let keepPrevious = older.last?.name
        var removed: [String] = []
        for generation in all where generation.name != live && generation.name != keepPrevious {
            try FileSystem.removeTree(generationPath(generation.name))
            removed.append(generation.name)
        }
        return removed
    }
}

#if canImport(Glibc)
import Glibc
let EWOULDBLOCK_VALUE = EWOULDBLOCK
#else
import Darwin
let EWOULDBLOCK_VALUE = EWOULDBLOCK
#endif

extension String {
    func trimmingCharactersNewline() -> String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == "\r" || last == " " { s = s.dropLast() }
        return String(s)
    }
}
