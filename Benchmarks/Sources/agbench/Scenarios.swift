import Foundation
import Synchronization

/// The result of one scenario: printed for people, plus one `RESULT` line for scripts/bench.
struct Report {
    var title: String
    var tally: Tally
    var seconds: Double
    var rateOp: String
    var unit: String
    var cpu: CPUUsage
    var notes: [String] = []

    var rate: Double { Double(tally.ops[rateOp] ?? 0) / seconds }

    func print() {
        Swift.print(title)
        Swift.print("  \(unit): \(fixed(rate, 1))  (\(tally.ops[rateOp] ?? 0) \(rateOp) in \(fixed(seconds, 1)) s)")
        for op in tally.latencies.keys.sorted() {
            Swift.print("  \(op.padding(toLength: 12, withPad: " ", startingAt: 0)) \(tally.latencies[op]!.summary())")
        }
        Swift.print("  errors: \(tally.errors)")
        for sample in tally.errorSamples { Swift.print("    \(sample)") }
        Swift.print("  cpu: \(cpu.description)")
        if let per = cpu.perOperation(tally.ops[rateOp] ?? 0, rateOp) { Swift.print("  \(per)") }
        for note in notes { Swift.print("  note: \(note)") }
    }
}

/// One timed request; records its latency when it finished inside the window.
@inline(__always)
func timed(_ tally: inout Tally, _ op: String, _ window: Window, _ request: () throws -> HTTPConnection.Response) -> HTTPConnection.Response? {
    let t0 = now()
    do {
        let response = try request()
        let t1 = now()
        if (200..<300).contains(response.status) {
            if window.counts(t1) { tally.record(op, t1 - t0) }
        } else {
            tally.error("\(op): \(describe(response))")
        }
        return response
    } catch {
        tally.error("\(op): \(error)")
        usleep(10_000)  // a dead server must not turn the benchmark into a busy loop
        return nil
    }
}

func measure(_ o: Options, title: String, rateOp: String, unit: String, _ body: @escaping @Sendable (Int, Window) -> Tally) -> Report {
    let window = Window(warmupSeconds: o.warmup, seconds: o.seconds)
    var cpu = CPUWindow(serverPID: o.serverPID, postgresPID: o.postgresPID)
    let cpuStart = Mutex<CPUWindow?>(nil)
    let begin = Thread {
        sleep(until: window.measureFrom)
        var c = CPUWindow(serverPID: o.serverPID, postgresPID: o.postgresPID)
        c.begin()
        cpuStart.withLock { $0 = c }
    }
    begin.start()
    let tally = runThreads(o.workers) { body($0, window) }
    if let started = cpuStart.withLock({ $0 }) { cpu = started } else { cpu.begin() }
    return Report(title: title, tally: tally, seconds: o.seconds, rateOp: rateOp, unit: unit, cpu: cpu.end())
}

// MARK: scenarios

func health(_ o: Options) -> Report {
    measure(o, title: "health: GET /v1/health, \(o.workers) keep-alive connections", rateOp: "health", unit: "req/s") { _, window in
        var tally = Tally()
        let c = HTTPConnection(host: o.host, port: o.port)
        while window.open {
            if let r = timed(&tally, "health", window, { try c.get("/v1/health") }), r.status == 200,
               !contains(r.body, "\"healthy\"") {
                tally.error("health: body without \"healthy\": \(describe(r))")
            }
        }
        return tally
    }
}

let createPath = "/v1/tasks?principal_kind=agent&principal_id=bench-agent"

func create(_ o: Options) -> Report {
    measure(o, title: "create: POST /v1/tasks, \(o.workers) workers", rateOp: "create", unit: "req/s") { index, window in
        var tally = Tally()
        let c = HTTPConnection(host: o.host, port: o.port)
        var n = 0
        while window.open {
            n += 1
            let body = #"{"type":"bench.create","payload":{"worker":\#(index),"n":\#(n)}}"#
            if let r = timed(&tally, "create", window, { try c.post(createPath, json: body) }), r.status == 200,
               jsonString(r.body, key: "task_id") == nil {
                tally.error("create: no task_id: \(describe(r))")
            }
        }
        return tally
    }
}

