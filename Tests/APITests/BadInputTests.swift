import Foundation
import JSON
import Testing

/// One malformed request and the answer COMPAT.md promises for it.
///
/// Placeholders in `path` and `body`: `{task}` a leased task, `{lease}` its lease (held by `w1`),
/// `{receipt}` its `task.assigned` receipt, `{unknown}` an id that names nothing.
struct BadInput: Sendable, CustomTestStringConvertible {
    var name: String
    var method: String
    var path: String
    var body: String?
    var status: Int
    var code: String
    var testDescription: String { "\(name) → \(status) \(code)" }

    init(_ name: String, _ method: String, _ path: String, _ body: String? = nil, _ status: Int, _ code: String) {
        self.name = name; self.method = method; self.path = path; self.body = body; self.status = status; self.code = code
    }
}

enum BadInputs {
    static let create = "/v1/tasks?principal_kind=agent&principal_id=alice"
    static let lease = #""worker_id": "w1", "lease_id": "{lease}""#
    static let big = String(repeating: "x", count: 70 * 1024)
    static let huge = String(repeating: "y", count: 1024 * 1024 + 16)
    static let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
    static let manyArtifacts = "[" + (0..<101).map { #"{"uri": "s3://b/\#($0)"}"# }.joined(separator: ",") + "]"

    static let createTask: [BadInput] = [
        BadInput("malformed JSON", "POST", create, #"{"type": "echo","#, 400, "INVALID_JSON"),
        BadInput("single-quoted JSON", "POST", create, #"{'type': 'echo'}"#, 400, "INVALID_JSON"),
        BadInput("trailing garbage", "POST", create, #"{"type": "echo"} x"#, 400, "INVALID_JSON"),
        BadInput("nesting too deep", "POST", create, #"{"type": "echo", "payload": {"a": \#(deep)}}"#, 400, "INVALID_JSON"),
        BadInput("array body", "POST", create, #"[{"type": "echo"}]"#, 422, "VALIDATION_ERROR"),
        // U+0000 fits JSON but not PostgreSQL text or jsonb: refused by name, never a 500
        BadInput("NUL in the payload", "POST", create, #"{"type": "e", "payload": {"a": "x\u0000y"}}"#, 422, "VALIDATION_ERROR"),
        BadInput("NUL in a payload key", "POST", create, #"{"type": "e", "payload": {"a\u0000": 1}}"#, 422, "VALIDATION_ERROR"),
        BadInput("NUL deep in the payload", "POST", create, #"{"type": "e", "payload": {"l": [1, {"b": ["\u0000"]}]}}"#, 422, "VALIDATION_ERROR"),
        BadInput("NUL in the type", "POST", create, #"{"type": "e\u0000"}"#, 422, "VALIDATION_ERROR"),
        BadInput("NUL in principal_id (query)", "POST", "/v1/tasks?principal_kind=agent&principal_id=al%00ice", #"{"type": "e"}"#, 400, "INVALID_PARAMETER"),
        BadInput("string body", "POST", create, #""echo""#, 422, "VALIDATION_ERROR"),
        BadInput("null body", "POST", create, "null", 422, "VALIDATION_ERROR"),
        BadInput("empty object (type missing)", "POST", create, "{}", 422, "VALIDATION_ERROR"),
        BadInput("no body (type missing)", "POST", create, nil, 422, "VALIDATION_ERROR"),
        BadInput("type null", "POST", create, #"{"type": null}"#, 422, "VALIDATION_ERROR"),
        BadInput("type not a string", "POST", create, #"{"type": 5}"#, 422, "VALIDATION_ERROR"),
        BadInput("type empty", "POST", create, #"{"type": ""}"#, 422, "VALIDATION_ERROR"),
        BadInput("type too long", "POST", create, #"{"type": "\#(String(repeating: "t", count: 300))"}"#, 422, "VALIDATION_ERROR"),
        BadInput("payload a string", "POST", create, #"{"type": "e", "payload": "x"}"#, 422, "VALIDATION_ERROR"),
        BadInput("payload a list", "POST", create, #"{"type": "e", "payload": [1]}"#, 422, "VALIDATION_ERROR"),
        BadInput("payload_pointer a number", "POST", create, #"{"type": "e", "payload_pointer": 1}"#, 422, "VALIDATION_ERROR"),
        BadInput("principal_ai a bool", "POST", create, #"{"type": "e", "principal_ai": true}"#, 422, "VALIDATION_ERROR"),
        BadInput("requirements a list", "POST", create, #"{"type": "e", "requirements": ["gpu"]}"#, 422, "VALIDATION_ERROR"),
        BadInput("requirements.capabilities a string", "POST", create, #"{"type": "e", "requirements": {"capabilities": "gpu"}}"#, 422, "VALIDATION_ERROR"),
        BadInput("requirements.capabilities of numbers", "POST", create, #"{"type": "e", "requirements": {"capabilities": [1]}}"#, 422, "VALIDATION_ERROR"),
        BadInput("priority a string", "POST", create, #"{"type": "e", "priority": "high"}"#, 422, "VALIDATION_ERROR"),
        BadInput("priority fractional", "POST", create, #"{"type": "e", "priority": 1.5}"#, 422, "VALIDATION_ERROR"),
        BadInput("max_attempts 0", "POST", create, #"{"type": "e", "max_attempts": 0}"#, 422, "VALIDATION_ERROR"),
        BadInput("max_attempts a string", "POST", create, #"{"type": "e", "max_attempts": "3"}"#, 422, "VALIDATION_ERROR"),
        BadInput("retry_backoff_seconds 0", "POST", create, #"{"type": "e", "retry_backoff_seconds": 0}"#, 422, "VALIDATION_ERROR"),
        BadInput("delay_seconds negative", "POST", create, #"{"type": "e", "delay_seconds": -1}"#, 422, "VALIDATION_ERROR"),
        BadInput("delay_seconds a string", "POST", create, #"{"type": "e", "delay_seconds": "soon"}"#, 422, "VALIDATION_ERROR"),
        BadInput("idempotency_key a number", "POST", create, #"{"type": "e", "idempotency_key": 7}"#, 422, "VALIDATION_ERROR"),
        BadInput("idempotency_key too long", "POST", create, #"{"type": "e", "idempotency_key": "\#(String(repeating: "k", count: 300))"}"#, 422, "VALIDATION_ERROR"),
        BadInput("payload_pointer too long", "POST", create, #"{"type": "e", "payload_pointer": "\#(String(repeating: "p", count: 3000))"}"#, 422, "VALIDATION_ERROR"),
        BadInput("priority out of range", "POST", create, #"{"type": "e", "priority": 2000000}"#, 422, "VALIDATION_ERROR"),
        BadInput("max_attempts negative", "POST", create, #"{"type": "e", "max_attempts": -1}"#, 422, "VALIDATION_ERROR"),
        BadInput("payload over 1 MB", "POST", create, #"{"type": "e", "payload": {"s": "\#(huge)"}}"#, 413, "PAYLOAD_TOO_LARGE"),
        BadInput("unknown principal_kind", "POST", "/v1/tasks?principal_kind=robot&principal_id=alice", #"{"type": "e"}"#, 400, "INVALID_PARAMETER"),
        BadInput("principal_id missing", "POST", "/v1/tasks?principal_kind=agent", #"{"type": "e"}"#, 400, "INVALID_PARAMETER"),
        BadInput("no principal at all", "POST", "/v1/tasks", #"{"type": "e"}"#, 400, "INVALID_PARAMETER"),
        BadInput("principal_id too long", "POST", "/v1/tasks?principal_kind=agent&principal_id=\(String(repeating: "p", count: 300))", #"{"type": "e"}"#, 400, "INVALID_PARAMETER"),
        BadInput("internal principal svc:", "POST", "/v1/tasks?principal_kind=agent&principal_id=svc:asyncgate", #"{"type": "e"}"#, 403, "FORBIDDEN_PRINCIPAL"),
        BadInput("internal principal sys:", "POST", "/v1/tasks?principal_kind=agent&principal_id=sys:root", #"{"type": "e"}"#, 403, "FORBIDDEN_PRINCIPAL"),
        BadInput("internal principal in the body", "POST", "/v1/tasks", #"{"type": "e", "principal_kind": "service", "principal_id": "svc:x"}"#, 403, "FORBIDDEN_PRINCIPAL"),
        BadInput("system principal kind", "POST", "/v1/tasks?principal_kind=system&principal_id=alice", #"{"type": "e"}"#, 403, "FORBIDDEN_PRINCIPAL"),
        BadInput("raw control character in a string", "POST", create, "{\"type\": \"e\u{01}\"}", 400, "INVALID_JSON"),
    ]

    static let readTasks: [BadInput] = [
        BadInput("task id not a UUID", "GET", "/v1/tasks/not-a-uuid", nil, 422, "VALIDATION_ERROR"),
        BadInput("unknown task", "GET", "/v1/tasks/{unknown}", nil, 404, "TASK_NOT_FOUND"),
        BadInput("list: unknown status", "GET", "/v1/tasks?status=done", nil, 400, "INVALID_PARAMETER"),
        BadInput("list: limit 0", "GET", "/v1/tasks?limit=0", nil, 400, "INVALID_PARAMETER"),
        BadInput("list: limit 201", "GET", "/v1/tasks?limit=201", nil, 400, "INVALID_PARAMETER"),
        BadInput("list: limit not a number", "GET", "/v1/tasks?limit=ten", nil, 400, "INVALID_PARAMETER"),
        BadInput("list: cursor not a UUID", "GET", "/v1/tasks?cursor=abc", nil, 400, "INVALID_PARAMETER"),
        BadInput("running: limit 0", "GET", "/v1/tasks/running?limit=0", nil, 400, "INVALID_PARAMETER"),
        BadInput("running: limit 201", "GET", "/v1/tasks/running?limit=201", nil, 400, "INVALID_PARAMETER"),
        BadInput("running: cursor not a UUID", "GET", "/v1/tasks/running?cursor=x", nil, 400, "INVALID_PARAMETER"),
        // COMPAT: sys:/svc: ids are internal → 403 for a non-internal caller, reads included
        BadInput("list: created_by an internal principal", "GET", "/v1/tasks?created_by=svc:asyncgate", nil, 403, "FORBIDDEN_PRINCIPAL"),
        BadInput("running: created_by an internal principal", "GET", "/v1/tasks/running?created_by=sys:sweeper", nil, 403, "FORBIDDEN_PRINCIPAL"),
    ]

    static let cancel: [BadInput] = [
        BadInput("task id not a UUID", "POST", "/v1/tasks/nope/cancel", #"{"principal_kind": "agent", "principal_id": "alice"}"#, 422, "VALIDATION_ERROR"),
        BadInput("unknown task", "POST", "/v1/tasks/{unknown}/cancel", #"{"principal_kind": "agent", "principal_id": "alice"}"#, 404, "TASK_NOT_FOUND"),
        BadInput("malformed JSON", "POST", "/v1/tasks/{task}/cancel", #"{"principal_kind": "#, 400, "INVALID_JSON"),
        BadInput("non-object body", "POST", "/v1/tasks/{task}/cancel", "[]", 422, "VALIDATION_ERROR"),
        BadInput("unknown principal_kind", "POST", "/v1/tasks/{task}/cancel", #"{"principal_kind": "robot", "principal_id": "alice"}"#, 400, "INVALID_PARAMETER"),
        BadInput("principal missing", "POST", "/v1/tasks/{task}/cancel", "{}", 400, "INVALID_PARAMETER"),
        BadInput("not the owner", "POST", "/v1/tasks/{task}/cancel", #"{"principal_kind": "agent", "principal_id": "mallory"}"#, 403, "NOT_TASK_OWNER"),
        BadInput("internal principal", "POST", "/v1/tasks/{task}/cancel", #"{"principal_kind": "agent", "principal_id": "sys:admin"}"#, 403, "FORBIDDEN_PRINCIPAL"),
        BadInput("reason not a string", "POST", "/v1/tasks/{task}/cancel", #"{"principal_kind": "agent", "principal_id": "alice", "reason": 5}"#, 422, "VALIDATION_ERROR"),
    ]

    static let claim: [BadInput] = [
        BadInput("malformed JSON", "POST", "/v1/leases/claim", #"{"worker_id": "w9""#, 400, "INVALID_JSON"),
        BadInput("non-object body", "POST", "/v1/leases/claim", #"["w9"]"#, 422, "VALIDATION_ERROR"),
        BadInput("worker_id missing", "POST", "/v1/leases/claim", "{}", 422, "VALIDATION_ERROR"),
        BadInput("no body", "POST", "/v1/leases/claim", nil, 422, "VALIDATION_ERROR"),
        BadInput("worker_id not a string", "POST", "/v1/leases/claim", #"{"worker_id": 9}"#, 422, "VALIDATION_ERROR"),
        BadInput("worker_id empty", "POST", "/v1/leases/claim", #"{"worker_id": ""}"#, 422, "VALIDATION_ERROR"),
        BadInput("NUL in worker_id", "POST", "/v1/leases/claim", #"{"worker_id": "w\u0000"}"#, 422, "VALIDATION_ERROR"),
        BadInput("NUL in accept_types", "POST", "/v1/leases/claim", #"{"worker_id": "w9", "accept_types": ["e\u0000"]}"#, 422, "VALIDATION_ERROR"),
        BadInput("worker_kind agent", "POST", "/v1/leases/claim", #"{"worker_id": "w9", "worker_kind": "agent"}"#, 422, "VALIDATION_ERROR"),
        BadInput("worker_kind unknown", "POST", "/v1/leases/claim", #"{"worker_id": "w9", "worker_kind": "robot"}"#, 422, "VALIDATION_ERROR"),
        BadInput("capabilities a string", "POST", "/v1/leases/claim", #"{"worker_id": "w9", "capabilities": "gpu"}"#, 422, "VALIDATION_ERROR"),
        BadInput("capabilities of numbers", "POST", "/v1/leases/claim", #"{"worker_id": "w9", "capabilities": [1, 2]}"#, 422, "VALIDATION_ERROR"),
        BadInput("accept_types a string", "POST", "/v1/leases/claim", #"{"worker_id": "w9", "accept_types": "echo"}"#, 422, "VALIDATION_ERROR"),
        BadInput("max_tasks 0", "POST", "/v1/leases/claim", #"{"worker_id": "w9", "max_tasks": 0}"#, 422, "VALIDATION_ERROR"),
        BadInput("max_tasks 11", "POST", "/v1/leases/claim", #"{"worker_id": "w9", "max_tasks": 11}"#, 422, "VALIDATION_ERROR"),
        BadInput("max_tasks a string", "POST", "/v1/leases/claim", #"{"worker_id": "w9", "max_tasks": "2"}"#, 422, "VALIDATION_ERROR"),
        BadInput("lease_ttl_seconds 5", "POST", "/v1/leases/claim", #"{"worker_id": "w9", "lease_ttl_seconds": 5}"#, 422, "VALIDATION_ERROR"),
        BadInput("lease_ttl_seconds 4000", "POST", "/v1/leases/claim", #"{"worker_id": "w9", "lease_ttl_seconds": 4000}"#, 422, "VALIDATION_ERROR"),
        BadInput("internal worker id", "POST", "/v1/leases/claim", #"{"worker_id": "svc:worker"}"#, 403, "FORBIDDEN_PRINCIPAL"),
    ]

    static let renew: [BadInput] = [
        BadInput("malformed JSON", "POST", "/v1/leases/renew", #"{"task_id": "#, 400, "INVALID_JSON"),
        BadInput("task_id missing", "POST", "/v1/leases/renew", "{\(lease)}", 422, "VALIDATION_ERROR"),
        BadInput("task_id not a UUID", "POST", "/v1/leases/renew", #"{\#(lease), "task_id": "nope"}"#, 422, "VALIDATION_ERROR"),
        BadInput("lease_id missing", "POST", "/v1/leases/renew", #"{"worker_id": "w1", "task_id": "{task}"}"#, 422, "VALIDATION_ERROR"),
        BadInput("lease_id not a UUID", "POST", "/v1/leases/renew", #"{"worker_id": "w1", "task_id": "{task}", "lease_id": "x"}"#, 422, "VALIDATION_ERROR"),
        BadInput("worker_id missing", "POST", "/v1/leases/renew", #"{"lease_id": "{lease}", "task_id": "{task}"}"#, 422, "VALIDATION_ERROR"),
        BadInput("extend_by_seconds 5", "POST", "/v1/leases/renew", #"{\#(lease), "task_id": "{task}", "extend_by_seconds": 5}"#, 422, "VALIDATION_ERROR"),
        BadInput("extend_by_seconds 4000", "POST", "/v1/leases/renew", #"{\#(lease), "task_id": "{task}", "extend_by_seconds": 4000}"#, 422, "VALIDATION_ERROR"),
        BadInput("wrong lease", "POST", "/v1/leases/renew", #"{"worker_id": "w1", "lease_id": "{unknown}", "task_id": "{task}"}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("wrong worker", "POST", "/v1/leases/renew", #"{"worker_id": "w2", "lease_id": "{lease}", "task_id": "{task}"}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("unknown task", "POST", "/v1/leases/renew", #"{\#(lease), "task_id": "{unknown}"}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("lease of another task", "POST", "/v1/leases/renew", #"{\#(lease), "task_id": "{queued}"}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("internal worker id", "POST", "/v1/leases/renew", #"{"worker_id": "svc:w", "lease_id": "{lease}", "task_id": "{task}"}"#, 403, "FORBIDDEN_PRINCIPAL"),
    ]

    static let running: [BadInput] = [
        BadInput("task id not a UUID", "POST", "/v1/tasks/nope/running", "{\(lease)}", 422, "VALIDATION_ERROR"),
        BadInput("malformed JSON", "POST", "/v1/tasks/{task}/running", "{", 400, "INVALID_JSON"),
        BadInput("lease_id missing", "POST", "/v1/tasks/{task}/running", #"{"worker_id": "w1"}"#, 422, "VALIDATION_ERROR"),
        BadInput("lease_id not a UUID", "POST", "/v1/tasks/{task}/running", #"{"worker_id": "w1", "lease_id": "nope"}"#, 422, "VALIDATION_ERROR"),
        BadInput("worker_id missing", "POST", "/v1/tasks/{task}/running", #"{"lease_id": "{lease}"}"#, 422, "VALIDATION_ERROR"),
        BadInput("wrong lease", "POST", "/v1/tasks/{task}/running", #"{"worker_id": "w1", "lease_id": "{unknown}"}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("wrong worker", "POST", "/v1/tasks/{task}/running", #"{"worker_id": "w2", "lease_id": "{lease}"}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("unknown task", "POST", "/v1/tasks/{unknown}/running", "{\(lease)}", 404, "TASK_NOT_FOUND"),
        BadInput("queued task, foreign lease", "POST", "/v1/tasks/{queued}/running", "{\(lease)}", 400, "LEASE_INVALID_OR_EXPIRED"),
    ]

    static let progress: [BadInput] = [
        BadInput("progress missing", "POST", "/v1/tasks/{task}/progress", "{\(lease)}", 422, "VALIDATION_ERROR"),
        BadInput("progress a string", "POST", "/v1/tasks/{task}/progress", #"{\#(lease), "progress": "50%"}"#, 422, "VALIDATION_ERROR"),
        BadInput("progress a list", "POST", "/v1/tasks/{task}/progress", #"{\#(lease), "progress": [50]}"#, 422, "VALIDATION_ERROR"),
        BadInput("wrong lease", "POST", "/v1/tasks/{task}/progress", #"{"worker_id": "w1", "lease_id": "{unknown}", "progress": {}}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("wrong worker", "POST", "/v1/tasks/{task}/progress", #"{"worker_id": "w2", "lease_id": "{lease}", "progress": {}}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("unknown task", "POST", "/v1/tasks/{unknown}/progress", #"{\#(lease), "progress": {}}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("progress over 64 KB", "POST", "/v1/tasks/{task}/progress", #"{\#(lease), "progress": {"s": "\#(big)"}}"#, 413, "RECEIPT_TOO_LARGE"),
    ]

    static let complete: [BadInput] = [
        BadInput("task id not a UUID", "POST", "/v1/tasks/nope/complete", "{\(lease)}", 422, "VALIDATION_ERROR"),
        BadInput("malformed JSON", "POST", "/v1/tasks/{task}/complete", #"{"worker_id": "w1", "#, 400, "INVALID_JSON"),
        BadInput("non-object body", "POST", "/v1/tasks/{task}/complete", "42", 422, "VALIDATION_ERROR"),
        BadInput("lease_id missing", "POST", "/v1/tasks/{task}/complete", #"{"worker_id": "w1", "result": {}}"#, 422, "VALIDATION_ERROR"),
        BadInput("worker_id not a string", "POST", "/v1/tasks/{task}/complete", #"{"worker_id": 1, "lease_id": "{lease}"}"#, 422, "VALIDATION_ERROR"),
        BadInput("artifacts a string", "POST", "/v1/tasks/{task}/complete", #"{\#(lease), "artifacts": "s3://x"}"#, 422, "VALIDATION_ERROR"),
        BadInput("artifacts a number", "POST", "/v1/tasks/{task}/complete", #"{\#(lease), "artifacts": 3}"#, 422, "VALIDATION_ERROR"),
        BadInput("NUL in the result", "POST", "/v1/tasks/{task}/complete", #"{\#(lease), "result": {"t": "\u0000"}, "artifacts": [{"uri": "u"}]}"#, 422, "VALIDATION_ERROR"),
        BadInput("NUL in an artifact", "POST", "/v1/tasks/{task}/complete", #"{\#(lease), "artifacts": [{"uri": "u\u0000"}]}"#, 422, "VALIDATION_ERROR"),
        BadInput("101 artifacts", "POST", "/v1/tasks/{task}/complete", #"{\#(lease), "artifacts": \#(manyArtifacts)}"#, 422, "TOO_MANY_ARTIFACTS"),
        BadInput("result over 64 KB", "POST", "/v1/tasks/{task}/complete", #"{\#(lease), "result": {"s": "\#(big)"}, "artifacts": [{"uri": "u"}]}"#, 413, "RECEIPT_TOO_LARGE"),
        BadInput("wrong lease", "POST", "/v1/tasks/{task}/complete", #"{"worker_id": "w1", "lease_id": "{unknown}", "artifacts": [{"uri": "u"}]}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("wrong worker", "POST", "/v1/tasks/{task}/complete", #"{"worker_id": "w2", "lease_id": "{lease}", "artifacts": [{"uri": "u"}]}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("unknown task", "POST", "/v1/tasks/{unknown}/complete", #"{\#(lease), "artifacts": [{"uri": "u"}]}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("queued task, foreign lease", "POST", "/v1/tasks/{queued}/complete", #"{\#(lease), "artifacts": [{"uri": "u"}]}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("internal worker id", "POST", "/v1/tasks/{task}/complete", #"{"worker_id": "svc:w", "lease_id": "{lease}"}"#, 403, "FORBIDDEN_PRINCIPAL"),
    ]

    static let fail: [BadInput] = [
        BadInput("malformed JSON", "POST", "/v1/tasks/{task}/fail", "{,}", 400, "INVALID_JSON"),
        BadInput("error a number", "POST", "/v1/tasks/{task}/fail", #"{\#(lease), "error": 5}"#, 422, "VALIDATION_ERROR"),
        BadInput("error a list", "POST", "/v1/tasks/{task}/fail", #"{\#(lease), "error": ["x"]}"#, 422, "VALIDATION_ERROR"),
        BadInput("NUL in the error", "POST", "/v1/tasks/{task}/fail", #"{\#(lease), "error": {"message": "a\u0000b"}}"#, 422, "VALIDATION_ERROR"),
        BadInput("retryable a string", "POST", "/v1/tasks/{task}/fail", #"{\#(lease), "error": {}, "retryable": "yes"}"#, 422, "VALIDATION_ERROR"),
        BadInput("error over 64 KB", "POST", "/v1/tasks/{task}/fail", #"{\#(lease), "error": {"s": "\#(big)"}}"#, 413, "RECEIPT_TOO_LARGE"),
        BadInput("wrong lease", "POST", "/v1/tasks/{task}/fail", #"{"worker_id": "w1", "lease_id": "{unknown}", "error": {}}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("wrong worker", "POST", "/v1/tasks/{task}/fail", #"{"worker_id": "w2", "lease_id": "{lease}", "error": {}}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("unknown task", "POST", "/v1/tasks/{unknown}/fail", #"{\#(lease), "error": {}}"#, 400, "LEASE_INVALID_OR_EXPIRED"),
        BadInput("lease_id missing", "POST", "/v1/tasks/{task}/fail", #"{"worker_id": "w1", "error": {}}"#, 422, "VALIDATION_ERROR"),
    ]

    static let receipts: [BadInput] = [
        BadInput("list: to_kind missing", "GET", "/v1/receipts?to_id=alice", nil, 400, "INVALID_PARAMETER"),
        BadInput("list: to_id missing", "GET", "/v1/receipts?to_kind=agent", nil, 400, "INVALID_PARAMETER"),
        BadInput("list: unknown to_kind", "GET", "/v1/receipts?to_kind=robot&to_id=alice", nil, 400, "INVALID_PARAMETER"),
        BadInput("list: limit 0", "GET", "/v1/receipts?to_kind=agent&to_id=alice&limit=0", nil, 400, "INVALID_PARAMETER"),
        BadInput("list: limit 201", "GET", "/v1/receipts?to_kind=agent&to_id=alice&limit=201", nil, 400, "INVALID_PARAMETER"),
        BadInput("list: since_receipt_id not a UUID", "GET", "/v1/receipts?to_kind=agent&to_id=alice&since_receipt_id=x", nil, 400, "INVALID_PARAMETER"),
        BadInput("list: an internal principal's inbox", "GET", "/v1/receipts?to_kind=service&to_id=svc:asyncgate", nil, 403, "FORBIDDEN_PRINCIPAL"),
        BadInput("list: internal via ext: prefix", "GET", "/v1/receipts?to_kind=agent&to_id=ext:sys:root", nil, 403, "FORBIDDEN_PRINCIPAL"),
        BadInput("ledger: no filter", "GET", "/v1/receipts/ledger", nil, 400, "INVALID_PARAMETER"),
        BadInput("ledger: only a limit", "GET", "/v1/receipts/ledger?limit=10", nil, 400, "INVALID_PARAMETER"),
        BadInput("ledger: unknown status", "GET", "/v1/receipts/ledger?status=done", nil, 400, "INVALID_PARAMETER"),
        BadInput("ledger: task_id not a UUID", "GET", "/v1/receipts/ledger?task_id=abc", nil, 400, "INVALID_PARAMETER"),
        BadInput("ledger: lease_id not a UUID", "GET", "/v1/receipts/ledger?lease_id=abc", nil, 400, "INVALID_PARAMETER"),
        BadInput("ledger: limit 201", "GET", "/v1/receipts/ledger?task_id={task}&limit=201", nil, 400, "INVALID_PARAMETER"),
        BadInput("get: not a UUID", "GET", "/v1/receipts/not-a-uuid", nil, 422, "VALIDATION_ERROR"),
        BadInput("get: unknown", "GET", "/v1/receipts/{unknown}", nil, 404, "RECEIPT_NOT_FOUND"),
        BadInput("ack: not a UUID", "POST", "/v1/receipts/zzz/ack", #"{"principal_kind": "agent", "principal_id": "alice"}"#, 422, "VALIDATION_ERROR"),
        BadInput("ack: unknown", "POST", "/v1/receipts/{unknown}/ack", #"{"principal_kind": "agent", "principal_id": "alice"}"#, 404, "RECEIPT_NOT_FOUND"),
        BadInput("ack: malformed JSON", "POST", "/v1/receipts/{receipt}/ack", "{{", 400, "INVALID_JSON"),
        BadInput("ack: principal missing", "POST", "/v1/receipts/{receipt}/ack", "{}", 400, "INVALID_PARAMETER"),
        BadInput("ack: unknown principal_kind", "POST", "/v1/receipts/{receipt}/ack", #"{"principal_kind": "bot", "principal_id": "alice"}"#, 400, "INVALID_PARAMETER"),
        BadInput("ack: internal principal", "POST", "/v1/receipts/{receipt}/ack", #"{"principal_kind": "service", "principal_id": "svc:asyncgate"}"#, 403, "FORBIDDEN_PRINCIPAL"),
    ]

    static let obligations: [BadInput] = [
        BadInput("principal_kind missing", "GET", "/v1/obligations/open?principal_id=alice", nil, 400, "INVALID_PARAMETER"),
        BadInput("principal_id missing", "GET", "/v1/obligations/open?principal_kind=agent", nil, 400, "INVALID_PARAMETER"),
        BadInput("unknown principal_kind", "GET", "/v1/obligations/open?principal_kind=robot&principal_id=alice", nil, 400, "INVALID_PARAMETER"),
        BadInput("limit 0", "GET", "/v1/obligations/open?principal_kind=agent&principal_id=alice&limit=0", nil, 400, "INVALID_PARAMETER"),
        BadInput("limit 201", "GET", "/v1/obligations/open?principal_kind=agent&principal_id=alice&limit=201", nil, 400, "INVALID_PARAMETER"),
        BadInput("since_receipt_id not a UUID", "GET", "/v1/obligations/open?principal_kind=agent&principal_id=alice&since_receipt_id=1", nil, 400, "INVALID_PARAMETER"),
        BadInput("internal principal", "GET", "/v1/obligations/open?principal_kind=service&principal_id=svc:asyncgate", nil, 403, "FORBIDDEN_PRINCIPAL"),
        BadInput("bootstrap: internal principal", "GET", "/v1/bootstrap?principal_kind=agent&principal_id=sys:root", nil, 403, "FORBIDDEN_PRINCIPAL"),
        BadInput("bootstrap: principal missing", "GET", "/v1/bootstrap", nil, 400, "INVALID_PARAMETER"),
        BadInput("NUL in principal_id", "GET", "/v1/obligations/open?principal_kind=agent&principal_id=a%00", nil, 400, "INVALID_PARAMETER"),
        BadInput("bootstrap: max_items 0", "GET", "/v1/bootstrap?principal_kind=agent&principal_id=alice&max_items=0", nil, 400, "INVALID_PARAMETER"),
        BadInput("bootstrap: unknown principal_kind", "GET", "/v1/bootstrap?principal_kind=x&principal_id=alice", nil, 400, "INVALID_PARAMETER"),
    ]
}

/// Every malformed request gets the COMPAT.md status, a stable code, a `detail`, and changes nothing.
///
/// The table cases share one server and database (a fresh one per case would cost more than the
/// cases themselves) and run one at a time, so "the whole database is unchanged" still pins any
/// mutation on the case that made it.
@Suite("Bad input: status, stable code, detail, no state change", .serialized)
struct BadInputTests {
    static let shared = SharedHarness()

    /// A fresh leased task (T, lease L held by w1, its task.assigned R) and a queued one, then the request.
    static func run(_ c: BadInput, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let api = try shared.get()
        let lease = try api.leasedTask()
        let queued = try api.createTask(["type": "other"])
        let receipt = try #require(try api.receipts(task: lease.taskID).first?["receipt_id"]?.stringValue)
        func fill(_ s: String) -> String {
            s.replacingOccurrences(of: "{task}", with: lease.taskID)
                .replacingOccurrences(of: "{lease}", with: lease.leaseID)
                .replacingOccurrences(of: "{receipt}", with: receipt)
                .replacingOccurrences(of: "{queued}", with: queued)
                .replacingOccurrences(of: "{unknown}", with: "7f0c1f7e-2b1a-4c1e-9a51-5d6b0e4c3a21")
        }
        let response = try api.expectUnchanged(c.name, sourceLocation: sourceLocation) {
            try api.http.send(c.method, fill(c.path), body: c.body.map { Array(fill($0).utf8) }, headers: [:])
        }
        expectError(response, c.status, c.code, sourceLocation: sourceLocation)
        #expect(try api.status(lease.taskID) == "leased", sourceLocation: sourceLocation)
        #expect(try api.status(queued) == "queued", sourceLocation: sourceLocation)
    }

    @Test("POST /v1/tasks", arguments: BadInputs.createTask)
    func createTask(_ c: BadInput) throws { try Self.run(c) }

    @Test("POST /v1/tasks with invalid UTF-8 → 400 INVALID_JSON")
    func invalidUTF8() throws {
        let api = try APIHarness()
        let body: [UInt8] = Array(#"{"type": ""#.utf8) + [0xC3, 0x28, 0xFF] + Array(#""}"#.utf8)
        let r = try api.expectUnchanged { try api.http.postRaw(BadInputs.create, body) }
        expectError(r, 400, "INVALID_JSON")
        #expect(try api.count("SELECT count(*) FROM tasks") == 0)
    }

    @Test("a request body over the server's limit → 413 PAYLOAD_TOO_LARGE JSON, nothing written")
    func bodyOverServerLimit() throws {
        let api = try APIHarness()
        let body = Array(#"{"type": "echo", "payload": {"s": ""#.utf8) + [UInt8](repeating: UInt8(ascii: "z"), count: 3 * 1024 * 1024)
            + Array(#""}}"#.utf8)
        let r = try api.expectUnchanged { try api.fixture.client().postRaw(BadInputs.create, body) }
        expectError(r, 413, "PAYLOAD_TOO_LARGE")
        #expect(try api.count("SELECT count(*) FROM tasks") == 0)
    }

    @Test("GET /v1/tasks, /v1/tasks/{id}, /v1/tasks/running", arguments: BadInputs.readTasks)
    func readTasks(_ c: BadInput) throws { try Self.run(c) }

    @Test("POST /v1/tasks/{id}/cancel", arguments: BadInputs.cancel)
    func cancel(_ c: BadInput) throws { try Self.run(c) }

    @Test("POST /v1/leases/claim", arguments: BadInputs.claim)
    func claim(_ c: BadInput) throws { try Self.run(c) }

    @Test("POST /v1/leases/renew", arguments: BadInputs.renew)
    func renew(_ c: BadInput) throws { try Self.run(c) }

    @Test("POST /v1/tasks/{id}/running", arguments: BadInputs.running)
    func running(_ c: BadInput) throws { try Self.run(c) }

    @Test("POST /v1/tasks/{id}/progress", arguments: BadInputs.progress)
    func progress(_ c: BadInput) throws { try Self.run(c) }

    @Test("POST /v1/tasks/{id}/complete", arguments: BadInputs.complete)
    func complete(_ c: BadInput) throws { try Self.run(c) }

    @Test("POST /v1/tasks/{id}/fail", arguments: BadInputs.fail)
    func fail(_ c: BadInput) throws { try Self.run(c) }

    @Test("receipts: list, ledger, get, ack", arguments: BadInputs.receipts)
    func receipts(_ c: BadInput) throws { try Self.run(c) }

    @Test("obligations/open and bootstrap", arguments: BadInputs.obligations)
    func obligations(_ c: BadInput) throws { try Self.run(c) }
}

/// A harness created on first use and kept for the rest of the process.
final class SharedHarness: @unchecked Sendable {
    private let lock = NSLock()
    private var harness: APIHarness?

    func get() throws -> APIHarness {
        lock.lock()
        defer { lock.unlock() }
        if let harness { return harness }
        let created = try APIHarness()
        harness = created
        return created
    }
}
