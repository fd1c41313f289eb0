import Domain
import Engine
import Foundation
import HTTP
import JSON
import Logging
import RateLimit

/// Everything a route handler gets.
struct RouteContext {
    let request: HTTPRequest
    let input: RequestInput
    let caller: Caller
    let params: [String: String]
    let engine: Engine
    /// Runs blocking follow-up work (a woken long-poll claim) on the API's worker pool.
    var executor: Engine.BlockingExecutor = { _ in false }
    /// True once the client has gone away (long-poll waiters are then dropped).
    var isCancelled: @Sendable () -> Bool = { false }
    /// False on an HTTP I/O thread: the route's engine call must leave all database work to
    /// `executor` (see `AsyncGateAPI.runsOnIOThread`).
    var callerMayBlock = true

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
    var deferredRun: (@Sendable (RouteContext, _ done: @escaping @Sendable (Result<HTTPResponse, Error>) -> Void) throws -> Void)?
}

extension RouteSpec {
    /// A route that may answer later (long-poll): it returns nil and calls `done` exactly once.
    init(requiresAuth: Bool = true, expectsBody: Bool = false,
         deferred: @escaping @Sendable (RouteContext, _ done: @escaping @Sendable (Result<HTTPResponse, Error>) -> Void) throws -> Void) {
        self.requiresAuth = requiresAuth
        self.expectsBody = expectsBody
        self.run = { _ in fatalError("deferred route run synchronously") }
        self.deferredRun = deferred
    }
}

/// The /v1 REST facade: routes requests to engine operations on a bounded pool of worker threads
/// (engine calls block on libpq), and turns every error into the one JSON error shape.
public final class AsyncGateAPI: Sendable {
    let engine: Engine
    let configuration: APIConfiguration
    let logger: Logger
    let router: Router<RouteSpec>
    let workers: BlockingPool
    let credentials: CredentialCache
    /// Load balancers poll /v1/health constantly: the database check is cached for a second and
    /// the answer served on the I/O thread, so health checks cost no worker, connection or query.
    let health = HealthCache(ttlSeconds: 1.0)

    public init(engine: Engine, configuration: APIConfiguration, logger: Logger) {
        self.engine = engine
        self.configuration = configuration
        self.logger = logger
        self.router = Self.makeRouter()
        self.workers = BlockingPool(threads: configuration.workerThreads, maxQueued: configuration.maxQueuedRequests)
        self.credentials = CredentialCache(ttlSeconds: configuration.credentialCacheSeconds)
    }

    /// Stops the worker threads once the queued requests are done (call after the HTTP server has
    /// stopped); later requests are answered 503.
    public func shutdown() { workers.stop() }

    deinit { workers.stop() }

