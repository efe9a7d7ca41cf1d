import Logging
import NIOCore
import NIOPosix
import QuarryProtocol

/// Serves one client connection: decodes request lines, runs them off the event loop, writes the
/// responses in request order.
///
/// Requests are pipelined: every decoded request gets a `Slot` at the tail of `slots` and its
/// work starts at once; a response is written only when every earlier slot has been written, so
/// order is preserved. With `maxPipelinedRequests` slots open the handler stops reading
/// (back-pressure).
///
/// Where a search runs: a request that is *alone* (no earlier slot in flight and no further bytes
/// received behind it: the usual client that waits for each answer) on the daemon's only open
/// connection runs right here on the event loop when `ServerConfiguration.inlineSearches` is set;
/// everything else goes to the worker pool so that it runs in parallel. The hand-off to a worker
/// and back costs two thread wake-ups, each on whichever core is free: through the socket on the
/// medium corpus (intersection, no snippets or fields) the round trip went from p50 ~95 to ~70
/// µs. Only with a single connection, because an inline search holds its event loop: with other
/// clients connected, a slow query would delay their requests and new connections behind it.
///
/// Shutdown (`beginDrain`): requests the client sent before shutdown may still sit unread in the
/// socket buffer, and closing a socket with unread data resets it (the client would see
/// "connection reset" instead of answers). So a draining connection keeps reading and answering
/// until it has been quiet for `drainQuietPeriod` with every slot written, then closes; an idle
/// connection therefore closes within that period and never holds up the daemon's exit (the
/// server's grace period bounds a client that keeps sending). Quiet counts from the later of
/// the last read and the start of the drain: while inline searches keep the event loop busy,
/// a request can sit unread in a socket when the drain starts, and the loop reads it in its
/// next round of I/O, before the drain timer runs again.
///
/// All state is confined to the channel's event loop.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = LineFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Slot {
        /// The encoded response line, nil while the request is in flight.
        var response: [UInt8]?
    }

    private let server: QuarryServer
    private let logger: Logger
    private var slots = CircularBuffer<Slot>()
    /// Sequence number of `slots.first`; slot `n` lives at index `n - firstSequence`.
    private var firstSequence = 0
    private var context: ChannelHandlerContext?
    /// A read was requested while we were applying back-pressure.
    private var readHeld = false
    /// Shutting down: close once `slots` is empty and nothing arrived for `drainQuietPeriod`.
    private var draining = false
    /// When the last bytes arrived, or the drain started if later (for the quiet period of a drain).
    private var lastReadAt = NIODeadline.now()
    private var drainTimer: RepeatedTask?
    /// How long a draining connection must stay silent before it is closed.
    static let drainQuietPeriod = TimeAmount.milliseconds(50)
    /// The client closed its sending side: answer what was received, then close.
    private var inputClosed = false

    init(server: QuarryServer, logger: Logger) {
        self.server = server
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        drainTimer?.cancel()
        drainTimer = nil
        self.context = nil
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastReadAt = NIODeadline.now()
        switch unwrapInboundIn(data) {
        case .tooLong(let byteCount):
            let error = ProtocolError(.tooLarge,
                "request line exceeds the limit of \(server.configuration.limits.maxRequestBytes) bytes (\(byteCount)+ bytes received); line discarded")
            respondNow(Response(id: .null, body: .error(error)))
        case .line(let buffer, let followedByInput):
            if buffer.readableBytesView.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }  // blank line
            let limits = server.configuration.limits
            let parsed = buffer.withUnsafeReadableBytes { Request.parse($0, limits: limits) }
            switch parsed.result {
            case .failure(let error):
                respondNow(Response(id: parsed.id, body: .error(error)))
            case .success(let request):
                start(request, alone: !followedByInput && slots.isEmpty)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .all || idle == .read {
            if slots.isEmpty {
                logger.debug("closing idle connection")
                context.close(promise: nil)
            }
            return
        }
        if let channelEvent = event as? ChannelEvent, channelEvent == .inputClosed {
            inputClosed = true
            closeIfDone()
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("connection error: \(error)")
        context.close(promise: nil)
    }

    // MARK: Outbound: back-pressure

    func read(context: ChannelHandlerContext) {
        if inputClosed { return }
        if slots.count >= server.configuration.maxPipelinedRequests {
            readHeld = true
            return
        }
        context.read()
    }

    // MARK: Requests

    /// `alone`: nothing else of this connection is in flight or already received behind it.
    private func start(_ request: Request, alone: Bool) {
        switch request.operation {
        case .ping:
            respondNow(Response(id: request.id, body: .pong))
        case .search(let search):
            let started = NIODeadline.now()
            let server = self.server
            // Pinned here, in request order (see SearchBackend.prepareSearch).
            let prepared = server.backend.prepareSearch(search)
            let work: @Sendable () throws -> ResponseBody = {
                defer { server.stats.recordSearch(micros: Int((NIODeadline.now() - started).nanoseconds / 1000)) }
                return .search(try prepared())
            }
            if alone && server.configuration.inlineSearches && server.connectionCount <= 1 {
                respondNow(Response(id: request.id, body: Self.perform(work, logger: logger)))
            } else {
                runOffLoop(id: request.id, work)
            }
        case .status:
            let server = self.server
            runOffLoop(id: request.id) { .status(server.currentStatus()) }
        case .reload:
            guard let backend = server.backend as? ReloadableBackend else {
                respondNow(Response(id: request.id, body: .error(ProtocolError(.unknownOp,
                    "this daemon does not support reload"))))
                return
            }
            runOffLoop(id: request.id) { .reloaded(generation: try backend.reload()) }
        }
    }

    /// Answers a request on the event loop (ping, decode errors, an inline search), in order
    /// behind earlier slots.
    private func respondNow(_ response: Response) {
        let sequence = openSlot()
        complete(sequence, response)
    }

    /// Runs `work` on the worker pool; its result (or error) becomes the slot's response.
    private func runOffLoop(id: RequestID, _ work: @escaping @Sendable () throws -> ResponseBody) {
        guard let context else { return }
        let sequence = openSlot()
        let logger = self.logger
        server.threadPool.runIfActive(eventLoop: context.eventLoop) { () -> ResponseBody in
            Self.perform(work, logger: logger)
        }.whenComplete { result in
            switch result {
            case .success(let body):
                self.complete(sequence, Response(id: id, body: body))
            case .failure(let error):
                // The pool is no longer active: the daemon is stopping.
                self.complete(sequence, Response(id: id, body: .error(ProtocolError(.shuttingDown, "\(error)"))))
            }
        }
    }

    /// Runs `work`; a thrown error becomes the response body (`internal` unless a `ProtocolError`).
    private static func perform(_ work: () throws -> ResponseBody, logger: Logger) -> ResponseBody {
        do {
            return try work()
        } catch let error as ProtocolError {
            return .error(error)
        } catch {
            logger.error("backend failure: \(error)")
            return .error(ProtocolError(.internal, "\(error)"))
        }
    }

    private func openSlot() -> Int {
        slots.append(Slot(response: nil))
        return firstSequence + slots.count - 1
    }

    private func complete(_ sequence: Int, _ response: Response) {
        if case .error(let error) = response.body {
            server.stats.recordError()
            if error.code == .internal {
                logger.error("request \(response.id) failed: \(error)")
            } else {
                logger.info("request \(response.id) rejected: \(error)")
            }
        }
        let index = sequence - firstSequence
        guard index >= 0, index < slots.count else { return }  // connection already torn down
        slots[slots.index(slots.startIndex, offsetBy: index)].response = response.encodedLine()
        flushReady()
    }

    /// Writes every finished response at the head of the queue, in order.
    private func flushReady() {
        guard let context else { return }
        var wrote = false
        while let first = slots.first, let bytes = first.response {
            slots.removeFirst()
            firstSequence += 1
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            context.write(wrapOutboundOut(buffer), promise: nil)
            wrote = true
        }
        if wrote { context.flush() }
        if readHeld && slots.count < server.configuration.maxPipelinedRequests && !inputClosed {
            readHeld = false
            context.read()
        }
        closeIfDone()
    }

    // MARK: Shutdown

    /// Called on the event loop when the server stops.
    func beginDrain() {
        guard !draining, let context else { return }
        draining = true
        lastReadAt = max(lastReadAt, NIODeadline.now())
        if readHeld && slots.count < server.configuration.maxPipelinedRequests {
            readHeld = false
            context.read()
        }
        drainTimer = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) { [weak self] _ in
            self?.closeIfDone()
        }
        closeIfDone()
    }

    private func closeIfDone() {
        guard slots.isEmpty, let context else { return }
        let quiet = NIODeadline.now() - lastReadAt >= Self.drainQuietPeriod
        guard inputClosed || (draining && quiet) else { return }
        drainTimer?.cancel()
        drainTimer = nil
        context.close(promise: nil)
    }
}

/// Installed instead of `ConnectionHandler` when a connection is refused: writes one error line
/// and closes.
final class RefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let error: ProtocolError
    private var sent = false

    init(_ error: ProtocolError) {
        self.error = error
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func refuse(_ context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        let bytes = Response(id: .null, body: .error(error)).encodedLine()
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
