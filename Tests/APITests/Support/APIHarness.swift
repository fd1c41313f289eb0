import API
import Engine
import Foundation
import JSON
import Testing
import TestSupport

typealias Response = TestHTTPClient.Response

/// One AsyncGate server over its own fresh database, plus a client and the small vocabulary the API
/// tests speak (create, claim, read back). Every test gets its own, so tests run in parallel and
/// assertions about "nothing else changed" can look at the whole database.
final class APIHarness: @unchecked Sendable {
    let fixture: ServerFixture
    let http: TestHTTPClient

    init(configure: (inout EngineConfiguration) -> Void = { _ in },
         api: (inout APIConfiguration) -> Void = { _ in }) throws {
        fixture = try ServerFixture(configure: configure, api: api)
        http = fixture.client()
    }

    var engine: Engine { fixture.engine }

    /// A second connection (e.g. for another thread).
    func newClient() -> TestHTTPClient { fixture.client() }

    // MARK: raw calls

    func get(_ path: String, headers: [String: String] = [:]) throws -> Response { try http.get(path, headers: headers) }
    func post(_ path: String, _ body: JSON? = nil, headers: [String: String] = [:]) throws -> Response {
        try http.post(path, body, headers: headers)
    }
    func postRaw(_ path: String, _ text: String, headers: [String: String] = [:]) throws -> Response {
        try http.postRaw(path, Array(text.utf8), headers: headers)
    }

    // MARK: TASKER

    /// Creates a task as `owner` and returns its id (expects success).
    @discardableResult
    func createTask(_ body: JSON = ["type": "echo", "payload": ["n": 1]], owner: String = "alice", kind: String = "agent",
                    headers: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let r = try post("/v1/tasks?principal_kind=\(kind)&principal_id=\(owner)", body, headers: headers)
        try #require(r.status == 200, "create failed: \(r.status) \(r.text)", sourceLocation: sourceLocation)
        return try #require(r.json["task_id"]?.stringValue, sourceLocation: sourceLocation)
    }

    func task(_ id: String, headers: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        let r = try get("/v1/tasks/\(id)", headers: headers)
        try #require(r.status == 200, "get task failed: \(r.status) \(r.text)", sourceLocation: sourceLocation)
        return r.json
    }

    func status(_ id: String) throws -> String? { try task(id)["status"]?.stringValue }

    // MARK: TASKEE

    /// Claims with the given extra fields; returns the claimed tasks (expects success).
    func claim(worker: String = "w1", _ extra: [String: JSON] = [:], headers: [String: String] = [:],
               sourceLocation: SourceLocation = #_sourceLocation) throws -> [JSON] {
        var body = extra
        body["worker_id"] = .string(worker)
        let r = try post("/v1/leases/claim", .object(body), headers: headers)
        try #require(r.status == 200, "claim failed: \(r.status) \(r.text)", sourceLocation: sourceLocation)
        return try #require(r.json["tasks"]?.arrayValue, sourceLocation: sourceLocation)
    }

    /// Claims exactly one task and returns (task_id, lease_id).
    func claimOne(worker: String = "w1", _ extra: [String: JSON] = [:],
                  sourceLocation: SourceLocation = #_sourceLocation) throws -> Lease {
        let tasks = try claim(worker: worker, extra, sourceLocation: sourceLocation)
        try #require(tasks.count == 1, "expected one claimed task, got \(tasks.count)", sourceLocation: sourceLocation)
        return Lease(taskID: try #require(tasks[0]["task_id"]?.stringValue), leaseID: try #require(tasks[0]["lease_id"]?.stringValue),
                     worker: worker, claimed: tasks[0])
    }

