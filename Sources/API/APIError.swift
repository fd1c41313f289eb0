import Engine
import HTTP

/// Codes the API layer adds to the engine's (request shape problems the engine never sees).
extension EngineError.Code {
    public static let invalidJSON = EngineError.Code(rawValue: "INVALID_JSON")
    public static let methodNotAllowed = EngineError.Code(rawValue: "METHOD_NOT_ALLOWED")
    public static let unauthorized = EngineError.Code(rawValue: "UNAUTHORIZED")
    public static let invalidTenant = EngineError.Code(rawValue: "INVALID_TENANT")
    public static let rateLimited = EngineError.Code(rawValue: "RATE_LIMITED")
}

/// THE mapping from error codes to HTTP statuses — the only place it exists. Statuses follow the
/// wire contract existing clients rely on (COMPAT.md).
enum ErrorMapping {
    static func status(for code: EngineError.Code) -> Int {
        switch code {
        case .validation, .tooManyParents, .tooManyArtifacts, .parentNotFound: return 422
        case .invalidParameter, .invalidJSON, .invalidTenant, .leaseInvalidOrExpired, .invalidTransition: return 400
        case .unauthorized: return 401
        case .forbidden, .forbiddenPrincipal, .notOwner: return 403
        case .taskNotFound, .receiptNotFound, .notFound: return 404
        case .methodNotAllowed: return 405
        case .leaseRenewalLimit, .leaseLifetimeLimit: return 409
        case .receiptTooLarge, .payloadTooLarge, .batchTooLarge: return 413
        case .rateLimited: return 429
        case .unavailable: return 503
        default: return 500
        }
    }

    static func response(_ error: EngineError, requestID: String) -> HTTPResponse {
        let status = status(for: error.code)
        var headers = HTTPHeaders()
        if status == 503 { headers.add("Retry-After", "1") }
        if status == 401 { headers.add("WWW-Authenticate", "Bearer") }
        return HTTPResponse.error(status: status, code: error.code.rawValue, message: error.message,
                                  requestID: requestID, headers: headers)
    }
}
