import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a handler on a dispatch queue when a signal arrives (the default action is disabled).
///
/// How: a real `sigaction` handler writes the signal's number to a pipe (the self-pipe trick);
/// one reader thread turns each byte into a call of the registered handler. Whichever thread
/// the kernel picks to take the signal, the handler runs and the byte is written, so no signal
/// is lost. (The previous implementation set the disposition to SIG_IGN and relied on a
/// dispatch signal source: a signal taken by a thread that did not block it, e.g. after the
/// process was stopped and continued, was discarded as ignored; quarryd then kept running after
/// SIGTERM.) Signals of one kind that arrive before the reader runs may coalesce into one call.
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

    private let signal: Signal

    /// Installs the handler for `signal`; `handler` runs on `queue` for each delivery (one trap
    /// per signal at a time: a newer trap replaces an older one's handler).
    public init(_ signal: Signal, queue: DispatchQueue = .global(), handler: @escaping @Sendable () -> Void) {
        self.signal = signal
        SignalPipe.shared.register(signal.number) { queue.async(execute: handler) }
    }

    deinit {
        SignalPipe.shared.unregister(signal.number)
    }
}

/// The write end of the self-pipe, read by the async-signal-safe handler. Set once, before any
/// handler is installed.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// The `sigaction` handler: only async-signal-safe work (write(2)); errno is preserved.
private func writeSignalNumber(_ number: Int32) {
    let savedErrno = errno
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(signalPipeWriteEnd, &byte, 1)
    errno = savedErrno
}

/// The pipe, its reader thread and the registered handlers.
private final class SignalPipe: @unchecked Sendable {
    static let shared = SignalPipe()

    private let lock = NSLock()
    private var handlers: [Int32: () -> Void] = [:]
    private let readEnd: Int32

    private init() {
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) != 0 {
            fatalError("quarryd: cannot create the signal pipe: \(String(cString: strerror(errno)))")
        }
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        // Non-blocking writes: a full pipe (signals flooding in) drops bytes instead of hanging
        // the interrupted thread; the reader still sees at least one byte of each kind pending.
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        readEnd = ends[0]
        signalPipeWriteEnd = ends[1]
        let reader = Thread { [self] in readLoop() }
        reader.name = "quarry-signals"
        reader.start()
    }

    func register(_ number: Int32, _ handler: @escaping () -> Void) {
        lock.lock()
        handlers[number] = handler
        lock.unlock()
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { writeSignalNumber($0) }
        #else
        action.__sigaction_u.__sa_handler = { writeSignalNumber($0) }
        #endif
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        sigaction(number, &action, nil)
    }

    func unregister(_ number: Int32) {
        lock.lock()
        handlers[number] = nil
        lock.unlock()
    }

    private func readLoop() {
        var byte: UInt8 = 0
        while true {
            let count = read(readEnd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
            lock.lock()
            let handler = handlers[Int32(byte)]
            lock.unlock()
            handler?()
        }
    }
}