    /// Create + claim: a task in `leased` held by `worker`. Unless the body says otherwise the task
    /// gets the top priority, so the claim picks it even when other tasks are already queued.
    func leasedTask(_ body: JSON = ["type": "echo", "payload": ["n": 1]], worker: String = "w1",
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Lease {
        var fields = body.objectValue ?? [:]
        if fields["priority"] == nil { fields["priority"] = 1_000_000 }
        let id = try createTask(.object(fields), sourceLocation: sourceLocation)
        let lease = try claimOne(worker: worker, sourceLocation: sourceLocation)
        try #require(lease.taskID == id, sourceLocation: sourceLocation)
        return lease
    }

    func complete(_ lease: Lease, result: JSON = ["ok": true], artifacts: JSON? = [["uri": "s3://b/k"]]) throws -> Response {
        var body: [String: JSON] = ["worker_id": .string(lease.worker), "lease_id": .string(lease.leaseID), "result": result]
        if let artifacts { body["artifacts"] = artifacts }
        return try post("/v1/tasks/\(lease.taskID)/complete", .object(body))
    }

    func fail(_ lease: Lease, retryable: Bool, error: JSON = ["message": "boom"]) throws -> Response {
        try post("/v1/tasks/\(lease.taskID)/fail", ["worker_id": .string(lease.worker), "lease_id": .string(lease.leaseID),
                                                     "error": error, "retryable": .bool(retryable)])
    }

    // MARK: receipts

    /// Every receipt of a task, oldest first, from the ledger.
    func receipts(task id: String) throws -> [JSON] {
        let r = try get("/v1/receipts/ledger?task_id=\(id)&limit=200")
        try #require(r.status == 200, "ledger failed: \(r.text)")
        return r.json["receipts"]?.arrayValue ?? []
    }

    func receiptTypes(task id: String) throws -> [String] { try receipts(task: id).compactMap { $0["receipt_type"]?.stringValue } }

    func openObligations(kind: String = "agent", id: String = "alice", headers: [String: String] = [:]) throws -> [JSON] {
        let r = try get("/v1/obligations/open?principal_kind=\(kind)&principal_id=\(id)&limit=200", headers: headers)
        try #require(r.status == 200, "obligations failed: \(r.text)")
        return r.json["open_obligations"]?.arrayValue ?? []
    }

    func openObligationTaskIDs(kind: String = "agent", id: String = "alice") throws -> [String] {
        try openObligations(kind: kind, id: id).compactMap { $0["task_id"]?.stringValue }
    }

    // MARK: database

    func sql(_ text: String) throws { _ = try fixture.engineFixture.sql(text) }

    func scalar(_ text: String) throws -> String? { try fixture.engineFixture.sql(text).first?.string(0) }

    func count(_ text: String) throws -> Int { try fixture.engineFixture.sql(text).first?.int(0) ?? -1 }

    /// A digest of every row AsyncGate stores. Equal before and after a request ⇔ the request changed
    /// nothing (each harness owns its database, so no other test writes here).
    func stateDigest() throws -> String {
        let tables = ["tasks", "leases", "receipts", "open_obligations", "relationships"]
        return try tables.map { table in
            try scalar("SELECT '\(table):' || count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM \(table) x") ?? table
        }.joined(separator: "\n")
    }

    /// Runs `body` and expects the stored state to be exactly the same afterwards.
    @discardableResult
    func expectUnchanged<T>(_ what: String = "", sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T) throws -> T {
        let before = try stateDigest()
        let value = try body()
        let after = try stateDigest()
        #expect(before == after, "state changed \(what)", sourceLocation: sourceLocation)
        return value
    }

    /// Moves the lease's expiry into the past (the database clock is the one that counts).
    func expireLease(_ leaseID: String) throws {
        try sql("UPDATE leases SET expires_at = now() - interval '1 second' WHERE lease_id = '\(leaseID)'")
    }

    /// Makes a delayed / backed-off task eligible now.
    func makeEligible(_ taskID: String) throws {
        try sql("UPDATE tasks SET next_eligible_at = now() - interval '1 second' WHERE task_id = '\(taskID)'")
    }
}

struct Lease {
    var taskID: String
    var leaseID: String
    var worker: String
    var claimed: JSON
    /// The body fields every lease-holding call sends.
    var ref: [String: JSON] { ["worker_id": .string(worker), "lease_id": .string(leaseID)] }
    func with(_ extra: [String: JSON]) -> JSON { .object(ref.merging(extra) { _, new in new }) }
}

// MARK: assertions

/// An error response as COMPAT.md describes it: the status, our stable code, a human `detail`
/// (what existing clients print) and `error.message`, as JSON.
func expectError(_ r: Response, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == status, "expected \(status) \(code), got \(r.status): \(r.text)", sourceLocation: sourceLocation)
    #expect(r.errorCode == code, "expected code \(code), got \(r.text)", sourceLocation: sourceLocation)
    #expect((r.json["detail"]?.stringValue ?? "").isEmpty == false, "detail missing: \(r.text)", sourceLocation: sourceLocation)
    #expect((r.json["error"]?["message"]?.stringValue ?? "").isEmpty == false, "error.message missing: \(r.text)", sourceLocation: sourceLocation)
    #expect(r.header("Content-Type")?.hasPrefix("application/json") == true, "not JSON: \(r.header("Content-Type") ?? "-")", sourceLocation: sourceLocation)
}

