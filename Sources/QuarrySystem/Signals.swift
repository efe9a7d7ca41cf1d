import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a handler on a dispatch queue when a signal arrives (the default action is disabled).
public final class SignalTrap: @unchecked Sendable {
    /// Signals quarryd handles.
    public enum Signal: Sendable {
        case terminate, interrupt, hangup

        var number: Int32 {
            switch self {
            case .terminate: return SIGTERM
            case .interrupt: return SIGINT
            case .hangup: return SIGHUP
            }
        }
    }

    private let source: DispatchSourceSignal

    public init(_ signal: Signal, queue: DispatchQueue = .global(), handler: @escaping @Sendable () -> Void) {
        Glibc.signal(signal.number, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: signal.number, queue: queue)
        source.setEventHandler(handler: handler)
        source.resume()
    }

    deinit { source.cancel() }
}
