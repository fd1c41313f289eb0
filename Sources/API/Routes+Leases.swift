import Domain
import Engine
import Foundation
import HTTP
import JSON

extension AsyncGateAPI {
    static func claimInput(_ c: RouteContext) throws -> ClaimInput {
        let i = c.input
        if let kind = try i.string("worker_kind"), kind != PrincipalKind.worker.rawValue {
            throw EngineError.validation("worker_kind must be \"worker\"")
        }
        let workerID = try i.requiredString("worker_id", maxLength: Principal.maxIDLength)
        var input = ClaimInput(worker: Principal(kind: .worker, id: workerID, instanceID: try i.string("worker_instance_id")))
        input.capabilities = try i.stringList("capabilities") ?? []
        // an empty list means "any type", as in the original implementation
        input.acceptTypes = try i.stringList("accept_types").flatMap { $0.isEmpty ? nil : $0 }
        input.maxTasks = try i.int("max_tasks", range: 1...10) ?? 1
        input.leaseTTLSeconds = try i.int("lease_ttl_seconds", range: 10...1800)
        return input
    }

    /// Claims without waiting.
    @Sendable static func claim(_ c: RouteContext) throws -> HTTPResponse {
        json(["tasks": .array(try c.engine.claim(c.caller, claimInput(c)).map(Wire.claimed))])
    }

    /// POST /v1/leases/claim. With `wait_seconds` (0…30) an idle claim waits for work instead of
    /// returning an empty list at once, holding no database connection while it waits.
    @Sendable static func claimWaiting(_ c: RouteContext, _ done: @escaping @Sendable (Result<HTTPResponse, Error>) -> Void) throws {
        let input = try claimInput(c)
        let wait = try c.input.number("wait_seconds", range: 0...30) ?? 0
        c.engine.claimWaiting(c.caller, input, waitSeconds: wait, executor: c.executor, callerMayBlock: c.callerMayBlock,
                              isCancelled: c.isCancelled) { result in
            done(result.map { claimed in json(["tasks": .array(claimed.map(Wire.claimed))]) })
        }
    }

    static func leaseRef(_ c: RouteContext, taskID: UUID? = nil) throws -> LeaseRef {
        try leaseRef(c.input, taskID: taskID)
    }

    static func leaseRef(_ i: RequestInput, taskID: UUID? = nil) throws -> LeaseRef {
        let task = try taskID ?? i.requiredUUID("task_id")
        return LeaseRef(taskID: task, leaseID: try i.requiredUUID("lease_id"),
                        workerID: Principal.normalize(try i.requiredString("worker_id", maxLength: Principal.maxIDLength)))
    }

    static func completeItem(_ i: RequestInput, taskID: UUID? = nil) throws -> CompleteItem {
        let ref = try leaseRef(i, taskID: taskID)
        var artifacts = i.body["artifacts"]
        if let a = artifacts {
            switch a {
            case .null: artifacts = nil
            case .array, .object: break
            default: throw EngineError.validation("artifacts must be a list or an object, got \(a.typeName)")
            }
        }
        let proof = i.body["delivery_proof"].flatMap { $0.isNull ? nil : $0 }
        return CompleteItem(ref: ref, result: i.body["result"] ?? .object([:]), artifacts: artifacts, deliveryProof: proof)
    }

    static func failItem(_ i: RequestInput, taskID: UUID? = nil) throws -> FailItem {
        let ref = try leaseRef(i, taskID: taskID)
        var error = i.body["error"] ?? .object([:])
        if case .string(let message) = error { error = ["message": .string(message)] }
        guard case .object = error else { throw EngineError.validation("error must be an object") }
        return FailItem(ref: ref, error: error, retryable: try i.bool("retryable") ?? false)
    }

    /// POST /v1/leases/complete {"items": [{task_id, lease_id, worker_id, result, artifacts}]}
    @Sendable static func completeMany(_ c: RouteContext) throws -> HTTPResponse {
        try leaseBatch(c, parse: { try completeItem($0) }, run: { try c.engine.completeMany(c.caller, $0) }) { _ in ["ok": true] }
    }