func expectOK(_ r: Response, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == 200, "expected 200, got \(r.status): \(r.text)", sourceLocation: sourceLocation)
    #expect(r.header("Content-Type")?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
}

/// Parses the RFC 3339 timestamps AsyncGate writes (`Z` or `±hh:mm`, optional fraction).
func parseTimestamp(_ json: JSON?) -> Date? {
    guard let s = json?.stringValue else { return nil }
    return Timestamps.parse(s)
}

enum Timestamps {
    static func parse(_ text: String) -> Date? {
        let chars = Array(text.utf8)
        guard chars.count >= 20 else { return nil }
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= chars.count else { return nil }
            var v = 0
            for c in chars[from..<(from + len)] {
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2), let s = num(17, 2),
              chars[10] == UInt8(ascii: "T") || chars[10] == UInt8(ascii: "t") else { return nil }
        var i = 19
        var fraction = 0.0
        if i < chars.count, chars[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < chars.count, chars[i] >= 48, chars[i] <= 57 {
                fraction += Double(chars[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        guard i < chars.count else { return nil }
        var offset = 0
        switch chars[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard i + 1 == chars.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = num(i + 1, 2), let om = num(i + 4, 2), i + 6 == chars.count else { return nil }
            offset = (oh * 3600 + om * 60) * (chars[i] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        var components = DateComponents()
        components.year = y; components.month = mo; components.day = d
        components.hour = h; components.minute = mi; components.second = s
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let base = calendar.date(from: components) else { return nil }
        return base.addingTimeInterval(fraction - Double(offset))
    }
}

/// `date` is within `tolerance` seconds of `expected`.
func expectNear(_ date: Date?, _ expected: Date, tolerance: TimeInterval = 5, _ what: String = "",
                sourceLocation: SourceLocation = #_sourceLocation) {
    guard let date else {
        Issue.record("\(what): missing timestamp", sourceLocation: sourceLocation)
        return
    }
    #expect(abs(date.timeIntervalSince(expected)) <= tolerance,
            "\(what): \(date) is not within \(tolerance)s of \(expected)", sourceLocation: sourceLocation)
}

/// Runs `count` closures on real threads at once (released together) and waits for all.
func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    let start = DispatchSemaphore(value: 0)
    for i in 0..<count {
        group.enter()
        let thread = Thread {
            start.wait()
            body(i)
            group.leave()
        }
        thread.start()
    }
    for _ in 0..<count { start.signal() }
    group.wait()
}

/// A thread-safe box for results collected by `concurrently`.
final class Collected<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []
    func append(_ item: T) { lock.lock(); items.append(item); lock.unlock() }
    var all: [T] { lock.lock(); defer { lock.unlock() }; return items }
}

let ISO_UUID_PATTERN = #"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"#

/// Lowercase, hyphenated UUID as on the wire.
func isWireUUID(_ json: JSON?) -> Bool {
    guard let s = json?.stringValue else { return false }
    return s.range(of: ISO_UUID_PATTERN, options: .regularExpression) != nil
}

/// RFC 3339 UTC with `Z` or `+00:00`.
func isWireTimestamp(_ json: JSON?) -> Bool {
    guard let s = json?.stringValue, parseTimestamp(json) != nil else { return false }
    return s.hasSuffix("Z") || s.hasSuffix("+00:00")
}

/// The member names of a JSON object (empty for anything else).
func keys(_ json: JSON?) -> Set<String> { Set(json?.objectValue?.keys.map { $0 } ?? []) }
