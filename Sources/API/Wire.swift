import Domain
import Engine
import Foundation
import JSON
import Storage

/// How domain records look on the wire (COMPAT.md): snake_case fields, lowercase UUIDs, RFC 3339 UTC.
enum Wire {
    static func id(_ uuid: UUID?) -> JSON { uuid.map { .string($0.lowercasedString) } ?? .null }
    static func time(_ date: Date?) -> JSON { date.map { .string(Timestamp.rfc3339($0)) } ?? .null }
    static func str(_ s: String?) -> JSON { s.map { .string($0) } ?? .null }
    static func principal(_ p: Principal) -> JSON { ["kind": .string(p.kind.rawValue), "id": .string(p.id)] }

    static func task(_ t: TaskRecord) -> JSON {
        var o: [String: JSON] = [
            "task_id": id(t.taskID), "type": .string(t.type), "payload": t.payload,
            "payload_pointer": str(t.payloadPointer), "created_by": principal(t.createdBy),
            "principal_ai": str(t.principalAI), "requirements": t.requirements,
            "expected_outcome_kind": str(t.expectedOutcomeKind), "expected_artifact_mime": str(t.expectedArtifactMime),
            "priority": .int(Int64(t.priority)), "status": .string(t.status.rawValue),
            "attempt": .int(Int64(t.attempt)), "max_attempts": .int(Int64(t.maxAttempts)),
            "retry_backoff_seconds": .int(Int64(t.retryBackoffSeconds)), "idempotency_key": str(t.idempotencyKey),
            "created_at": time(t.createdAt), "updated_at": time(t.updatedAt),
            "next_eligible_at": time(t.nextEligibleAt), "started_at": time(t.startedAt),
            "progress": t.progress ?? .null, "result": .null,
        ]
        if t.status.isTerminal {
            o["result"] = [
                "outcome": str(t.outcome ?? t.status.rawValue), "result": t.result ?? .null, "error": t.error ?? .null,
                "artifacts": t.artifacts ?? .null, "completed_at": time(t.completedAt),
            ]
        } else if let error = t.error {
            o["last_error"] = error
        }
        return .object(o)
    }

    static func claimed(_ c: ClaimedTask) -> JSON {
        [
            "task_id": id(c.task.taskID), "lease_id": id(c.leaseID), "type": .string(c.task.type),
            "payload": c.task.payload, "payload_pointer": str(c.task.payloadPointer),
            "principal_ai": str(c.task.principalAI), "attempt": .int(Int64(c.task.attempt)),
            "max_attempts": .int(Int64(c.task.maxAttempts)), "expires_at": time(c.expiresAt),
            "requirements": c.task.requirements, "expected_outcome_kind": str(c.task.expectedOutcomeKind),
            "expected_artifact_mime": str(c.task.expectedArtifactMime), "priority": .int(Int64(c.task.priority)),
            "created_by": principal(c.task.createdBy),
        ]
    }

    static func relationship(_ r: Relationship) -> JSON {
        [
            "principal_kind": .string(r.principal.kind.rawValue), "principal_id": .string(r.principal.id),
            "principal_instance_id": str(r.principal.instanceID), "first_seen_at": time(r.firstSeenAt),
            "last_seen_at": time(r.lastSeenAt), "sessions_count": .int(Int64(r.sessionsCount)),
        ]
    }
}