    /// POST /v1/leases/fail {"items": [{task_id, lease_id, worker_id, error, retryable}]}
    @Sendable static func failMany(_ c: RouteContext) throws -> HTTPResponse {
        try leaseBatch(c, parse: { try failItem($0) }, run: { try c.engine.failMany(c.caller, $0) }) { r in
            ["ok": true, "requeued": .bool(r.requeued), "next_eligible_at": Wire.time(r.nextEligibleAt)]
        }
    }

    /// Parses every item (reporting bad ones by index), runs the good ones as one batch, and
    /// answers one result per item in request order.
    static func leaseBatch<Item, Output>(_ c: RouteContext, parse: (RequestInput) throws -> Item,
                                         run: ([Item]) throws -> [Result<Output, EngineError>],
                                         success: (Output) -> [String: JSON]) throws -> HTTPResponse {
        let items = try c.input.batch("items")
        var results = [JSON](repeating: .null, count: items.count)
        var good: [(Int, Item)] = []
        for (index, raw) in items.enumerated() {
            do {
                good.append((index, try parse(RequestInput(item: raw, of: c.request, index: index))))
            } catch let e as EngineError {
                results[index] = batchFailure(index, e)
            }
        }
        let outcomes = good.isEmpty ? [] : try run(good.map(\.1))
        for ((index, _), outcome) in zip(good, outcomes) {
            switch outcome {
            case .success(let output):
                var fields = success(output)
                fields["index"] = .int(Int64(index))
                results[index] = .object(fields)
            case .failure(let error):
                results[index] = batchFailure(index, error)
            }
        }
        return json(["results": .array(results)])
    }

    @Sendable static func renew(_ c: RouteContext) throws -> HTTPResponse {
        let ref = try leaseRef(c)
        let extend = try c.input.int("extend_by_seconds", range: 10...1800)
        let expires = try c.engine.renewLease(c.caller, ref, extendBySeconds: extend)
        return json(["ok": true, "expires_at": Wire.time(expires)])
    }

    @Sendable static func running(_ c: RouteContext) throws -> HTTPResponse {
        let ref = try leaseRef(c, taskID: try c.pathUUID("task_id"))
        let started = try c.engine.startTask(c.caller, ref)
        return json(["ok": true, "status": "running", "started_at": Wire.time(started)])
    }

    @Sendable static func progress(_ c: RouteContext) throws -> HTTPResponse {
        let ref = try leaseRef(c, taskID: try c.pathUUID("task_id"))
        guard let progress = try c.input.object("progress") else { throw EngineError.validation("progress is required") }
        try c.engine.reportProgress(c.caller, ref, progress: progress)
        return json(["ok": true])
    }

    /// POST /v1/tasks/{task_id}/complete. Answered when the completion has committed; while it
    /// waits for a group commit (Engine.complete) the worker thread serves other requests.
    @Sendable static func complete(_ c: RouteContext, _ done: @escaping @Sendable (Result<HTTPResponse, Error>) -> Void) throws {
        let item = try completeItem(c.input, taskID: try c.pathUUID("task_id"))
        c.engine.complete(c.caller, item.ref, result: item.result, artifacts: item.artifacts, deliveryProof: item.deliveryProof,
                          executor: c.executor, callerMayBlock: c.callerMayBlock) { result in
            done(result.map { json(["ok": true]) })
        }
    }

    @Sendable static func fail(_ c: RouteContext) throws -> HTTPResponse {
        let item = try failItem(c.input, taskID: try c.pathUUID("task_id"))
        let result = try c.engine.fail(c.caller, item.ref, error: item.error, retryable: item.retryable)
        return json(["ok": true, "requeued": .bool(result.requeued), "next_eligible_at": Wire.time(result.nextEligibleAt)])
    }

}
