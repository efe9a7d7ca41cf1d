import QuarryProtocol

/// How the socket server listens and what it tolerates. `init(_:socketPath:)` in
/// ServerConfiguration+Config.swift builds one from the config file.
public struct ServerConfiguration: Sendable {
    /// Where the server listens.
    public enum Listener: Sendable, Equatable {
        /// Bind a Unix stream socket at this path: a stale socket file is removed, the parent
        /// directory created (mode 0750) when missing, and the socket chmod-ed to `socketMode`.
        case unixSocket(path: String)
        /// An already bound and listening socket (systemd socket activation, LISTEN_FDS).
        case boundSocket(descriptor: Int32)
    }

    public var listener: Listener
    /// Permission bits for the socket file (0o660: owner and group may connect). nil: leave as created.
    public var socketMode: UInt16?
    /// Open connections beyond this get one `overloaded` error line and are closed.
    public var maxConnections: Int
    /// A connection with no request in flight and no traffic for this long is closed; 0 = never.
    public var idleTimeoutSeconds: Double
    /// Threads that run pipelined searches, status and reload (see `inlineSearches`); 0 = one per core.
    public var workerThreads: Int
    /// Request size and result-window limits, checked before the backend is asked.
    public var limits: ProtocolLimits
    /// Requests one connection may have queued or in flight before the server stops reading from
    /// it (back-pressure for pipelining clients).
    public var maxPipelinedRequests: Int
    /// Run a search on the connection's event loop when it is the only request in flight on the
    /// daemon's only open connection, instead of handing it to a worker thread and back: two
    /// thread wake-ups less per request. Pipelined requests, and every request while other
    /// clients are connected, go to the workers (an inline search holds its event loop). See
    /// `ConnectionHandler`.
    public var inlineSearches: Bool
    /// After `shutdown()`, connections still busy after this long are closed without their answer.
    public var shutdownGracePeriodSeconds: Double
    /// The version line reported in status when the backend leaves it empty.
    public var version: String

    public init(listener: Listener,
                socketMode: UInt16? = 0o660,
                maxConnections: Int = 256,
                idleTimeoutSeconds: Double = 300,
                workerThreads: Int = 0,
                limits: ProtocolLimits = .default,
                maxPipelinedRequests: Int = 64,
                inlineSearches: Bool = true,
                shutdownGracePeriodSeconds: Double = 30,
                version: String = "quarry 0.1.0") {
        self.listener = listener
        self.socketMode = socketMode
        self.maxConnections = maxConnections
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.workerThreads = workerThreads
        self.limits = limits
        self.maxPipelinedRequests = maxPipelinedRequests
        self.inlineSearches = inlineSearches
        self.shutdownGracePeriodSeconds = shutdownGracePeriodSeconds
        self.version = version
    }

    /// A Unix-socket configuration with defaults for everything else.
    public init(socketPath: String) {
        self.init(listener: .unixSocket(path: socketPath))
    }
}
