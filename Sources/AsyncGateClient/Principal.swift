/// Who acts: `{kind, id}` as on the wire. Kinds are kept open (a newer server may add one).
public struct PrincipalKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    public static let agent: PrincipalKind = "agent"
    public static let worker: PrincipalKind = "worker"
    public static let service: PrincipalKind = "service"
    public static let system: PrincipalKind = "system"
    public static let human: PrincipalKind = "human"
}

public struct Principal: Hashable, Sendable, CustomStringConvertible {
    public var kind: PrincipalKind
    public var id: String
    /// Optional instance (a process of the same principal); sent where the API takes one.
    public var instanceID: String?

    public init(kind: PrincipalKind, id: String, instanceID: String? = nil) {
        self.kind = kind
        self.id = id
        self.instanceID = instanceID
    }

    public static func agent(_ id: String) -> Principal { Principal(kind: .agent, id: id) }
    public static func worker(_ id: String) -> Principal { Principal(kind: .worker, id: id) }

    public var description: String { "\(kind.rawValue):\(id)" }
}

/// A task's status. Open like the other wire enums: an unknown status is kept, not rejected.
public struct TaskStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    public static let queued: TaskStatus = "queued"
    public static let leased: TaskStatus = "leased"
    public static let running: TaskStatus = "running"
    public static let succeeded: TaskStatus = "succeeded"
    public static let failed: TaskStatus = "failed"
    public static let canceled: TaskStatus = "canceled"

    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .canceled }
}
