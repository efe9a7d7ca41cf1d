import QuarryProtocol

/// What the socket server asks the engine. quarryd implements it with the real engine; tests use a fake.
public protocol SearchBackend: AnyObject, Sendable {
    /// Runs on a worker thread (never on an event loop): may take milliseconds.
    /// Throws `ProtocolError` (`.badQuery`, `.noIndex`, …); any other error is reported as `internal`.
    /// `SearchResponse.tookMicros` is measured here (parse + search + fetch); the server keeps it.
    func search(_ request: SearchRequest) throws -> SearchResponse

    /// Called on the event loop when the request arrives, in request order: pins what the search
    /// will read (the generation) and returns the work to run later, inline or on a worker. So
    /// pipelined searches that run in parallel still see generations in the order they were
    /// sent (none answers from an older generation than an earlier request of its connection).
    /// Must be cheap. The default pins nothing and calls `search(_:)`.
    func prepareSearch(_ request: SearchRequest) -> @Sendable () throws -> SearchResponse

    /// Generation, doc count and index info. The server fills in uptime, queries, errors,
    /// connections and latency. Also called on a worker thread.
    func status() -> StatusInfo
}

/// A backend that can swap to the newest published generation on request (`op: reload`).
/// The same code path should serve SIGHUP and inotify triggers.
public protocol ReloadableBackend: SearchBackend {
    /// Opens the generation named by CURRENT if it is newer; returns the generation now served.
    /// Throws `ProtocolError` when the new generation is refused (the old one keeps serving).
    func reload() throws -> String?
}

extension SearchBackend {
    public func prepareSearch(_ request: SearchRequest) -> @Sendable () throws -> SearchResponse {
        { [self] in try self.search(request) }
    }
}
