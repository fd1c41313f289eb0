import AsyncGateClient
import Foundation
import JSON

public enum ScheduleStatus: String, Sendable {
    case active, paused, deleted
}

/// One row of `schedules`.
public struct ScheduleRecord: Sendable {
    public var scheduleID: UUID
    public var name: String?
    /// The principal fired tasks belong to.
    public var owner: Principal
    public var spec: ScheduleSpec
    public var jitterSeconds: Int
    public var misfirePolicy: MisfirePolicy
    public var misfireGraceSeconds: Int
    public var template: TaskTemplate
    public var status: ScheduleStatus
    public var nextRunAt: Date?
    public var lastRunAt: Date?
    public var lastTaskID: UUID?
    public var firedCount: Int
    public var skippedCount: Int
    public var createdByTaskID: UUID?
    public var createdAt: Date
    public var updatedAt: Date

    /// How a schedule is described in control-task results.
    public var json: JSON {
        var o: [String: JSON] = [
            "schedule_id": .string(scheduleID.uuidString.lowercased()),
            "name": name.map { .string($0) } ?? .null,
            "owner": ["kind": .string(owner.kind.rawValue), "id": .string(owner.id)],
            "status": .string(status.rawValue),
            "jitter_seconds": .int(Int64(jitterSeconds)),
            "misfire_policy": .string(misfirePolicy.rawValue),
            "misfire_grace_seconds": .int(Int64(misfireGraceSeconds)),
            "task": template.json,
            "next_run_at": nextRunAt.map { .string(RFC3339.format($0)) } ?? .null,
            "last_run_at": lastRunAt.map { .string(RFC3339.format($0)) } ?? .null,
            "last_task_id": lastTaskID.map { .string($0.uuidString.lowercased()) } ?? .null,
            "fired_count": .int(Int64(firedCount)),
            "skipped_count": .int(Int64(skippedCount)),
            "created_at": .string(RFC3339.format(createdAt)),
            "updated_at": .string(RFC3339.format(updatedAt)),
        ]
        switch spec {
        case .interval(let seconds, let anchor):
            o["kind"] = "interval"
            o["interval_seconds"] = .int(Int64(seconds))
            o["start_at"] = .string(RFC3339.format(anchor))
        case .cron(let expression, let zone):
            o["kind"] = "cron"
            o["cron"] = .string(expression.source)
            o["timezone"] = .string(zone.identifier)
        }
        return .object(o)
    }
}

/// What each firing creates: the `create_task` fields, minus the owner and idempotency key (the
/// scheduler supplies those).
public struct TaskTemplate: Sendable, Equatable {
    public var json: JSON

    /// Validates `{"type": ..., "payload"?: {...}, ...}`.
    public init(_ json: JSON) throws(ControlError) {
        guard case .object(let fields) = json else { throw .badPayload("task must be an object") }
        guard let type = fields["type"]?.stringValue, !type.isEmpty, type.utf8.count <= 256 else {
            throw .badPayload("task.type must be a non-empty string (at most 256 bytes)")
        }
        if type.hasPrefix("schedule.") { throw .badPayload("a schedule cannot fire schedule.* control tasks") }
        let known: Set<String> = ["type", "payload", "payload_pointer", "principal_ai", "requirements", "expected_outcome_kind",
                                  "expected_artifact_mime", "priority", "max_attempts", "retry_backoff_seconds"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw .badPayload("task.\(unknown) is not a task field the scheduler can set")
        }
        for key in ["payload", "requirements"] {
            if let v = fields[key], !v.isNull, v.objectValue == nil { throw .badPayload("task.\(key) must be an object") }
        }
        for key in ["payload_pointer", "principal_ai", "expected_outcome_kind", "expected_artifact_mime"] {
            if let v = fields[key], !v.isNull, v.stringValue == nil { throw .badPayload("task.\(key) must be a string") }
        }
        for key in ["priority", "max_attempts", "retry_backoff_seconds"] {
            if let v = fields[key], !v.isNull, v.intValue == nil { throw .badPayload("task.\(key) must be an integer") }
        }
        self.json = json
    }

    init(stored json: JSON) { self.json = json }

    public var type: String { json["type"]?.stringValue ?? "" }

    /// The task for one run of the schedule.
    func newTask(idempotencyKey: String) -> NewTask {
        var task = NewTask(type: type, payload: json["payload"].flatMap { $0.isNull ? nil : $0 } ?? [:], idempotencyKey: idempotencyKey)
        task.payloadPointer = json["payload_pointer"]?.stringValue
        task.principalAI = json["principal_ai"]?.stringValue
        task.requirements = json["requirements"].flatMap { $0.isNull ? nil : $0 }
        task.expectedOutcomeKind = json["expected_outcome_kind"]?.stringValue
        task.expectedArtifactMime = json["expected_artifact_mime"]?.stringValue
        task.priority = json["priority"]?.intValue
        task.maxAttempts = json["max_attempts"]?.intValue
        task.retryBackoffSeconds = json["retry_backoff_seconds"]?.intValue
        return task
    }
}

extension ScheduleRecord {
    /// `schedule:{id}:{run_at}` — the same run always maps to the same task (SPEC §9).
    public static func idempotencyKey(scheduleID: UUID, runAt: Date) -> String {
        "schedule:\(scheduleID.uuidString.lowercased()):\(RFC3339.format(runAt))"
    }
}
