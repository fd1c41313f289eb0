/// Parses a complete request head (request line + header lines, CRLF-terminated, already checked
/// for bare CR/LF and size limits by the scanner) and derives the message framing (RFC 9112 §6).
enum HeadParser {
    static func parse(
        requestLine: UnsafeBufferPointer<UInt8>, fields: UnsafeBufferPointer<UInt8>, limits: HTTPRequestParser.Limits
    ) -> Result<RequestHead, HTTPParseError> {
        let line: RequestLine
        switch parseRequestLine(requestLine) {
        case .failure(let error): return .failure(error)
        case .success(let parsed): line = parsed
        }
        var headers = HTTPHeaders()
        headers.fields.reserveCapacity(8)
        var semantics = FieldSemantics()
        var lineStart = 0
        // The fields end with the empty line's CRLF; every line is CRLF-terminated.
        while lineStart < fields.count - 2 {
            var lineEnd = lineStart
            while fields[lineEnd] != 0x0D { lineEnd += 1 }
            let field = UnsafeBufferPointer(rebasing: fields[lineStart..<lineEnd])
            switch parseField(field) {
            case .failure(let error):
                return .failure(error)
            case .success(let (name, value)):
                if let error = semantics.record(name: name, value: value) { return .failure(error) }
                headers.fields.append((
                    name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)
                ))
            }
            lineStart = lineEnd + 2
        }
        return semantics.finish(line: line, headers: headers, limits: limits)
    }

    struct RequestLine {
        var method: UnsafeBufferPointer<UInt8>
        var target: UnsafeBufferPointer<UInt8>
        var version: HTTPVersion
    }

    /// `method SP request-target SP HTTP-version`, exactly one space each (RFC 9112 §3).
    static func parseRequestLine(_ line: UnsafeBufferPointer<UInt8>) -> Result<RequestLine, HTTPParseError> {
        var index = 0
        while index < line.count, CharacterClass.isTokenChar(line[index]) { index += 1 }
        guard index > 0, index < line.count else { return .failure(.invalidMethod) }
        guard line[index] == 0x20 else {
            return .failure(CharacterClass.isControl(line[index]) ? .invalidRequestLine : .invalidMethod)
        }
        let method = UnsafeBufferPointer(rebasing: line[0..<index])
        index += 1
        let targetStart = index
        while index < line.count, line[index] > 0x20, line[index] < 0x7F { index += 1 }
        guard index > targetStart else { return .failure(.invalidRequestLine) }
        guard index < line.count, line[index] == 0x20 else {
            return .failure(index < line.count && line[index] >= 0x7F ? .invalidTarget : .invalidRequestLine)
        }
        let target = UnsafeBufferPointer(rebasing: line[targetStart..<index])
        index += 1
        let version = UnsafeBufferPointer(rebasing: line[index...])
        guard version.count == 8,
              version[0] == UInt8(ascii: "H"), version[1] == UInt8(ascii: "T"),
              version[2] == UInt8(ascii: "T"), version[3] == UInt8(ascii: "P"),
              version[4] == UInt8(ascii: "/"), version[6] == UInt8(ascii: "."),
              CharacterClass.isDigit(version[5]), CharacterClass.isDigit(version[7])
        else { return .failure(.invalidVersion) }
        let major = Int(version[5] - 0x30), minor = Int(version[7] - 0x30)
        guard major == 1 else { return .failure(.versionNotSupported) }
        return .success(RequestLine(method: method, target: target, version: HTTPVersion(major: major, minor: minor)))
    }

    /// `field-name ":" OWS field-value OWS` (RFC 9112 §5). Returns name and trimmed value.
    static func parseField(
        _ line: UnsafeBufferPointer<UInt8>
    ) -> Result<(UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>), HTTPParseError> {
        guard let first = line.first else { return .failure(.invalidHeaderName) }
        if first == 0x20 || first == 0x09 { return .failure(.obsFold) }
        var index = 0
        while index < line.count, CharacterClass.isTokenChar(line[index]) { index += 1 }
        guard index < line.count else { return .failure(.invalidHeaderName) }
        if line[index] == 0x20 || line[index] == 0x09 { return .failure(.whitespaceBeforeColon) }
        guard line[index] == UInt8(ascii: ":"), index > 0 else { return .failure(.invalidHeaderName) }
        let name = UnsafeBufferPointer(rebasing: line[0..<index])
        var start = index + 1
        var end = line.count
        while start < end, line[start] == 0x20 || line[start] == 0x09 { start += 1 }
        while end > start, line[end - 1] == 0x20 || line[end - 1] == 0x09 { end -= 1 }
        for position in start..<end where !CharacterClass.isFieldValueChar(line[position]) {
            return .failure(.invalidHeaderValue)
        }
        return .success((name, UnsafeBufferPointer(rebasing: line[start..<end])))
    }
}
