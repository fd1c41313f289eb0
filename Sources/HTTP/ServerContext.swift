import Logging
import Synchronization

/// What every I/O loop of one server shares: configuration, handler, counters, listening socket.
final class ServerContext: Sendable {
    let configuration: HTTPServerConfiguration
    let limits: HTTPRequestParser.Limits
    let handler: HTTPHandler
    let logger: Logger
    let listenFD: Int32
    let connectionCount = Atomic<Int>(0)
    /// Loops still watching the listening socket; the last one to let go closes it, so no loop can
    /// accept on a descriptor number that was closed and reused.
    let listenerUsers: Atomic<Int>
    /// Read buffered ahead (pipelined requests) beyond which a connection stops reading.
    let maxBufferedInput: Int

    init(configuration: HTTPServerConfiguration, handler: @escaping HTTPHandler, logger: Logger, listenFD: Int32, loops: Int) {
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        self.listenFD = listenFD
        self.listenerUsers = Atomic(loops)
        var limits = HTTPRequestParser.Limits()
        limits.maxRequestLineBytes = configuration.maxRequestLineBytes
        limits.maxHeaderBytes = configuration.maxHeaderBytes
        limits.maxHeaderCount = configuration.maxHeaderCount
        limits.maxBodyBytes = configuration.maxBodyBytes
        self.limits = limits
        self.maxBufferedInput = configuration.maxRequestLineBytes + configuration.maxHeaderBytes + 64 * 1024
    }

    func releaseListener() {
        if listenerUsers.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            Syscall.close(listenFD)
        }
    }
}
