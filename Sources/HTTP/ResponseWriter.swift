/// Serialises a response head (+ body) into bytes, adding the headers the server owns.
enum ResponseWriter {
    struct Context {
        var requestID: String
        var isHead: Bool
        var close: Bool
        /// An HTTP/1.0 client that asked for keep-alive must be told it was granted.
        var announceKeepAlive: Bool
        var date: [UInt8]
    }

    static func write(_ response: HTTPResponse, _ context: Context, into output: inout [UInt8]) {
        let status = (100...999).contains(response.status) ? response.status : 500
        let bodyAllowed = !(status < 200 || status == 204 || status == 304)
        let sendBody = bodyAllowed && !context.isHead
        output.reserveCapacity(output.count + 160 + response.headers.count * 40 + (sendBody ? response.body.count : 0))
        append("HTTP/1.1 ", &output)
        appendDecimal(status, &output)
        output.append(0x20)
        append(reasonPhrase(status), &output)
        append("\r\n", &output)

        var hasDate = false, hasRequestID = false
        for field in response.headers {
            guard isValidName(field.name) else { continue }
            // Framing and connection management are the server's: a handler cannot desync them.
            if asciiCaseInsensitiveEquals(field.name, "Content-Length")
                || asciiCaseInsensitiveEquals(field.name, "Transfer-Encoding")
                || asciiCaseInsensitiveEquals(field.name, "Connection") { continue }
            if asciiCaseInsensitiveEquals(field.name, "Date") { hasDate = true }
            if asciiCaseInsensitiveEquals(field.name, "X-Request-ID") { hasRequestID = true }
            output.append(contentsOf: field.name.utf8)
            append(": ", &output)
            for byte in field.value.utf8 {
                // No CR/LF/NUL: a header value must never split the response (response splitting).
                output.append(byte == 0x0D || byte == 0x0A || byte == 0 ? 0x20 : byte)
            }
            append("\r\n", &output)
        }
        if !hasDate {
            append("Date: ", &output)
            output.append(contentsOf: context.date)
            append("\r\n", &output)
        }
        if bodyAllowed {
            append("Content-Length: ", &output)
            appendDecimal(response.body.count, &output)
            append("\r\n", &output)
        }
        if !hasRequestID && !context.requestID.isEmpty {
            append("X-Request-ID: ", &output)
            output.append(contentsOf: context.requestID.utf8)
            append("\r\n", &output)
        }
        if context.close {
            append("Connection: close\r\n", &output)
        } else if context.announceKeepAlive {
            append("Connection: keep-alive\r\n", &output)
        }
        append("\r\n", &output)
        if sendBody { output.append(contentsOf: response.body) }
    }

    /// Whether the handler asked for the connection to be closed.
    static func handlerRequestsClose(_ response: HTTPResponse) -> Bool {
        response.headers.values("Connection").contains { value in
            value.split(separator: ",").contains { $0.trimmingSpaces.lowercased() == "close" }
        }
    }

    static let continueBytes: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    @inline(__always)
    static func append(_ text: StaticString, _ output: inout [UInt8]) {
        output.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    static func appendDecimal(_ value: Int, _ output: inout [UInt8]) {
        if value >= 10 { appendDecimal(value / 10, &output) }
        output.append(UInt8(truncatingIfNeeded: 0x30 + value % 10))
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(CharacterClass.isTokenChar)
    }

    static func reasonPhrase(_ status: Int) -> StaticString {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 417: return "Expectation Failed"
        case 422: return "Unprocessable Content"
        case 425: return "Too Early"
        case 428: return "Precondition Required"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Unknown"
        }
    }
}
