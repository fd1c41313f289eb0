import Foundation
import JSON

/// The reference worker's handlers (SPEC §9), by task type.
public enum ReferenceHandlers {
    public static let all: [String: any TaskHandler] = [
        "echo": EchoHandler(),
        "sleep_then_return": SleepThenReturnHandler(),
        "http_get": HTTPGetHandler(),
    ]

    /// The handlers for `types`; throws naming the first unknown type.
    public static func select(_ types: [String]) throws -> [String: any TaskHandler] {
        var chosen: [String: any TaskHandler] = [:]
        for type in types {
            guard let handler = all[type] else {
                throw HandlerFailure.badPayload("unknown task type \(type) (known: \(all.keys.sorted().joined(separator: ", ")))")
            }
            chosen[type] = handler
        }
        return chosen
    }

    /// The result lives in the task itself: point at it, so the completion is locatable.
    static func inlineArtifact(_ context: TaskContext) -> JSON {
        [["type": "inline", "uri": .string("asyncgate://tasks/\(context.task.taskID.uuidString.lowercased())/result"),
          "mime": "application/json"]]
    }
}

/// `echo`: returns the payload as the result.
public struct EchoHandler: TaskHandler {
    public init() {}
    public func handle(_ context: TaskContext) throws -> TaskOutcome {
        TaskOutcome(result: context.payload, artifacts: ReferenceHandlers.inlineArtifact(context))
    }
}

/// `sleep_then_return`: `{"seconds": 0...86400, "value": any}` → sleeps, then returns
/// `{"value": value, "slept_seconds": seconds}`. Cancellable while it sleeps.
public struct SleepThenReturnHandler: TaskHandler {
    public static let maxSeconds = 86_400.0
    public init() {}
    public func handle(_ context: TaskContext) throws -> TaskOutcome {
        guard case .object(let fields) = context.payload else { throw HandlerFailure.badPayload("payload must be an object") }
        guard let seconds = fields["seconds"]?.doubleValue, seconds.isFinite, (0...Self.maxSeconds).contains(seconds) else {
            throw HandlerFailure.badPayload("seconds must be a number in 0...\(Int(Self.maxSeconds))")
        }
        let value = fields["value"] ?? .null
        guard context.sleep(seconds: seconds) else {
            throw HandlerFailure.transient("cancelled while sleeping")
        }
        return TaskOutcome(result: ["value": value, "slept_seconds": fields["seconds"] ?? .int(0)],
                           artifacts: ReferenceHandlers.inlineArtifact(context))
    }
}
