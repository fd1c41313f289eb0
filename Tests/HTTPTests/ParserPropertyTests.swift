import Testing
@testable import HTTP

/// Random-bytes property test (the fuzz entry point for CI): whatever arrives, the parser never
/// crashes, never consumes more than it was given, and ends in a defined state.
@Suite("HTTPRequestParser property")
struct ParserPropertyTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seeds: [UInt64] = [1, 2, 3, 42, 0xDEAD_BEEF]

    @Test("random bytes never crash the parser", arguments: seeds)
    func randomBytes(seed: UInt64) {
        var random = SplitMix(state: seed)
        for _ in 0..<400 {
            let length = Int.random(in: 0...600, using: &random)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let chunk = Int.random(in: 1...max(1, length), using: &random)
            _ = ParserDriver.run(bytes, chunkSize: chunk, limits: ParserFixtures.limits)
        }
    }

    /// The fuzz entry point's own checks (outcome independent of chunking, limits, dead parser
    /// stays dead) hold for every fixture, alone and pipelined behind another request.
    @Test("fuzz entry point invariants hold for every fixture")
    func fuzzEntryPoint() {
        let corpus = ParserFixtures.valid.map(\.input) + ParserFixtures.rejects.map(\.input)
        let prefix = "GET /first HTTP/1.1\nHost: a\n\n".crlf
        for input in corpus {
            input.withUnsafeBytes { HTTPParserFuzzing.run($0) }
            (prefix + input).withUnsafeBytes { HTTPParserFuzzing.run($0) }
        }
    }

    /// Mutations of valid requests reach far deeper into the parser than uniform noise.
    @Test("mutated valid requests never crash the parser", arguments: seeds)
    func mutatedRequests(seed: UInt64) {
        var random = SplitMix(state: seed)
        let corpus = ParserFixtures.valid.map(\.input) + ParserFixtures.rejects.map(\.input)
        let alphabet: [UInt8] = Array(" \r\n:;,0123456789abcdefABCDEF\t\u{0}\u{7f}\u{ff}%?/".utf8)
        for _ in 0..<1500 {
            var bytes = corpus.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                guard !bytes.isEmpty else { break }
                let position = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes[position] = alphabet.randomElement(using: &random)!
                case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: position)
                case 2: bytes.remove(at: position)
                default: bytes[position] = UInt8.random(in: 0...255, using: &random)
                }
            }
            bytes.withUnsafeBytes { HTTPParserFuzzing.run($0) }
            let driver = ParserDriver.run(bytes, chunkSize: Int.random(in: 1...max(1, bytes.count), using: &random), limits: ParserFixtures.limits)
            for head in driver.requests {
                #expect(head.request.body.count <= ParserFixtures.limits.maxBodyBytes)
            }
        }
    }
}
