import JSON
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Properties")
struct PropertyTests {
    /// Random bytes drawn mostly from JSON's own alphabet, so the parser gets deep into every state
    /// rather than failing on byte 0. Must never crash; anything accepted must round-trip.
    @Test func randomBytesNeverCrash() throws {
        let alphabet = Array(#"{}[]:,"\/ 0123456789-+.eEtrufalsn\u"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xA9, 0xED, 0xF0, 0xFF]
        var rng = SplitMix64(seed: 0xA5_7A7E)
        var accepted = 0
        for _ in 0..<50_000 {
            let length = Int.random(in: 0...24, using: &rng)
            let bytes = (0..<length).map { _ in
                Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            if let value = try? JSON.parse(bytes, maxDepth: 8) {
                accepted += 1
                try checkRoundTrip(value)
            }
        }
        #expect(accepted > 0)
    }

    /// Single-byte mutations of valid documents: they hit the near-miss cases a real client produces.
    @Test func mutatedValidDocumentsNeverCrash() throws {
        var rng = SplitMix64(seed: 99)
        let seeds = validCases.map(\.fixture.bytes).filter { !$0.isEmpty && $0.count < 200 }
        for _ in 0..<30_000 {
            var bytes = seeds.randomElement(using: &rng)!
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
            default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
            }
            if let value = try? JSON.parse(bytes) {
                try checkRoundTrip(value)
            }
        }
    }

    /// Whatever the parser accepts inside a string must be valid UTF-8 per the standard library too.
    @Test func acceptedStringsAreValidUTF8() {
        var rng = SplitMix64(seed: 2024)
        for _ in 0..<50_000 {
            let body = (0..<Int.random(in: 1...4, using: &rng)).map { _ in UInt8.random(in: 0x20...0xFF, using: &rng) }
            let bytes = [0x22] + body + [0x22]
            let stdlib = String(validating: body, as: UTF8.self)
            let containsSpecial = body.contains(0x22) || body.contains(0x5C)
            if containsSpecial { continue }
            let parsed = try? JSON.parse(bytes)
            #expect((parsed != nil) == (stdlib != nil), "\(body)")
            if let stdlib { #expect(parsed == .string(stdlib)) }
        }
    }

    @Test func deeplyNestedInputIsRejectedNotCrashing() {
        for opener in ["[", "{\"k\":", "[{\"k\":"] {
            let bytes = Array(String(repeating: opener, count: 200_000).utf8)
            #expect(throws: JSONParseError.self) { try JSON.parse(bytes) }
        }
    }

    /// Throughput sanity print, not an assertion (tests usually run unoptimised).
    @Test func throughputSanityPrint() throws {
        var items: [JSON] = []
        for i in 0..<5_000 {
            items.append([
                "task_id": .string("6f1c2a0e-\(i)-4b7e-9c1d-2f3a4b5c6d7e"), "type": "email.send",
                "priority": .int(Int64(i % 10)), "score": .double(Double(i) * 0.37),
                "payload": ["to": .string("user\(i)@example.com"), "subject": "Hello \"world\" — ünïcode", "tags": ["a", "b", nil, true]],
            ])
        }
        let bytes = JSON.array(items).serialized()
        let rounds = 5
        let start = monotonicSeconds()
        for _ in 0..<rounds { _ = try JSON.parse(bytes) }
        let parseSeconds = monotonicSeconds() - start
        let value = try JSON.parse(bytes)
        let start2 = monotonicSeconds()
        for _ in 0..<rounds { _ = value.canonicalBytes }
        let serializeSeconds = monotonicSeconds() - start2
        let mb = Double(bytes.count * rounds) / 1_000_000
        print("JSON throughput (\(bytes.count) bytes x \(rounds)): parse \(Int(mb / parseSeconds)) MB/s, canonical serialize \(Int(mb / serializeSeconds)) MB/s")
    }

    private func checkRoundTrip(_ value: JSON) throws {
        let once = value.serialized()
        #expect(try JSON.parse(once, maxDepth: 1000) == value)
        #expect(try JSON.parse(value.canonicalBytes, maxDepth: 1000).canonicalBytes == value.canonicalBytes)
    }

    private func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
