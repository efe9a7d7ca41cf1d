import Foundation
import Logging
import NIOCore
import NIOPosix
import QuarryProtocol

/// The daemon's socket server: protocol v1 on a Unix stream socket, answered by a `SearchBackend`.
///
/// Lifecycle:
///
///     let server = QuarryServer(backend: engine, configuration: config, logger: logger)
///     try await server.run()        // = start() + waitUntilStopped(); returns after shutdown()
///
/// or `try await server.start()` (returns once listening: the moment to send READY=1), then
/// `try await server.waitUntilStopped()`. `shutdown()` may be called from any thread, any number
/// of times (quarryd calls it from its SIGTERM/SIGINT handler): the listener closes, requests
/// already received are answered, idle connections close at once, and busy ones close after
/// their last response (or after `shutdownGracePeriodSeconds`). Then the worker pool stops and
/// `run()` returns.
public final class QuarryServer: @unchecked Sendable {
    let backend: SearchBackend
    public let configuration: ServerConfiguration
    let logger: Logger
    let stats = ServerStats()
    let threadPool: SearchWorkerPool
    private let group: EventLoopGroup

    private enum State {
        case idle
        /// Binding: connections that arrive before `running` is recorded are served normally.
        case starting
        case running(Channel)
        case stopping
        case stopped
    }

    /// Guards `state`, `connections`, `stopRequested`.
    private let lock = NSLock()
    private var state = State.idle
    private var stopRequested = false
    private var connections: [ObjectIdentifier: (channel: Channel, handler: ConnectionHandler)] = [:]
    private var nextConnectionNumber = 0
    let stoppedPromise: EventLoopPromise<Void>

    public init(backend: SearchBackend, configuration: ServerConfiguration, logger: Logger) {
        self.backend = backend
        self.configuration = configuration
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup.singleton
        let threads = configuration.workerThreads > 0
            ? configuration.workerThreads : ProcessInfo.processInfo.activeProcessorCount
        self.threadPool = SearchWorkerPool(numberOfThreads: max(1, threads))
        self.stoppedPromise = group.any().makePromise(of: Void.self)
    }

    /// The Unix socket path the server listens on, if it bound one itself.
    public var socketPath: String? {
        if case .unixSocket(let path) = configuration.listener { return path }
        return nil
    }

    /// Searches answered and requests refused with an error, since start.
    public var counts: (queries: Int, errors: Int) { stats.counts }

    /// Open client connections.
    public var connectionCount: Int {
        lock.lock(); defer { lock.unlock() }
        return connections.count
    }

    /// Starts, serves until `shutdown()`, then returns once every connection is closed.
    public func run() async throws {
        try await start()
        try await waitUntilStopped()
    }

    /// Binds the socket and starts accepting. Returns once the socket is listening.
    public func start() async throws {
        let fresh: Bool = lock.withLock {
            guard case .idle = state else { return false }
            state = .starting
            return true
        }
        guard fresh else { throw ProtocolError(.internal, "QuarryServer.start() called twice") }

        threadPool.start()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [weak self] channel in
                guard let self else { return channel.close() }
                return self.initializeConnection(channel)
            }

        let channel: Channel
        do {
            switch configuration.listener {
            case .unixSocket(let path):
                try prepareSocketDirectory(for: path)
                channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
                if let mode = configuration.socketMode {
                    try FileManager.default.setAttributes([.posixPermissions: Int(mode)], ofItemAtPath: path)
                }
            case .boundSocket(let descriptor):
                channel = try await bootstrap.withBoundSocket(descriptor).get()
            }
        } catch {
            lock.withLock { state = .stopped }
            try? await threadPool.shutdownGracefully()
            stoppedPromise.succeed(())
            throw error
        }

