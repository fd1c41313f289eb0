import Domain
import Engine
import Foundation
import HTTP
import JSON
import Storage

extension AsyncGateAPI {
    static func makeRouter() -> Router<RouteSpec> {
        var r = Router<RouteSpec>()
        // system
        r.add("GET", "/v1/health", RouteSpec(requiresAuth: false, run: health))
        r.add("GET", "/v1/config", RouteSpec(run: config))
        r.add("GET", "/v1/metrics", RouteSpec(run: metrics))
        // TASKER
        r.add("POST", "/v1/tasks", RouteSpec(expectsBody: true, deferred: createTask))
        r.add("POST", "/v1/tasks/batch", RouteSpec(expectsBody: true, run: createTasks))
        r.add("GET", "/v1/tasks", RouteSpec(run: listTasks))
        r.add("GET", "/v1/tasks/running", RouteSpec(run: listRunning))
        r.add("GET", "/v1/tasks/{task_id}", RouteSpec(run: getTask))
        r.add("POST", "/v1/tasks/{task_id}/cancel", RouteSpec(expectsBody: true, run: cancelTask))
        // TASKEE
        r.add("POST", "/v1/leases/claim", RouteSpec(expectsBody: true, deferred: claimWaiting))
        r.add("POST", "/v1/leases/renew", RouteSpec(expectsBody: true, run: renew))
        r.add("POST", "/v1/leases/complete", RouteSpec(expectsBody: true, run: completeMany))
        r.add("POST", "/v1/leases/fail", RouteSpec(expectsBody: true, run: failMany))
        r.add("POST", "/v1/tasks/{task_id}/running", RouteSpec(expectsBody: true, run: running))
        r.add("POST", "/v1/tasks/{task_id}/progress", RouteSpec(expectsBody: true, run: progress))
        r.add("POST", "/v1/tasks/{task_id}/complete", RouteSpec(expectsBody: true, deferred: complete))
        r.add("POST", "/v1/tasks/{task_id}/fail", RouteSpec(expectsBody: true, run: fail))
        // receipts and obligations
        r.add("GET", "/v1/receipts", RouteSpec(run: listReceipts))
        r.add("GET", "/v1/receipts/ledger", RouteSpec(run: ledger))
        r.add("GET", "/v1/receipts/{receipt_id}", RouteSpec(run: getReceipt))
        r.add("POST", "/v1/receipts/{receipt_id}/ack", RouteSpec(expectsBody: true, run: ackReceipt))
        r.add("GET", "/v1/obligations/open", RouteSpec(run: openObligations))
        r.add("POST", "/v1/anomalies", RouteSpec(expectsBody: true, run: emitAnomaly))
        r.add("GET", "/v1/bootstrap", RouteSpec(run: bootstrap))
        return r
    }

    // MARK: system

    /// Reached only through the router (e.g. by MCP's `health` tool): REST health is answered in
    /// `handle` from the cached check.
    @Sendable static func health(_ c: RouteContext) throws -> HTTPResponse {
        healthBody(c.engine, healthy: c.engine.healthCheck())
    }

    static func healthBody(_ engine: Engine, healthy: Bool) -> HTTPResponse {
        json([
            "status": .string(healthy ? "healthy" : "unhealthy"), "service": "AsyncGate",
            "version": .string(engine.configuration.version), "instance_id": .string(engine.instanceID),
            "database": .string(healthy ? "ok" : "unreachable"),
        ], status: healthy ? 200 : 503)
    }

    func healthResponse(_ healthy: Bool) -> HTTPResponse { Self.healthBody(engine, healthy: healthy) }

    @Sendable static func config(_ c: RouteContext) throws -> HTTPResponse {
        let cfg = c.engine.configuration
        return json([
            "receipt_mode": .string(cfg.receiptMode), "instance_id": .string(c.engine.instanceID),
            "version": .string(cfg.version), "environment": .string(cfg.environment),
            "capabilities": ["tasks", "leases", "receipts", "obligations", "idempotency", "lease_renewal", "retry_backoff"],
            "limits": [
                "default_lease_ttl_seconds": .int(Int64(cfg.defaultLeaseTTLSeconds)),
                "max_lease_ttl_seconds": .int(Int64(cfg.maxLeaseTTLSeconds)),
                "max_lease_renewals": .int(Int64(cfg.maxLeaseRenewals)),
                "max_lease_lifetime_seconds": .int(Int64(cfg.maxLeaseLifetimeSeconds)),
                "default_max_attempts": .int(Int64(cfg.defaultMaxAttempts)),
                "default_retry_backoff_seconds": .int(Int64(cfg.defaultRetryBackoffSeconds)),
                "max_retry_backoff_seconds": .int(Int64(cfg.maxRetryBackoffSeconds)),
                "max_payload_bytes": .int(Int64(TaskLimits.maxPayloadBytes)),
                "max_receipt_body_bytes": .int(Int64(ReceiptLimits.maxBodyBytes)),
                "max_parents": .int(Int64(ReceiptLimits.maxParents)),
                "max_artifacts": .int(Int64(ReceiptLimits.maxArtifacts)),
                "max_list_limit": 200,
            ],
        ])
    }

    @Sendable static func metrics(_ c: RouteContext) throws -> HTTPResponse {
        let sizes = try c.engine.queueSizes(c.caller)
        var queue: [String: JSON] = [:]
        for status in TaskStatus.allCases { queue[status.rawValue] = .int(Int64(sizes[status.rawValue] ?? 0)) }
        var metrics: [String: JSON] = [:]
        for (k, v) in c.engine.metricsSnapshot { metrics[k] = .int(Int64(v)) }
        return json(["metrics": .object(metrics), "queue_sizes": .object(queue)])
    }

