@testable import AsyncGateClient
import Foundation
import JSON
import Testing

@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", 0.0),
        ("2026-11-23T02:50:21.123456Z", 1_795_402_221.123456),
        ("2026-11-23T03:50:21.5+01:00", 1_795_402_221.5),
        ("2024-02-29T12:00:00-05:30", 1_709_227_800.0),
        ("1969-12-31T23:59:59Z", -1.0),
    ])
    func parses(_ text: String, _ epoch: Double) throws {
        let date = try #require(RFC3339.parse(text))
        #expect(abs(date.timeIntervalSince1970 - epoch) < 0.000_001)
    }

    @Test(arguments: ["", "2026-11-23", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-23T02:50:21",
                      "2026-11-23T25:00:00Z", "2026-11-23T02:50:21.Z", "2026-11-23T02:50:21Zjunk"])
    func rejects(_ text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func formatsAndRoundTrips() {
        let date = Date(timeIntervalSince1970: 1_795_402_221.123456)
        #expect(RFC3339.format(date) == "2026-11-23T02:50:21Z")
        #expect(RFC3339.format(date, fractional: true) == "2026-11-23T02:50:21.123456Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
        for seconds in stride(from: -86_400.0 * 400, to: 86_400.0 * 365 * 300, by: 86_400.0 * 97.3) {
            let d = Date(timeIntervalSince1970: seconds.rounded())
            #expect(RFC3339.parse(RFC3339.format(d)) == d)
        }
    }
}

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func knownVectors(_ input: String, _ digest: String) {
        #expect(SHA256.hex(Array(input.utf8)) == digest)
    }

    @Test func incrementalEqualsOneShot() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        for split in [0, 1, 63, 64, 65, 500, 999, 1000] {
            var h = SHA256()
            h.update(Array(data[0..<split]))
            h.update(Array(data[split...]))
            let hex = h.finalize().map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
            #expect(hex == SHA256.hex(data), "split \(split)")
        }
        // one million 'a' (FIPS 180-2 test vector)
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

@Suite struct RetryPolicyTests {
    @Test func backoffDoublesUpToTheCap() {
        let p = RetryPolicy(maxAttempts: 10, baseDelay: 0.1, maxDelay: 1, jitter: false)
        #expect([1, 2, 3, 4, 5, 9].map { p.delay(afterAttempt: $0, retryAfter: nil) } == [0.1, 0.2, 0.4, 0.8, 1, 1])
    }

    @Test func jitterStaysInTheUpperHalf() {
        let p = RetryPolicy(maxAttempts: 10, baseDelay: 0.4, maxDelay: 10, jitter: true)
        #expect(p.delay(afterAttempt: 1, retryAfter: nil, random: 0) == 0.2)
        #expect(p.delay(afterAttempt: 1, retryAfter: nil, random: 1) == 0.4)
    }

    @Test func honoursRetryAfterWithinTheCap() {
        let p = RetryPolicy(maxAttempts: 10, baseDelay: 0.1, maxDelay: 2, jitter: false)
        #expect(p.delay(afterAttempt: 1, retryAfter: 1.5) == 1.5)
        #expect(p.delay(afterAttempt: 1, retryAfter: 60) == 2)
    }

    @Test func onlySafeCallsRetryAfterTheRequestMayHaveArrived() {
        let reset = AsyncGateError(code: .connectionFailed, message: "reset")
        let refused = AsyncGateError(code: .connectionFailed, message: "refused", requestNotSent: true)
        let busy = AsyncGateError(code: .unavailable, status: 503, message: "busy")
        let invalid = AsyncGateError(code: .validation, status: 422, message: "bad")
        #expect(CallSafety.idempotent.mayRetry(reset) && CallSafety.idempotent.mayRetry(busy))
        #expect(!CallSafety.idempotent.mayRetry(invalid))
        #expect(!CallSafety.unsafe.mayRetry(reset) && !CallSafety.unsafe.mayRetry(busy))
        #expect(CallSafety.unsafe.mayRetry(refused))
    }
}

@Suite struct ServerAddressTests {
    @Test func parsesURLs() throws {
        #expect(try ServerAddress(url: "http://127.0.0.1:8080") == ServerAddress(host: "127.0.0.1", port: 8080))
        #expect(try ServerAddress(url: "HTTP://gate.internal/prefix/") == ServerAddress(host: "gate.internal", port: 80, basePath: "/prefix"))
        #expect(try ServerAddress(url: "http://[::1]:9000") == ServerAddress(host: "::1", port: 9000))
    }

    @Test(arguments: ["https://x", "ftp://x", "http://", "http://host:0", "http://host:99999", "http://u:p@host", "http://[::1"])
    func rejects(_ url: String) {
        #expect(throws: AsyncGateError.self) { try ServerAddress(url: url) }
    }

    @Test func percentEncodesQueryValues() {
        #expect(AsyncGateClient.percentEncode("a b&c=d/é~") == "a%20b%26c%3Dd%2F%C3%A9~")
    }

    @Test func httpGetURLsSplitIntoAddressAndTarget() throws {
        let (address, target) = try HTTPGetHandler.parse("http://example.com:81/a/b?x=1#frag")
        #expect(address == ServerAddress(host: "example.com", port: 81))
        #expect(target == "/a/b?x=1")
        #expect(try HTTPGetHandler.parse("http://example.com").path == "/")
        #expect(throws: AsyncGateError.self) { try HTTPGetHandler.parse("https://example.com/") }
        #expect(throws: AsyncGateError.self) { try HTTPGetHandler.parse("http://exa mple.com/") }
    }
}