        let stopEarly: Bool = lock.withLock {
            state = .running(channel)
            return stopRequested
        }
        logger.info("listening", metadata: ["socket": "\(socketPath ?? "fd")",
                                            "workers": "\(threadPool.numberOfThreads)"])
        if stopEarly { shutdown() }
    }

    /// Waits until the server has stopped (after `shutdown()`).
    public func waitUntilStopped() async throws {
        try await stoppedPromise.futureResult.get()
    }

    /// Stops accepting, lets in-flight requests finish, closes connections. Idempotent, thread-safe.
    public func shutdown() {
        lock.lock()
        stopRequested = true
        guard case .running(let listener) = state else {
            lock.unlock()
            return
        }
        state = .stopping
        let open = Array(connections.values)
        lock.unlock()

        logger.info("shutting down", metadata: ["connections": "\(open.count)"])
        let closed = listener.close()
        for (channel, handler) in open {
            channel.eventLoop.execute { handler.beginDrain() }
        }
        // Busy connections get a grace period, then are closed without their answers.
        let grace = TimeAmount.nanoseconds(Int64(configuration.shutdownGracePeriodSeconds * 1e9))
        let deadline = group.any().scheduleTask(in: grace) { [weak self] in
            guard let self else { return }
            self.lock.lock()
            let remaining = self.connections.values.map(\.channel)
            self.lock.unlock()
            if !remaining.isEmpty {
                self.logger.warning("closing \(remaining.count) busy connection(s) after the grace period")
            }
            for channel in remaining { channel.close(promise: nil) }
        }
        closed.whenComplete { [weak self] _ in
            self?.finishIfDrained(cancelling: deadline)
        }
    }

    private func finishIfDrained(cancelling deadline: Scheduled<Void>?) {
        lock.lock()
        guard case .stopping = state, connections.isEmpty else {
            lock.unlock()
            return
        }
        state = .stopped
        lock.unlock()
        deadline?.cancel()
        if case .unixSocket(let path) = configuration.listener {
            try? FileManager.default.removeItem(atPath: path)
        }
        threadPool.shutdownGracefully { [logger, stoppedPromise] _ in
            logger.info("stopped")
            stoppedPromise.succeed(())
        }
    }

    // MARK: Connections

    private func initializeConnection(_ channel: Channel) -> EventLoopFuture<Void> {
        lock.lock()
        let refusal: ProtocolError?
        let handler = ConnectionHandler(server: self, logger: connectionLogger())
        switch state {
        case .starting, .running:
            if connections.count >= configuration.maxConnections {
                refusal = ProtocolError(.overloaded,
                    "too many connections (limit \(configuration.maxConnections)); try again later")
            } else {
                refusal = nil
                connections[ObjectIdentifier(channel)] = (channel, handler)
            }
        default:
            refusal = ProtocolError(.shuttingDown, "the daemon is stopping")
        }
        lock.unlock()

        if let refusal {
            logger.warning("connection refused: \(refusal.message)")
            stats.recordError()
            return channel.pipeline.addHandler(RefusingHandler(refusal))
        }
        channel.closeFuture.whenComplete { [weak self] _ in
            guard let self else { return }
            self.lock.lock()
            self.connections[ObjectIdentifier(channel)] = nil
            self.lock.unlock()
            self.finishIfDrained(cancelling: nil)
        }
        let idle = TimeAmount.nanoseconds(Int64(configuration.idleTimeoutSeconds * 1e9))
        return channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            if configuration.idleTimeoutSeconds > 0 {
                try sync.addHandler(IdleStateHandler(allTimeout: idle))
            }
            try sync.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLineBytes: configuration.limits.maxRequestBytes)))
            try sync.addHandler(handler)
        }
    }

    private func connectionLogger() -> Logger {
        nextConnectionNumber += 1
        var logger = self.logger
        logger[metadataKey: "connection"] = "\(nextConnectionNumber)"
        return logger
    }

    /// The status reply: the backend's view plus the server's counters.
    func currentStatus() -> StatusInfo {
        var status = backend.status()
        if status.version.isEmpty { status.version = configuration.version }
        return stats.complete(status, connections: connectionCount)
    }

    /// Creates the socket's parent directory (mode 0750) when missing.
    private func prepareSocketDirectory(for path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o750])
    }
}
