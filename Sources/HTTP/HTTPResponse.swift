/// A response handed back through `HTTPResponder`. The server adds `Date`, `Content-Length`,
/// `X-Request-ID` and (when it will close) `Connection: close`.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = .init(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// JSON response: sets `Content-Type: application/json`.
    public static func json(status: Int, body: [UInt8], headers: HTTPHeaders = .init()) -> HTTPResponse {
        var headers = headers
        headers.replaceOrAdd("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    /// The one error shape of AsyncGate:
    /// `{"detail": message, "error": {"code": code, "message": message, "request_id": id}}`
    /// (`request_id` only when given).
    public static func error(
        status: Int, code: String, message: String, requestID: String? = nil, headers: HTTPHeaders = .init()
    ) -> HTTPResponse {
        var json = "{\"detail\":"
        JSONString.append(message, to: &json)
        json += ",\"error\":{\"code\":"
        JSONString.append(code, to: &json)
        json += ",\"message\":"
        JSONString.append(message, to: &json)
        if let requestID {
            json += ",\"request_id\":"
            JSONString.append(requestID, to: &json)
        }
        json += "}}"
        return .json(status: status, body: Array(json.utf8), headers: headers)
    }
}

/// Minimal JSON string escaping (RFC 8259 §7) so this module needs no JSON dependency.
enum JSONString {
    static func append(_ string: String, to output: inout String) {
        output.append("\"")
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output.append("\\\"")
            case "\\": output.append("\\\\")
            case "\n": output.append("\\n")
            case "\r": output.append("\\r")
            case "\t": output.append("\\t")
            case "\u{08}": output.append("\\b")
            case "\u{0C}": output.append("\\f")
            case "\u{00}"..."\u{1F}", "\u{7F}", "\u{2028}", "\u{2029}":
                let hex = String(scalar.value, radix: 16, uppercase: false)
                output.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output.append("\"")
    }
}
