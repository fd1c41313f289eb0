/// Every failure the engine reports, with a stable machine-readable code. The API layer maps codes to
/// HTTP statuses in exactly one place; MCP maps them to tool errors with the same codes.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let validation = Code(rawValue: "VALIDATION_ERROR")
        public static let invalidParameter = Code(rawValue: "INVALID_PARAMETER")
        public static let taskNotFound = Code(rawValue: "TASK_NOT_FOUND")
        public static let receiptNotFound = Code(rawValue: "RECEIPT_NOT_FOUND")
        public static let leaseInvalidOrExpired = Code(rawValue: "LEASE_INVALID_OR_EXPIRED")
        public static let leaseRenewalLimit = Code(rawValue: "LEASE_RENEWAL_LIMIT_EXCEEDED")
        public static let leaseLifetimeLimit = Code(rawValue: "LEASE_LIFETIME_EXCEEDED")
        public static let invalidTransition = Code(rawValue: "INVALID_STATE_TRANSITION")
        public static let forbidden = Code(rawValue: "FORBIDDEN")
        public static let forbiddenPrincipal = Code(rawValue: "FORBIDDEN_PRINCIPAL")
        public static let notOwner = Code(rawValue: "NOT_TASK_OWNER")
        public static let receiptTooLarge = Code(rawValue: "RECEIPT_TOO_LARGE")
        public static let payloadTooLarge = Code(rawValue: "PAYLOAD_TOO_LARGE")
        public static let tooManyParents = Code(rawValue: "TOO_MANY_PARENTS")
        public static let tooManyArtifacts = Code(rawValue: "TOO_MANY_ARTIFACTS")
        public static let parentNotFound = Code(rawValue: "PARENT_NOT_FOUND")
        public static let batchTooLarge = Code(rawValue: "BATCH_TOO_LARGE")
        public static let notFound = Code(rawValue: "NOT_FOUND")
        public static let unavailable = Code(rawValue: "SERVICE_UNAVAILABLE")
        public static let `internal` = Code(rawValue: "INTERNAL_ERROR")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func validation(_ message: String) -> EngineError { .init(.validation, message) }
    public static func taskNotFound(_ id: String) -> EngineError { .init(.taskNotFound, "task \(id) not found") }
    public static func leaseInvalid(_ detail: String) -> EngineError { .init(.leaseInvalidOrExpired, detail) }
}