    /// The HTTP server's handler.
    public var handler: HTTPHandler {
        { [self] request, responder in self.handle(request, responder) }
    }

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        let respond: @Sendable (HTTPResponse) -> Void = { [self] response in
            var response = response
            Self.addSecurityHeaders(&response, production: configuration.environment == "production")
            addCORSHeaders(&response, request: request)
            responder.respond(response)
        }
        if request.method == "OPTIONS", request.headers.contains("Access-Control-Request-Method") {
            return respond(preflight(request))
        }
        if request.path == "/v1/health", request.method == "GET" || request.method == "HEAD" {
            if let healthy = health.fresh() { return respond(healthResponse(healthy)) }
            let accepted = workers.submit { [self] in
                respond(healthResponse(health.store(engine.healthCheck())))
            }
            if !accepted { respond(ErrorMapping.response(EngineError(.unavailable, "server is at capacity"), requestID: request.requestID)) }
            return
        }
        if handleMCP(request, responder, respond) { return }  // /mcp and its OAuth metadata (API/MCP/)
        switch router.match(method: request.method, path: request.path) {
        case .notFound:
            respond(ErrorMapping.response(EngineError(.notFound, "no route for \(request.path)"), requestID: request.requestID))
        case .methodNotAllowed(let allowed):
            var response = ErrorMapping.response(EngineError(.methodNotAllowed, "\(request.method) is not allowed on \(request.path)"), requestID: request.requestID)
            response.headers.add("Allow", allowed.joined(separator: ", "))
            respond(response)
        case .found(let spec, let params):
            if runsOnIOThread(spec, request) {
                return run(spec, params, request, responder: responder, respond: respond, onIOThread: true)
            }
            runOnWorker(spec, params, request, responder: responder, respond: respond)
        }
    }

    /// Routes whose engine call answers through a completion (create, claim, complete) start on the
    /// I/O thread that read the request: parsing, checks and queueing for a group commit cost no
    /// hand-over to a worker thread, and a call that queues never occupies one. Their database work
    /// still runs on the workers (`RouteContext.callerMayBlock`). Not with a rate limiter that
    /// waits on Redis, nor with a large body (parsing it would hold up the thread's other
    /// connections); a credential that needs a database lookup moves the request to a worker.
    func runsOnIOThread(_ spec: RouteSpec, _ request: HTTPRequest) -> Bool {
        spec.deferredRun != nil && request.body.count <= Self.maxBodyParsedOnIOThread
            && !(spec.requiresAuth && configuration.rateLimiter?.mayBlock == true)
    }

    static let maxBodyParsedOnIOThread = 64 * 1024

    func runOnWorker(_ spec: RouteSpec, _ params: [String: String], _ request: HTTPRequest, responder: HTTPResponder,
                     respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let accepted = workers.submit { [self] in
            self.run(spec, params, request, responder: responder, respond: respond)
        }
        if !accepted {
            respond(ErrorMapping.response(Engine.atCapacityError, requestID: request.requestID))
        }
    }

    /// Runs one route and maps any error to a response. Unexpected errors are a logged 500 that
    /// carries the request id and nothing internal. Security events go to the audit log.
    func run(_ spec: RouteSpec, _ params: [String: String], _ request: HTTPRequest, responder: HTTPResponder,
             respond plainRespond: @escaping @Sendable (HTTPResponse) -> Void, onIOThread: Bool = false) {
        var caller: Caller?
        var decision: RateLimitDecision?
        do {
            do {
                caller = try spec.requiresAuth ? authenticate(request, mayLookUp: !onIOThread)
                                               : Caller(tenantID: Caller.defaultTenant, role: .shared, principal: nil)
            } catch is MustBlock {
                return runOnWorker(spec, params, request, responder: responder, respond: plainRespond)
            } catch {
                // failed authentication counts against the client's address: no free brute force
                if spec.requiresAuth, let limiter = configuration.rateLimiter {
                    let d = limiter.check(key: Self.rateLimitKey(request, caller: nil))
                    if !d.allowed { return respondLimited(request, d, caller: nil, respond: plainRespond) }
                }
                throw error
            }
            if spec.requiresAuth, let limiter = configuration.rateLimiter {
                let d = limiter.check(key: Self.rateLimitKey(request, caller: caller))
                if !d.allowed { return respondLimited(request, d, caller: caller, respond: plainRespond) }
                decision = d
            }
            let respond: @Sendable (HTTPResponse) -> Void = { [decision] response in
                var response = response
                if let decision { Self.addRateLimitHeaders(&response, decision) }
                plainRespond(response)
            }
            let input = try RequestInput(request, expectsBody: spec.expectsBody)
            let context = RouteContext(request: request, input: input, caller: caller!, params: params, engine: engine,
                                       executor: { [workers] work in workers.submit(work) },
                                       isCancelled: { !responder.isConnectionOpen }, callerMayBlock: !onIOThread)
            if let deferred = spec.deferredRun {
                let resolved = caller
                try deferred(context) { [self] result in
                    switch result {
                    case .success(let response): respond(response)
                    case .failure(let error): respond(errorResponse(error, request, caller: resolved))
                    }
                }
            } else {
                respond(try spec.run(context))
            }
        } catch {
            var response = errorResponse(error, request, caller: caller)
            if let decision { Self.addRateLimitHeaders(&response, decision) }
            plainRespond(response)
        }
    }

    func respondLimited(_ request: HTTPRequest, _ d: RateLimitDecision, caller: Caller?, respond: @Sendable (HTTPResponse) -> Void) {
        var response = ErrorMapping.response(EngineError(.rateLimited, "rate limit of \(d.limit) requests exceeded; retry in \(d.retryAfterSeconds ?? d.resetSeconds) s"),
                                             requestID: request.requestID)
        Self.addRateLimitHeaders(&response, d)
        response.headers.replaceOrAdd("Retry-After", String(max(1, d.retryAfterSeconds ?? d.resetSeconds)))
        auditSecurityEvent(request, caller: caller, status: 429, code: EngineError.Code.rateLimited.rawValue)
        respond(response)
    }

    static func addRateLimitHeaders(_ response: inout HTTPResponse, _ d: RateLimitDecision) {
        response.headers.replaceOrAdd("X-RateLimit-Limit", String(d.limit))
        response.headers.replaceOrAdd("X-RateLimit-Remaining", String(max(0, d.remaining)))
        response.headers.replaceOrAdd("X-RateLimit-Reset", String(max(0, d.resetSeconds)))
    }

    func errorResponse(_ error: Error, _ request: HTTPRequest, caller: Caller?) -> HTTPResponse {
        guard let error = error as? EngineError else {
            logger.error("unexpected error", metadata: ["request.id": "\(request.requestID)", "request.path": "\(request.path)", "error": "\(error)"])
            return ErrorMapping.response(EngineError(.internal, "internal error (request id \(request.requestID))"), requestID: request.requestID)
        }
        if error.code == .internal {
            logger.error("internal error", metadata: ["request.id": "\(request.requestID)", "error": "\(error)"])
        }
        let response = ErrorMapping.response(error, requestID: request.requestID)
        if response.status == 401 || response.status == 403 || response.status == 429 {
            auditSecurityEvent(request, caller: caller, status: response.status, code: error.code.rawValue)
        }
        return response
    }

    /// One structured line per auth failure, forbidden attempt or rate-limit hit; never the secret.
    func auditSecurityEvent(_ request: HTTPRequest, caller: Caller?, status: Int, code: String) {
        var metadata: Logger.Metadata = [
            "audit": "true", "audit.event": .string(status == 401 ? "auth_failed" : status == 403 ? "forbidden" : "rate_limited"),
            "error.code": .string(code), "request.id": .string(request.requestID), "request.method": .string(request.method),
            "request.path": .string(request.path), "client.ip": .string(request.remoteAddress),
        ]
        if let caller {
            metadata["tenant.id"] = .string(caller.tenantID.uuidString.lowercased())
            if let p = caller.principal { metadata["principal"] = .string("\(p.kind.rawValue):\(p.id)") }
            metadata["caller.role"] = .string(caller.role.rawValue)
        }
        if let key = Self.presentedKey(request), let keyID = APIKeyFormat.keyID(of: key) { metadata["key.id"] = .string(keyID) }
        logger.notice("security event", metadata: metadata)
    }

    static func json(_ value: JSON, status: Int = 200, headers: HTTPHeaders = .init()) -> HTTPResponse {
        HTTPResponse.json(status: status, body: value.serialized(), headers: headers)
    }

    /// A JSON response whose body is already written (`Wire.object`, `Wire.receiptArray`).
    static func bytes(_ body: [UInt8], status: Int = 200, headers: HTTPHeaders = .init()) -> HTTPResponse {
        HTTPResponse.json(status: status, body: body, headers: headers)
    }
}
