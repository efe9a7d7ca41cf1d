import QuarryProtocol
import QuarrySystem

/// After a publish, asks a running quarryd to swap to the new generation (the `reload`
/// request). quarryd also notices CURRENT changing by itself (inotify); this makes the swap
/// immediate and reports whether the daemon accepted the generation.
enum DaemonReloader {
    /// A line for the user, or nil when no daemon listens at `socketPath`.
    static func reload(socketPath: String) -> String? {
        let connection: UnixSocketConnection
        do {
            connection = try UnixSocketConnection(path: socketPath, timeoutSeconds: 30)
        } catch {
            return nil  // no daemon running: nothing to tell
        }
        do {
            try connection.write(Request(id: 1, operation: .reload).encodedLine())
            guard let line = try connection.readLine(maxBytes: 1 << 20) else {
                return "quarryd at \(socketPath) closed the connection before answering reload"
            }
            let response = try Response.decode(line)
            switch response.body {
            case .reloaded(let generation):
                return "quarryd at \(socketPath) now serves \(generation ?? "nothing")"
            case .error(let error):
                return "quarryd at \(socketPath) refused the new generation: \(error.message)"
            default:
                return "quarryd at \(socketPath) answered reload unexpectedly"
            }
        } catch {
            return "could not ask quarryd at \(socketPath) to reload: \(error)"
        }
    }
}
