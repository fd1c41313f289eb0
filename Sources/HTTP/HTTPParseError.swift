/// Why a request was rejected by the parser. Cases are stable (tests and logs rely on them); each
/// maps to one status and one public error code. After any of them the connection is closed,
/// because the framing of whatever follows can no longer be trusted.
public enum HTTPParseError: String, Error, Sendable, CaseIterable {
    // 400
    case invalidRequestLine
    case invalidMethod
    case invalidTarget
    case invalidVersion
    case bareCR
    case bareLF
    case obsFold
    case whitespaceBeforeColon
    case invalidHeaderName
    case invalidHeaderValue
    case missingHost
    case duplicateHost
    case duplicateContentLength
    case invalidContentLength
    case contentLengthWithTransferEncoding
    case transferEncodingInHTTP10
    case chunkedNotFinal
    case invalidChunkSize
    case invalidChunkExtension
    case invalidChunkTerminator
    case invalidTrailer
    case incompleteRequest
    // 413 / 414 / 431
    case bodyTooLarge
    case requestLineTooLong
    case headersTooLarge
    case tooManyHeaders
    // 501 / 505
    case unsupportedTransferCoding
    case versionNotSupported

    public var status: Int {
        switch self {
        case .bodyTooLarge: return 413
        case .requestLineTooLong: return 414
        case .headersTooLarge, .tooManyHeaders: return 431
        case .unsupportedTransferCoding: return 501
        case .versionNotSupported: return 505
        default: return 400
        }
    }

    /// The stable code in the JSON error body.
    public var code: String {
        switch status {
        case 413: return "PAYLOAD_TOO_LARGE"
        case 414: return "URI_TOO_LONG"
        case 431: return "HEADERS_TOO_LARGE"
        case 501: return "NOT_IMPLEMENTED"
        case 505: return "HTTP_VERSION_NOT_SUPPORTED"
        default: return "BAD_REQUEST"
        }
    }

    /// A short human message; it never echoes client bytes.
    public var message: String {
        switch self {
        case .invalidRequestLine: return "malformed request line"
        case .invalidMethod: return "invalid method token"
        case .invalidTarget: return "invalid request target"
        case .invalidVersion: return "malformed HTTP version"
        case .bareCR: return "bare CR in request head"
        case .bareLF: return "bare LF line ending (CRLF required)"
        case .obsFold: return "obsolete header line folding is not allowed"
        case .whitespaceBeforeColon: return "whitespace between header name and colon"
        case .invalidHeaderName: return "invalid header field name"
        case .invalidHeaderValue: return "invalid character in header field value"
        case .missingHost: return "HTTP/1.1 request without Host header"
        case .duplicateHost: return "more than one Host header"
        case .duplicateContentLength: return "more than one Content-Length"
        case .invalidContentLength: return "invalid Content-Length"
        case .contentLengthWithTransferEncoding: return "both Content-Length and Transfer-Encoding"
        case .transferEncodingInHTTP10: return "Transfer-Encoding in an HTTP/1.0 request"
        case .chunkedNotFinal: return "Transfer-Encoding must end with chunked"
        case .invalidChunkSize: return "malformed chunk size"
        case .invalidChunkExtension: return "malformed chunk extension"
        case .invalidChunkTerminator: return "chunk data not followed by CRLF"
        case .invalidTrailer: return "malformed trailer section"
        case .incompleteRequest: return "connection closed before the request was complete"
        case .bodyTooLarge: return "request body too large"
        case .requestLineTooLong: return "request line too long"
        case .headersTooLarge: return "request header section too large"
        case .tooManyHeaders: return "too many header fields"
        case .unsupportedTransferCoding: return "unsupported transfer coding"
        case .versionNotSupported: return "HTTP version not supported"
        }
    }
}
