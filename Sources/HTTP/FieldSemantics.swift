/// Collects the header fields that decide framing and connection handling, and rejects the
/// combinations RFC 9112 calls unsafe (request smuggling vectors).
struct FieldSemantics {
    var hostCount = 0
    var contentLength: Int?
    var contentLengthCount = 0
    var contentLengthInvalid = false
    var transferEncodingSeen = false
    var codings: [Substring] = []
    var connectionClose = false
    var connectionKeepAlive = false
    var expectsContinue = false

    /// Records one field; returns an error only for problems visible from the field alone.
    mutating func record(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> HTTPParseError? {
        // Dispatch on length first: most fields are none of these and cost one comparison.
        switch name.count {
        case 4 where Self.equals(name, "host"):
            hostCount += 1
        case 14 where Self.equals(name, "content-length"):
            contentLengthCount += 1
            if contentLengthCount > 1 { return .duplicateContentLength }
            guard !value.isEmpty, value.count <= 18, value.allSatisfy(CharacterClass.isDigit) else {
                return .invalidContentLength
            }
            contentLength = value.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        case 17 where Self.equals(name, "transfer-encoding"):
            transferEncodingSeen = true
            let text = String(decoding: value, as: UTF8.self)
            for coding in text.split(separator: ",", omittingEmptySubsequences: false) {
                let trimmed = coding.trimmingSpaces
                if !trimmed.isEmpty { codings.append(trimmed) }
            }
        case 10 where Self.equals(name, "connection"):
            for token in String(decoding: value, as: UTF8.self).split(separator: ",") {
                let trimmed = token.trimmingSpaces.lowercased()
                if trimmed == "close" { connectionClose = true }
                if trimmed == "keep-alive" { connectionKeepAlive = true }
            }
        case 6 where Self.equals(name, "expect"):
            if Self.equals(value, "100-continue") { expectsContinue = true }
        default:
            break
        }
        return nil
    }

    func finish(
        line: HeadParser.RequestLine, headers: HTTPHeaders, limits: HTTPRequestParser.Limits
    ) -> Result<RequestHead, HTTPParseError> {
        let version = line.version
        let isHTTP11 = version.minor >= 1
        if hostCount > 1 { return .failure(.duplicateHost) }
        if isHTTP11 && hostCount == 0 { return .failure(.missingHost) }

        var framing = RequestHead.Framing.none
        if transferEncodingSeen {
            if contentLengthCount > 0 { return .failure(.contentLengthWithTransferEncoding) }
            if !isHTTP11 { return .failure(.transferEncodingInHTTP10) }
            // chunked must be present exactly once and last (RFC 9112 §6.1); any other coding is
            // one we do not implement.
            guard let last = codings.last, last.lowercased() == "chunked" else { return .failure(.chunkedNotFinal) }
            let chunkedCount = codings.filter { $0.lowercased() == "chunked" }.count
            if chunkedCount > 1 { return .failure(.chunkedNotFinal) }
            if codings.count > 1 { return .failure(.unsupportedTransferCoding) }
            framing = .chunked
        } else if let contentLength {
            if contentLength > limits.maxBodyBytes { return .failure(.bodyTooLarge) }
            framing = .length(contentLength)
        }

        let targetBytes = line.target
        guard let split = RequestTarget.split(targetBytes) else { return .failure(.invalidTarget) }
        if split.path == "*" && !line.method.elementsEqual("OPTIONS".utf8) { return .failure(.invalidTarget) }
        let keepAlive = isHTTP11 ? !connectionClose : (connectionKeepAlive && !connectionClose)
        let request = HTTPRequest(
            method: String(decoding: line.method, as: UTF8.self),
            target: String(decoding: targetBytes, as: UTF8.self),
            path: split.path, query: split.query, version: version,
            headers: headers, body: [], remoteAddress: "", requestID: ""
        )
        let hasBody = framing != .none && framing != .length(0)
        return .success(RequestHead(
            request: request, framing: framing, keepAlive: keepAlive,
            expectsContinue: expectsContinue && isHTTP11 && hasBody
        ))
    }

    /// ASCII case-insensitive comparison of raw bytes with a lowercase literal.
    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<bytes.count {
            let byte = bytes[index]
            let folded = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            if folded != expected[index] { return false }
        }
        return true
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
