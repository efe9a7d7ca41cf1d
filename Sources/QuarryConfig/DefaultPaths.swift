import Foundation

/// What default paths depend on. `.current` reads the process; tests pass their own.
public struct ConfigEnvironment: Sendable, Equatable {
    public var variables: [String: String]
    public var userID: UInt32

    public init(variables: [String: String], userID: UInt32) {
        self.variables = variables
        self.userID = userID
    }

    public static var current: ConfigEnvironment {
        ConfigEnvironment(variables: ProcessInfo.processInfo.environment, userID: UInt32(getuid()))
    }

    /// A non-empty variable, or nil.
    func value(_ name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }

    /// Run by systemd (a service sets INVOCATION_ID; StateDirectory= sets STATE_DIRECTORY).
    /// Caveat: some desktop terminals run as systemd user services and pass INVOCATION_ID on to
    /// their shells; `quarry` tolerates this by also trying the other default socket.
    var underSystemd: Bool {
        value("INVOCATION_ID") != nil || value("STATE_DIRECTORY") != nil
    }
}

/// The embedded default paths.
///
///     index dir  systemd: $STATE_DIRECTORY/index, else /var/lib/quarry/index
///                user:    $XDG_DATA_HOME/quarry/index, else ~/.local/share/quarry/index
///     socket     systemd: $RUNTIME_DIRECTORY/quarry.sock, else /run/quarry/quarry.sock
///                user:    $XDG_RUNTIME_DIR/quarry/quarry.sock, else /tmp/quarry-$UID/quarry.sock
///
/// The socket rule is duplicated in the `quarry` client (Sources/quarry/SocketPath.swift), which
/// links no config code; change both together.
public enum DefaultPaths {
    public static func indexDirectory(_ environment: ConfigEnvironment = .current) -> String {
        if environment.underSystemd {
            if let state = environment.value("STATE_DIRECTORY") {
                // StateDirectory= may list several directories, colon-separated: use the first.
                return firstEntry(state) + "/index"
            }
            return "/var/lib/quarry/index"
        }
        if let data = environment.value("XDG_DATA_HOME"), data.hasPrefix("/") {
            return data + "/quarry/index"
        }
        return home(environment) + "/.local/share/quarry/index"
    }

    public static func socketPath(_ environment: ConfigEnvironment = .current) -> String {
        if environment.underSystemd {
            if let runtime = environment.value("RUNTIME_DIRECTORY") {
                return firstEntry(runtime) + "/quarry.sock"
            }
            return "/run/quarry/quarry.sock"
        }
        if let runtime = environment.value("XDG_RUNTIME_DIR"), runtime.hasPrefix("/") {
            return runtime + "/quarry/quarry.sock"
        }
        return "/tmp/quarry-\(environment.userID)/quarry.sock"
    }

    /// `~` and `~/…` expanded with $HOME.
    public static func expandTilde(_ path: String, _ environment: ConfigEnvironment = .current) -> String {
        if path == "~" { return home(environment) }
        if path.hasPrefix("~/") { return home(environment) + path.dropFirst() }
        return path
    }

    private static func home(_ environment: ConfigEnvironment) -> String {
        environment.value("HOME") ?? NSHomeDirectory()
    }

    private static func firstEntry(_ list: String) -> String {
        String(list.split(separator: ":").first ?? Substring(list))
    }
}
