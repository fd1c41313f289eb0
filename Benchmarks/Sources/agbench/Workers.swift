import Foundation
import Synchronization

/// What one worker thread saw: operation counts and latencies inside the measured window, and every
/// error (a non-2xx status or a response that does not say what it must) whenever it happened.
struct Tally: Sendable {
    var ops: [String: Int] = [:]
    var latencies: [String: Latencies] = [:]
    var errors = 0
    var errorSamples: [String] = []

    mutating func record(_ op: String, _ nanoseconds: UInt64) {
        ops[op, default: 0] += 1
        latencies[op, default: Latencies()].add(nanoseconds)
    }

    mutating func error(_ message: String) {
        errors += 1
        if errorSamples.count < 5 { errorSamples.append(message) }
    }

    mutating func merge(_ other: Tally) {
        for (k, v) in other.ops { ops[k, default: 0] += v }
        for (k, v) in other.latencies { latencies[k, default: Latencies()].merge(v) }
        errors += other.errors
        errorSamples.append(contentsOf: other.errorSamples.prefix(max(0, 5 - errorSamples.count)))
    }
}

/// The measured window shared by all workers: operations finishing before `measureFrom` are
/// warm-up and not counted; workers stop starting new work at `deadline`.
struct Window: Sendable {
    let measureFrom: UInt64
    let deadline: UInt64

    init(warmupSeconds: Double, seconds: Double) {
        let t = now()
        measureFrom = t + UInt64(warmupSeconds * 1e9)
        deadline = measureFrom + UInt64(seconds * 1e9)
    }

    var open: Bool { now() < deadline }
    func counts(_ finishedAt: UInt64) -> Bool { finishedAt >= measureFrom && finishedAt <= deadline }
}

/// Runs `count` OS threads (not tasks: each blocks on its own socket, like a real worker process)
/// and returns their merged tallies once all have finished.
func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Tally) -> Tally {
    let results = Mutex<Tally>(Tally())
    let done = DispatchSemaphore(value: 0)
    for index in 0..<count {
        let thread = Thread {
            let tally = body(index)
            results.withLock { $0.merge(tally) }
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    for _ in 0..<count { done.wait() }
    return results.withLock { $0 }
}

/// Sleeps the calling thread until a monotonic instant.
func sleep(until instant: UInt64) {
    let t = now()
    if instant > t { usleep(useconds_t(min(UInt64(UInt32.max), (instant - t) / 1000))) }
}

/// Minimal field access on the server's JSON responses, without a JSON parser (the client must stay
/// cheap): the string values of every `"key": "value"` occurrence, in order.
func jsonStrings(_ body: [UInt8], key: String) -> [String] {
    let needle = Array("\"\(key)\"".utf8)
    var found: [String] = []
    var i = 0
    let n = body.count
    outer: while i + needle.count <= n {
        for j in 0..<needle.count where body[i + j] != needle[j] {
            i += 1
            continue outer
        }
        var k = i + needle.count
        while k < n, body[k] == 32 { k += 1 }
        guard k < n, body[k] == UInt8(ascii: ":") else { i += 1; continue }
        k += 1
        while k < n, body[k] == 32 { k += 1 }
        guard k < n, body[k] == UInt8(ascii: "\"") else { i = k; continue }
        let start = k + 1
        var end = start
        while end < n, body[end] != UInt8(ascii: "\"") { end += 1 }
        found.append(String(decoding: body[start..<end], as: UTF8.self))
        i = end + 1
    }
    return found
}

func jsonString(_ body: [UInt8], key: String) -> String? { jsonStrings(body, key: key).first }

/// The non-negative integer values of every `"key": 123` occurrence, in order.
func jsonInts(_ body: [UInt8], key: String) -> [Int] {
    let needle = Array("\"\(key)\"".utf8)
    var found: [Int] = []
    var i = 0
    let n = body.count
    outer: while i + needle.count <= n {
        for j in 0..<needle.count where body[i + j] != needle[j] {
            i += 1
            continue outer
        }
        var k = i + needle.count
        while k < n, body[k] == 32 { k += 1 }
        guard k < n, body[k] == UInt8(ascii: ":") else { i += 1; continue }
        k += 1
        while k < n, body[k] == 32 { k += 1 }
        var value = 0
        let start = k
        while k < n, body[k] >= 48, body[k] <= 57 { value = value &* 10 &+ Int(body[k] - 48); k += 1 }
        if k > start { found.append(value) }
        i = k
    }
    return found
}

func contains(_ body: [UInt8], _ text: String) -> Bool {
    let needle = Array(text.utf8)
    guard needle.count <= body.count else { return false }
    outer: for i in 0...(body.count - needle.count) {
        for j in 0..<needle.count where body[i + j] != needle[j] { continue outer }
        return true
    }
    return false
}

func occurrences(_ body: [UInt8], _ text: String) -> Int {
    let needle = Array(text.utf8)
    guard needle.count <= body.count else { return 0 }
    var count = 0
    var i = 0
    outer: while i <= body.count - needle.count {
        for j in 0..<needle.count where body[i + j] != needle[j] {
            i += 1
            continue outer
        }
        count += 1
        i += needle.count
    }
    return count
}

func describe(_ response: HTTPConnection.Response) -> String {
    "HTTP \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))"
}