/// A claimed task: what a worker needs to finish it.
struct Claimed { var taskID: String; var leaseID: String }

func claimed(_ r: HTTPConnection.Response) -> [Claimed]? {
    guard contains(r.body, "\"tasks\"") else { return nil }
    let tasks = jsonStrings(r.body, key: "task_id"), leases = jsonStrings(r.body, key: "lease_id")
    guard tasks.count == leases.count else { return nil }
    return zip(tasks, leases).map { Claimed(taskID: $0, leaseID: $1) }
}

func completeBody(worker: String, lease: String) -> String {
    #"{"worker_id":"\#(worker)","lease_id":"\#(lease)","result":{"ok":true},"artifacts":[{"uri":"bench://result","mime":"application/json"}]}"#
}

/// One worker finishes one claimed task; false (and an error) if the server refused.
func finish(_ t: Claimed, worker: String, _ c: HTTPConnection, _ tally: inout Tally, _ window: Window) {
    let body = completeBody(worker: worker, lease: t.leaseID)
    if let r = timed(&tally, "complete", window, { try c.post("/v1/tasks/\(t.taskID)/complete", json: body) }),
       r.status == 200, !contains(r.body, "\"ok\":true") {
        tally.error("complete: not ok: \(describe(r))")
    }
}

func cycle(_ o: Options) -> Report {
    let type = "bench.cycle.\(UInt32.random(in: 0...UInt32.max))"
    var report = measure(o, title: "cycle: create -> claim -> complete, \(o.workers) workers", rateOp: "complete", unit: "jobs/s") { index, window in
        var tally = Tally()
        let c = HTTPConnection(host: o.host, port: o.port)
        let worker = "bench-w\(index)"
        let claimBody = #"{"worker_id":"\#(worker)","accept_types":["\#(type)"],"max_tasks":1,"lease_ttl_seconds":300}"#
        var n = 0
        while window.open {
            n += 1
            let body = #"{"type":"\#(type)","payload":{"worker":\#(index),"n":\#(n)}}"#
            guard let r = timed(&tally, "create", window, { try c.post(createPath, json: body) }), r.status == 200 else { continue }
            guard let r2 = timed(&tally, "claim", window, { try c.post("/v1/leases/claim", json: claimBody) }), r2.status == 200 else { continue }
            guard let tasks = claimed(r2) else { tally.error("claim: unexpected body: \(describe(r2))"); continue }
            // Another worker may have taken "our" task (it is a shared queue); we then take the next one.
            if tasks.isEmpty { if window.counts(now()) { tally.ops["empty claim", default: 0] += 1 }; continue }
            for t in tasks { finish(t, worker: worker, c, &tally, window) }
        }
        return tally
    }
    if let empty = report.tally.ops["empty claim"], empty > 0 {
        report.notes.append("\(empty) claims found the queue momentarily empty (their job was taken by another worker)")
    }
    return report
}

