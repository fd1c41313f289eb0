import Synchronization

/// Hands the response back to the server. Call `respond` exactly once, from any thread; extra
/// calls are ignored.
public struct HTTPResponder: Sendable {
    let slot: ResponseSlot

    init(slot: ResponseSlot) {
        self.slot = slot
    }

    /// A responder that is not attached to a connection: it calls `onRespond` (once). For tests of
    /// handlers and routers without sockets.
    public init(_ onRespond: @escaping @Sendable (HTTPResponse) -> Void) {
        self.slot = ResponseSlot(deliver: onRespond)
    }

    public func respond(_ response: HTTPResponse) {
        slot.respond(response)
    }

    /// False once the client went away (reset, or closed its side): long-polls can stop early.
    public var isConnectionOpen: Bool {
        slot.isConnectionOpen
    }
}

/// The shared state between a responder and its connection: the once-flag and liveness.
final class ResponseSlot: Sendable {
    private let responded = Atomic<Bool>(false)
    private let open = Atomic<Bool>(true)
    private let deliver: @Sendable (HTTPResponse) -> Void

    init(deliver: @escaping @Sendable (HTTPResponse) -> Void) {
        self.deliver = deliver
    }

    func respond(_ response: HTTPResponse) {
        // Exactly-once: the first caller wins, later calls are ignored.
        guard responded.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        deliver(response)
    }

    var hasResponded: Bool { responded.load(ordering: .acquiring) }

    var isConnectionOpen: Bool { open.load(ordering: .acquiring) }

    func markClosed() {
        open.store(false, ordering: .releasing)
    }
}

/// The server's only upward seam. Must not block (hand blocking work to another queue) and must
/// call the responder exactly once.
public typealias HTTPHandler = @Sendable (HTTPRequest, HTTPResponder) -> Void
