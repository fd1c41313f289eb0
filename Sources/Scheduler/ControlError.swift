/// Why a control task (schedule.*) failed. `retryable` ones (the database is unreachable, the API
/// failed transiently) are requeued by the server; the rest are the caller's mistake and terminal.
public struct ControlError: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: String
    public var message: String
    public var retryable: Bool

    public static func badPayload(_ message: String) -> ControlError {
        ControlError(kind: "bad_payload", message: message, retryable: false)
    }
    public static func notFound(_ message: String) -> ControlError {
        ControlError(kind: "not_found", message: message, retryable: false)
    }
    public static func forbidden(_ message: String) -> ControlError {
        ControlError(kind: "forbidden", message: message, retryable: false)
    }
    public static func conflict(_ message: String) -> ControlError {
        ControlError(kind: "conflict", message: message, retryable: false)
    }
    public static func transient(_ message: String) -> ControlError {
        ControlError(kind: "transient", message: message, retryable: true)
    }

    public var description: String { "\(kind): \(message)" }
}