    // MARK: tasks

    /// POST /v1/tasks. Answered when the create has committed; while it waits for a group commit
    /// (Engine.createTask) the worker thread serves other requests.
    @Sendable static func createTask(_ c: RouteContext, _ done: @escaping @Sendable (Result<HTTPResponse, Error>) -> Void) throws {
        let owner = try c.input.principal(defaultKind: .agent, bound: c.caller.principal)
        c.engine.createTask(c.caller, try createInput(c.input, owner: owner), executor: c.executor,
                            callerMayBlock: c.callerMayBlock) { result in
            done(result.map { created in
                json(["task_id": Wire.id(created.taskID), "status": .string(created.status.rawValue), "created": .bool(created.created)])
            })
        }
    }

    /// The create fields of COMPAT.md, shared by single and batch create.
    static func createInput(_ i: RequestInput, owner: Principal) throws -> CreateTaskInput {
        var input = CreateTaskInput(owner: owner, type: try i.requiredString("type", maxLength: TaskLimits.maxTypeLength))
        input.payload = try i.object("payload") ?? .object([:])
        input.payloadPointer = try i.string("payload_pointer", maxLength: 2048)
        input.principalAI = try i.string("principal_ai")
        input.requirements = try i.object("requirements") ?? .object([:])
        input.expectedOutcomeKind = try i.string("expected_outcome_kind")
        input.expectedArtifactMime = try i.string("expected_artifact_mime")
        input.priority = try i.int("priority", range: -1_000_000...1_000_000) ?? 0
        input.idempotencyKey = try i.string("idempotency_key", maxLength: TaskLimits.maxIdempotencyKeyLength)
        input.maxAttempts = try i.int("max_attempts", range: 1...100)
        input.retryBackoffSeconds = try i.int("retry_backoff_seconds", range: 1...86_400)
        input.delaySeconds = try i.number("delay_seconds", range: 0...31_536_000) ?? 0
        return input
    }

    /// POST /v1/tasks/batch {"tasks": [...]}: per-item results; the valid items are written in one
    /// transaction (idempotency keys apply per item).
    @Sendable static func createTasks(_ c: RouteContext) throws -> HTTPResponse {
        let owner = try c.input.principal(defaultKind: .agent, bound: c.caller.principal)
        let items = try c.input.batch("tasks")
        var parsed: [Int: CreateTaskInput] = [:]
        var failures: [Int: EngineError] = [:]
        for (index, item) in items.enumerated() {
            do {
                parsed[index] = try createInput(RequestInput(item: item, of: c.request, index: index), owner: owner)
            } catch let e as EngineError {
                failures[index] = e
            }
        }
        let order = parsed.keys.sorted()
        let outcomes = order.isEmpty ? [] : try c.engine.createTasks(c.caller, order.map { parsed[$0]! })
        var results = [JSON](repeating: .null, count: items.count)
        for (index, error) in failures { results[index] = batchFailure(index, error) }
        for (index, outcome) in zip(order, outcomes) {
            switch outcome {
            case .success(let created):
                results[index] = ["index": .int(Int64(index)), "ok": true, "task_id": Wire.id(created.taskID),
                                  "status": .string(created.status.rawValue), "created": .bool(created.created)]
            case .failure(let error):
                results[index] = batchFailure(index, error)
            }
        }
        return json(["results": .array(results)])
    }

    static func batchFailure(_ index: Int, _ error: EngineError) -> JSON {
        ["index": .int(Int64(index)), "ok": false,
         "error": ["code": .string(error.code.rawValue), "message": .string(error.message),
                   "status": .int(Int64(ErrorMapping.status(for: error.code)))]]
    }

    @Sendable static func getTask(_ c: RouteContext) throws -> HTTPResponse {
        json(Wire.task(try c.engine.getTask(c.caller, taskID: try c.pathUUID("task_id"))))
    }

    @Sendable static func listTasks(_ c: RouteContext) throws -> HTTPResponse {
        var statuses: [TaskStatus]?
        if let raw = c.input.query("status") {
            guard let s = TaskStatus(rawValue: raw) else {
                throw EngineError(.invalidParameter, "status must be one of \(TaskStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            statuses = [s]
        }
        return try taskPage(c, statuses: statuses)
    }

    @Sendable static func listRunning(_ c: RouteContext) throws -> HTTPResponse {
        try taskPage(c, statuses: [.leased, .running])
    }

    static func taskPage(_ c: RouteContext, statuses: [TaskStatus]?) throws -> HTTPResponse {
        let limit = try c.input.queryInt("limit", default: 50, range: 1...200)
        let filter = TaskListFilter(statuses: statuses, type: c.input.query("type"),
                                    createdByID: c.input.query("created_by").map(Principal.normalize),
                                    cursor: try c.input.queryUUID("cursor"), limit: limit)
        let tasks = try c.engine.listTasks(c.caller, filter: filter)
        let next: JSON = tasks.count == limit ? Wire.id(tasks.last?.taskID) : .null
        return json(["tasks": .array(tasks.map(Wire.task)), "next_cursor": next])
    }

    @Sendable static func cancelTask(_ c: RouteContext) throws -> HTTPResponse {
        let by = try c.input.principal(defaultKind: .agent, bound: c.caller.principal)
        let reason = try c.input.query("reason") ?? c.input.string("reason")
        let result = try c.engine.cancelTask(c.caller, taskID: try c.pathUUID("task_id"), by: by, reason: reason)
        return json(["ok": .bool(result.changed || result.status == .canceled), "status": .string(result.status.rawValue),
                     "changed": .bool(result.changed)])
    }
}
