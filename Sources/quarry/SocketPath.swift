import Foundation
import QuarrySystem

/// Which socket the client talks to:
///   1. --socket PATH
///   2. $QUARRY_SOCKET
///   3. `socket = "…"` in the [daemon] section of the config file (--config, else $QUARRY_CONFIG,
///      else /etc/quarry/quarry.toml if it exists), read by `readSocketSetting` below
///   4. the default rule, duplicated from QuarryConfig.DefaultPaths.socketPath (the client links
///      only QuarryProtocol, never TOMLKit): systemd -> $RUNTIME_DIRECTORY/quarry.sock or
///      /run/quarry/quarry.sock; else $XDG_RUNTIME_DIR/quarry/quarry.sock or
///      /tmp/quarry-$UID/quarry.sock. If that socket does not exist but the other kind's
///      does (a system daemon, or a terminal that inherited INVOCATION_ID), that one is used.
enum SocketPath {
    struct ConfigProblem: Error, CustomStringConvertible {
        var description: String
    }

    static func resolve(option: String?, configOption: String?,
                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let option, !option.isEmpty { return option }
        if let fromEnvironment = environment["QUARRY_SOCKET"], !fromEnvironment.isEmpty { return fromEnvironment }
        let configPath: String?
        if let configOption {
            configPath = configOption
        } else if let fromEnvironment = environment["QUARRY_CONFIG"], !fromEnvironment.isEmpty {
            configPath = fromEnvironment
        } else if FileManager.default.fileExists(atPath: "/etc/quarry/quarry.toml") {
            configPath = "/etc/quarry/quarry.toml"
        } else {
            configPath = nil
        }
        if let configPath {
            guard let text = try? String(contentsOfFile: configPath, encoding: .utf8) else {
                throw ConfigProblem(description: "cannot read config file \(configPath)")
            }
            if let socket = readSocketSetting(text) {
                return expandTilde(socket, environment)
            }
        }
        let systemd = defaultPath(environment, systemd: true)
        let user = defaultPath(environment, systemd: false)
        let underSystemd = !(environment["INVOCATION_ID"] ?? "").isEmpty || !(environment["STATE_DIRECTORY"] ?? "").isEmpty
        let (preferred, other) = underSystemd ? (systemd, user) : (user, systemd)
        if !FileManager.default.fileExists(atPath: preferred) && FileManager.default.fileExists(atPath: other) {
            return other
        }
        return preferred
    }

    private static func defaultPath(_ environment: [String: String], systemd: Bool) -> String {
        if systemd {
            if let runtime = environment["RUNTIME_DIRECTORY"], !runtime.isEmpty {
                return String(runtime.split(separator: ":").first ?? Substring(runtime)) + "/quarry.sock"
            }
            return "/run/quarry/quarry.sock"
        }
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") {
            return runtime + "/quarry/quarry.sock"
        }
        return "/tmp/quarry-\(ProcessFacts.userID)/quarry.sock"
    }

    private static func expandTilde(_ path: String, _ environment: [String: String]) -> String {
        guard path.hasPrefix("~/"), let home = environment["HOME"] else { return path }
        return home + path.dropFirst()
    }

    /// The value of `socket = "…"` (basic or literal string) in `[daemon]`, or `daemon.socket`
    /// at top level. Only this key is read; quarryd and quarry-index validate the whole file.
    static func readSocketSetting(_ text: String) -> String? {
        var section = ""
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || line.isEmpty { continue }
            if line.hasPrefix("[") {
                section = line.dropFirst().prefix { $0 != "]" }.trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard (section == "daemon" && key == "socket") || (section.isEmpty && key == "daemon.socket") else { continue }
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard let quote = value.first, quote == "\"" || quote == "'" else { return nil }
            let body = value.dropFirst()
            guard let end = body.firstIndex(of: quote) else { return nil }
            let string = String(body[..<end])
            return quote == "\"" ? string.replacingOccurrences(of: "\\\\", with: "\\") : string
        }
        return nil
    }
}
