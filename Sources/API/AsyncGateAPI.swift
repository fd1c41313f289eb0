import Domain
import Engine
import Foundation
import HTTP
import JSON
import Logging

/// Everything a route handler gets.
struct RouteContext {
    let request: HTTPRequest
    let input: RequestInput
    let caller: Caller
    let params: [String: String]
    let engine: Engine

    func pathUUID(_ name: String) throws -> UUID {
        guard let raw = params[name], let id = UUID(uuidString: raw) else {
            throw EngineError.validation("\(name) must be a UUID")
        }
        return id
    }
}

struct RouteSpec: Sendable {
    var requiresAuth = true
    var expectsBody = false
    var run: @Sendable (RouteContext) throws -> HTTPResponse
}

/// The /v1 REST facade: routes requests to engine operations on a bounded pool of worker threads
/// (engine calls block on libpq), and turns every error into the one JSON error shape.
public final class AsyncGateAPI: Sendable {
    let engine: Engine
    let configuration: APIConfiguration
    let logger: Logger
    let router: Router<RouteSpec>
    let workers: BlockingPool

    public init(engine: Engine, configuration: APIConfiguration, logger: Logger) {
        self.engine = engine
        self.configuration = configuration
        self.logger = logger
        self.router = Self.makeRouter()
        self.workers = BlockingPool(threads: configuration.workerThreads, maxQueued: configuration.maxQueuedRequests)
    }

    /// The HTTP server's handler.
    public var handler: HTTPHandler {
        { [self] request, responder in self.handle(request, responder) }
    }

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        switch router.match(method: request.method, path: request.path) {
        case .notFound:
            responder.respond(ErrorMapping.response(EngineError(.notFound, "no route for \(request.path)"), requestID: request.requestID))
        case .methodNotAllowed(let allowed):
            var response = ErrorMapping.response(EngineError(.methodNotAllowed, "\(request.method) is not allowed on \(request.path)"), requestID: request.requestID)
            response.headers.add("Allow", allowed.joined(separator: ", "))
            responder.respond(response)
        case .found(let spec, let params):
            let accepted = workers.submit { [self] in
                responder.respond(self.run(spec, params, request))
            }
            if !accepted {
                responder.respond(ErrorMapping.response(EngineError(.unavailable, "server is at capacity, retry shortly"), requestID: request.requestID))
            }
        }
    }

    /// Runs one route and maps any error to a response. Unexpected errors are a logged 500 that
    /// carries the request id and nothing internal.
    func run(_ spec: RouteSpec, _ params: [String: String], _ request: HTTPRequest) -> HTTPResponse {
        do {
            let caller = try spec.requiresAuth ? authenticate(request) : Caller(tenantID: Caller.defaultTenant, role: .shared, principal: nil)
            let input = try RequestInput(request, expectsBody: spec.expectsBody)
            return try spec.run(RouteContext(request: request, input: input, caller: caller, params: params, engine: engine))
        } catch let error as EngineError {
            if error.code == .internal {
                logger.error("internal error", metadata: ["request.id": "\(request.requestID)", "error": "\(error)"])
            }
            return ErrorMapping.response(error, requestID: request.requestID)
        } catch {
            logger.error("unexpected error", metadata: ["request.id": "\(request.requestID)", "request.path": "\(request.path)", "error": "\(error)"])
            return ErrorMapping.response(EngineError(.internal, "internal error (request id \(request.requestID))"), requestID: request.requestID)
        }
    }

    static func json(_ value: JSON, status: Int = 200, headers: HTTPHeaders = .init()) -> HTTPResponse {
        HTTPResponse.json(status: status, body: value.serialized(), headers: headers)
    }
}