/// Claim-drain (performance issue): pre-create `--tasks` tasks with batch creates, then drain them
/// with workers that claim up to 10 tasks at a time and complete each claim's tasks in one batch
/// request (POST /v1/leases/complete).
func drain(_ o: Options) -> Report {
    let type = "bench.drain.\(UInt32.random(in: 0...UInt32.max))"
    let batchSize = 100  // the server's batch limit
    // Phase 1: fill the queue (timed separately, not the figure of interest).
    let batches = (o.tasks + batchSize - 1) / batchSize
    let nextBatch = Atomic<Int>(0)
    let t0 = now()
    let fill = runThreads(min(o.workers, 8)) { _ in
        var tally = Tally()
        let c = HTTPConnection(host: o.host, port: o.port)
        let forever = Window(warmupSeconds: 0, seconds: 1e6)
        while true {
            let b = nextBatch.wrappingAdd(1, ordering: .relaxed).oldValue
            guard b < batches else { break }
            let count = min(batchSize, o.tasks - b * batchSize)
            let items = (0..<count).map { #"{"type":"\#(type)","payload":{"n":\#(b * batchSize + $0)}}"# }
            let body = #"{"tasks":[\#(items.joined(separator: ","))]}"#
            guard let r = timed(&tally, "create batch", forever, { try c.post("/v1/tasks/batch?principal_kind=agent&principal_id=bench-agent", json: body) }),
                  r.status == 200 else { continue }
            let created = jsonStrings(r.body, key: "task_id").count
            if created == count { tally.ops["created", default: 0] += count } else {
                tally.error("create batch: \(created) of \(count) created: \(describe(r))")
            }
        }
        return tally
    }
    let fillSeconds = Double(now() - t0) / 1e9
    let target = fill.ops["created"] ?? 0
    Swift.print("drain: created \(target) tasks in \(fixed(fillSeconds, 1)) s with batches of \(batchSize) (\(fixed(Double(target) / fillSeconds, 0)) tasks/s), errors \(fill.errors)")

    // Phase 2: drain with claims of up to 10 tasks and one batch complete per claim.
    let completed = Atomic<Int>(0)
    var cpu = CPUWindow(serverPID: o.serverPID, postgresPID: o.postgresPID)
    cpu.begin()
    let t1 = now()
    var tally = runThreads(o.workers) { index in
        var tally = Tally()
        let c = HTTPConnection(host: o.host, port: o.port)
        let forever = Window(warmupSeconds: 0, seconds: 1e6)
        let worker = "bench-d\(index)"
        let claimBody = #"{"worker_id":"\#(worker)","accept_types":["\#(type)"],"max_tasks":10,"lease_ttl_seconds":600}"#
        let giveUp = now() + 900_000_000_000
        while completed.load(ordering: .relaxed) < target, now() < giveUp {
            guard let r = timed(&tally, "claim", forever, { try c.post("/v1/leases/claim", json: claimBody) }), r.status == 200 else { continue }
            guard let tasks = claimed(r) else { tally.error("claim: unexpected body: \(describe(r))"); continue }
            if tasks.isEmpty { usleep(1000); continue }
            let items = tasks.map {
                #"{"task_id":"\#($0.taskID)","lease_id":"\#($0.leaseID)","worker_id":"\#(worker)","result":{"ok":true},"artifacts":[{"uri":"bench://result"}]}"#
            }
            let body = #"{"items":[\#(items.joined(separator: ","))]}"#
            guard let done = timed(&tally, "complete batch", forever, { try c.post("/v1/leases/complete", json: body) }),
                  done.status == 200 else { continue }
            let ok = occurrences(done.body, "\"ok\":true")
            if ok != tasks.count { tally.error("complete batch: \(ok) of \(tasks.count) ok: \(describe(done))") }
            tally.ops["job", default: 0] += ok
            completed.add(ok, ordering: .relaxed)
        }
        return tally
    }
    let seconds = Double(now() - t1) / 1e9
    tally.merge(Tally(ops: [:], latencies: [:], errors: fill.errors, errorSamples: fill.errorSamples))
    var report = Report(title: "drain: \(target) pre-created tasks, \(o.workers) workers, claim max_tasks=10 + batch complete",
                        tally: tally, seconds: seconds, rateOp: "job", unit: "jobs/s", cpu: cpu.end())
    if completed.load(ordering: .relaxed) < target {
        report.tally.error("drain: only \(completed.load(ordering: .relaxed)) of \(target) tasks completed")
    }
    return report
}

func obligations(_ o: Options) -> Report {
    let path = "/v1/obligations/open?principal_kind=agent&principal_id=\(o.principal)&limit=200"
    let expected = o.expectOpen.map { min($0, 200) }
    return measure(o, title: "obligations: GET \(path), \(o.workers) client(s)", rateOp: "obligations", unit: "req/s") { _, window in
        var tally = Tally()
        let c = HTTPConnection(host: o.host, port: o.port)
        while window.open {
            guard let r = timed(&tally, "obligations", window, { try c.get(path) }), r.status == 200 else { continue }
            guard contains(r.body, "\"open_obligations\"") else { tally.error("obligations: no open_obligations: \(describe(r))"); continue }
            if let expected {
                let got = occurrences(r.body, "\"receipt_id\"")
                if got != expected { tally.error("obligations: \(got) obligations on the page, expected \(expected)") }
            }
        }
        return tally
    }
}

/// Wake-up latency (performance issue): `--workers` workers wait in long-poll claims
/// (`wait_seconds` 30); one creator creates a task only once the previous one was handled and the
/// workers had time to park again, so a worker is always already waiting. Measured per task: from
/// just before the create request is sent to the moment a worker holds the claim response (the send
/// instant travels in the payload; one process, one monotonic clock).
func latency(_ o: Options) -> Report {
    let type = "bench.latency.\(UInt32.random(in: 0...UInt32.max))"
    let handled = DispatchSemaphore(value: 0)
    let stop = Atomic<Bool>(false)
    let window = Window(warmupSeconds: o.warmup, seconds: o.seconds)
    var cpu = CPUWindow(serverPID: o.serverPID, postgresPID: o.postgresPID)
    let workersDone = DispatchGroup()
    let workerTallies = Mutex<Tally>(Tally())
    for index in 0..<o.workers {
        workersDone.enter()
        let thread = Thread {
            var tally = Tally()
            let c = HTTPConnection(host: o.host, port: o.port)
            let worker = "bench-l\(index)"
            let claimBody = #"{"worker_id":"\#(worker)","accept_types":["\#(type)"],"max_tasks":1,"lease_ttl_seconds":60,"wait_seconds":2}"#
            while !stop.load(ordering: .relaxed) {
                guard let r = timed(&tally, "claim (long-poll)", Window(warmupSeconds: 0, seconds: 0), { try c.post("/v1/leases/claim", json: claimBody) }),
                      r.status == 200 else { continue }
                let received = now()
                guard let tasks = claimed(r) else { tally.error("claim: unexpected body: \(describe(r))"); continue }
                guard let t = tasks.first else { continue }  // the wait ran out: wait again
                if let sent = jsonInts(r.body, key: "sent_ns").first, window.counts(received) {
                    tally.record("create->claim", received - UInt64(sent))
                }
                finish(t, worker: worker, c, &tally, window)
                handled.signal()
            }
            workerTallies.withLock { $0.merge(tally) }
            workersDone.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    var tally = Tally()
    let c = HTTPConnection(host: o.host, port: o.port)
    usleep(200_000)  // let the workers park
    var cpuStarted = false
    var n = 0
    while window.open {
        if !cpuStarted, now() >= window.measureFrom { cpu.begin(); cpuStarted = true }
        n += 1
        let body = #"{"type":"\#(type)","payload":{"n":\#(n),"sent_ns":\#(now())}}"#
        guard let r = timed(&tally, "create", window, { try c.post(createPath, json: body) }), r.status == 200 else { continue }
        if handled.wait(timeout: .now() + 5) == .timedOut { tally.error("task \(n) was not claimed within 5 s") }
        usleep(5_000)  // the worker completes, claims again and parks before the next create
    }
    if !cpuStarted { cpu.begin() }
    let usage = cpu.end()
    stop.store(true, ordering: .relaxed)
    workersDone.wait()
    tally.merge(workerTallies.withLock { $0 })
    return Report(title: "latency: create -> claim with \(o.workers) worker(s) already waiting (long-poll)", tally: tally,
                  seconds: o.seconds, rateOp: "create->claim", unit: "tasks/s", cpu: usage)
}
