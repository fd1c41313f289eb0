import Testing
@testable import RateLimit

@Suite("Redis URL")
struct RedisURLTests {
    struct Valid: Sendable, CustomTestStringConvertible {
        var text: String
        var url: RedisURL
        var testDescription: String { text }
    }

    static let valid: [Valid] = [
        .init(text: "redis://localhost", url: RedisURL(host: "localhost")),
        .init(text: "redis://127.0.0.1:6380", url: RedisURL(host: "127.0.0.1", port: 6380)),
        .init(text: "redis://:s3cret@cache:6379/2", url: RedisURL(host: "cache", password: "s3cret", database: 2)),
        .init(text: "redis://app:pw@cache/0", url: RedisURL(host: "cache", username: "app", password: "pw")),
        .init(text: "redis://:p%40ss%3Aword@h:1", url: RedisURL(host: "h", port: 1, password: "p@ss:word")),
        .init(text: "redis://:a@b@h", url: RedisURL(host: "h", password: "a@b")),
        .init(text: "REDIS://[::1]:7000/5", url: RedisURL(host: "::1", port: 7000, database: 5)),
        .init(text: "redis://h:6379/", url: RedisURL(host: "h")),
        .init(text: "redis://h?timeout=1", url: RedisURL(host: "h")),
    ]

    @Test(arguments: valid)
    func parses(_ c: Valid) throws {
        #expect(try RedisURL(parsing: c.text) == c.url)
    }

    static let invalid = [
        "", "localhost:6379", "http://h", "rediss://h", "redis://", "redis://:pw@", "redis://h:0", "redis://h:70000",
        "redis://h:port", "redis://h/db", "redis://h/-1", "redis://[::1", "redis://[::1]x", "redis://secret@h",
        "redis://:bad%zz@h",
    ]

    @Test(arguments: invalid)
    func rejects(_ text: String) {
        #expect(throws: RateLimitError.self) { try RedisURL(parsing: text) }
    }

    @Test func errorsAndRedactedFormNeverContainThePassword() throws {
        do {
            _ = try RedisURL(parsing: "redis://:hunter2@h:notaport")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidURL)
            #expect(!error.description.contains("hunter2"))
        }
        let url = try RedisURL(parsing: "redis://:hunter2@cache:6380/3")
        #expect(url.redacted == "cache:6380/3")
    }
}

@Suite("SHA-1 for EVALSHA")
struct SHA1Tests {
    @Test(arguments: [
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        (String(repeating: "a", count: 1000), "291e9a6c66994949b57ba5e650361e98fc36b1ba"),
    ])
    func knownVectors(_ input: String, _ hex: String) {
        #expect(SHA1.hex(input) == hex)
    }
}
