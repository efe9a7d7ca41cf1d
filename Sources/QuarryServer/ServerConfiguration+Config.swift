import QuarryConfig
import QuarryProtocol

extension ServerConfiguration {
    /// The server settings of a config file. `socketPath` (quarryd --socket) overrides
    /// `daemon.socket`; `boundSocket` (systemd LISTEN_FDS) overrides both.
    public init(_ config: QuarryConfiguration, socketPath: String? = nil, boundSocket: Int32? = nil,
                version: String = "quarry 0.1.0") {
        let listener: Listener
        if let boundSocket {
            listener = .boundSocket(descriptor: boundSocket)
        } else {
            listener = .unixSocket(path: socketPath ?? config.daemon.socket)
        }
        self.init(listener: listener,
                  socketMode: config.daemon.socketMode,
                  maxConnections: config.daemon.maxConnections,
                  idleTimeoutSeconds: config.daemon.idleTimeoutSeconds,
                  workerThreads: config.daemon.workerThreads,
                  limits: ProtocolLimits(maxRequestBytes: config.daemon.maxRequestBytes,
                                         maxLimit: config.search.maxLimit,
                                         maxOffset: config.search.maxOffset),
                  version: version)
    }
}
