import AsyncGateClient
import Foundation
import JSON

/// A parsed `schedule.*` control task.
public enum ControlCommand: Sendable {
    case create(ScheduleDefinition)
    case pause(UUID)
    case resume(UUID)
    case delete(UUID)
    case status(UUID)

    public static let taskTypes = ["schedule.create", "schedule.pause", "schedule.resume", "schedule.delete", "schedule.status"]

    /// Parses a control task's type and payload. `taskID` names the default schedule id of a
    /// create, so a control task that is retried after a crash creates the same schedule again.
    public static func parse(type: String, payload: JSON, taskID: UUID) throws(ControlError) -> ControlCommand {
        guard case .object(let fields) = payload else { throw .badPayload("payload must be an object") }
        func scheduleID() throws(ControlError) -> UUID {
            guard let text = fields["schedule_id"]?.stringValue, let id = UUID(uuidString: text) else {
                throw .badPayload("schedule_id (a UUID) is required")
            }
            return id
        }
        switch type {
        case "schedule.create": return .create(try ScheduleDefinition(fields, defaultID: taskID))
        case "schedule.pause": return .pause(try scheduleID())
        case "schedule.resume": return .resume(try scheduleID())
        case "schedule.delete": return .delete(try scheduleID())
        case "schedule.status": return .status(try scheduleID())
        default: throw .badPayload("unknown control task type \(type)")
        }
    }
}

/// The payload of `schedule.create`:
///
/// ```
/// {"schedule_id"?: uuid, "name"?: str,
///  "interval_seconds": int >= 1  |  "cron": "m h dom mon dow", "timezone"?: IANA id (default UTC),
///  "start_at"?: RFC 3339 (interval anchor; default: now, first run one interval later),
///  "jitter_seconds"?: 0...3600, "misfire_policy"?: skip | catch_up_one | catch_up_all (default catch_up_one),
///  "misfire_grace_seconds"?: 0...86400 (default 60),
///  "task": {"type": str, "payload"?: {}, "priority"?, "requirements"?, "max_attempts"?, ...}}
/// ```
public struct ScheduleDefinition: Sendable {
    public var scheduleID: UUID
    public var name: String?
    public var interval: Int?
    public var cron: CronExpression?
    public var timeZone: TimeZone
    public var startAt: Date?
    public var jitterSeconds: Int
    public var misfirePolicy: MisfirePolicy
    public var misfireGraceSeconds: Int
    public var template: TaskTemplate

    public static let defaultGraceSeconds = 60

    init(_ f: [String: JSON], defaultID: UUID) throws(ControlError) {
        let known: Set<String> = ["schedule_id", "name", "interval_seconds", "cron", "timezone", "start_at", "jitter_seconds",
                                  "misfire_policy", "misfire_grace_seconds", "task"]
        if let unknown = f.keys.sorted().first(where: { !known.contains($0) }) { throw .badPayload("unknown field \(unknown)") }
        func present(_ key: String) -> JSON? { f[key].flatMap { $0.isNull ? nil : $0 } }
        func int(_ key: String, _ range: ClosedRange<Int>) throws(ControlError) -> Int? {
            guard let v = present(key) else { return nil }
            guard let i = v.intValue, range.contains(i) else { throw .badPayload("\(key) must be an integer in \(range.lowerBound)...\(range.upperBound)") }
            return i
        }
        if let raw = present("schedule_id") {
            guard let text = raw.stringValue, let id = UUID(uuidString: text) else { throw .badPayload("schedule_id must be a UUID") }
            scheduleID = id
        } else {
            scheduleID = defaultID
        }
        if let raw = present("name") {
            guard let s = raw.stringValue, s.utf8.count <= 256 else { throw .badPayload("name must be a string of at most 256 bytes") }
            name = s
        }
        interval = try int("interval_seconds", 1...31_536_000)
        if let raw = present("cron") {
            guard let text = raw.stringValue else { throw .badPayload("cron must be a string") }
            do {
                cron = try CronExpression(text)
            } catch {
                throw .badPayload(error.description)
            }
        }
        guard (interval == nil) != (cron == nil) else { throw .badPayload("give exactly one of interval_seconds and cron") }
        let zoneName = present("timezone")?.stringValue ?? "UTC"
        if present("timezone") != nil && present("timezone")?.stringValue == nil { throw .badPayload("timezone must be a string") }
        guard let zone = TimeZone(identifier: zoneName) else { throw .badPayload("unknown timezone \(zoneName.debugDescription)") }
        if interval != nil && present("timezone") != nil { throw .badPayload("timezone applies to cron schedules only") }
        timeZone = zone
        if let raw = present("start_at") {
            guard interval != nil else { throw .badPayload("start_at applies to interval schedules only") }
            guard let text = raw.stringValue, let date = RFC3339.parse(text) else { throw .badPayload("start_at must be an RFC 3339 timestamp") }
            startAt = date
        }
        jitterSeconds = try int("jitter_seconds", 0...3600) ?? 0
        if let raw = present("misfire_policy") {
            guard let text = raw.stringValue, let policy = MisfirePolicy(rawValue: text) else {
                throw .badPayload("misfire_policy must be one of skip, catch_up_one, catch_up_all")
            }
            misfirePolicy = policy
        } else {
            misfirePolicy = .catchUpOne
        }
        misfireGraceSeconds = try int("misfire_grace_seconds", 0...86_400) ?? Self.defaultGraceSeconds
        guard let task = present("task") else { throw .badPayload("task (the task each firing creates) is required") }
        template = try TaskTemplate(task)
    }

    /// The run times this definition describes, anchored at `now` when no start was given.
    /// Interval anchors are whole seconds so run times (and idempotency keys) are clean.
    func spec(now: Date) -> ScheduleSpec {
        if let interval {
            let anchor = (startAt ?? now).timeIntervalSince1970.rounded(.down)
            return .interval(seconds: interval, anchor: Date(timeIntervalSince1970: anchor))
        }
        return .cron(cron!, timeZone)
    }
}
