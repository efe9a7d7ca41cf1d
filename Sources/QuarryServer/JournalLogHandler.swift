import Foundation
import Logging

/// quarryd's log lines on stderr. Under journald (JOURNAL_STREAM set, as systemd does for a
/// service whose stderr is the journal) each line starts with the syslog priority in angle
/// brackets (`<6>listening …`), which journald turns into the entry's priority, and carries no
/// timestamp (the journal adds one). Otherwise: `2026-11-25T04:50:22Z info quarryd: message key=value`.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let journal: Bool
    private static let lock = NSLock()

    public init(label: String, journal: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil) {
        self.label = label
        self.journal = journal
    }

    /// Makes every Logger in the process use this handler.
    public static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = JournalLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// syslog priority of a level (sd-daemon.h SD_DEBUG … SD_CRIT).
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        var merged = metadata
        if let explicit { merged.merge(explicit) { _, new in new } }
        let details = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let flat = "\(message)\(details)".replacingOccurrences(of: "\n", with: " ")
        let text: String
        if journal {
            text = "<\(Self.priority(level))>\(flat)\n"
        } else {
            let stamp = ISO8601DateFormatter().string(from: Date())
            text = "\(stamp) \(level) \(label): \(flat)\n"
        }
        Self.lock.lock()
        FileHandle.standardError.write(Data(text.utf8))
        Self.lock.unlock()
    }
}
