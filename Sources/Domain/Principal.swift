/// Who acts or is addressed: `{kind, id}` plus an optional instance.
///
/// Ids are normalised the way existing clients expect: a leading `ext:` is stripped (`ext:alice` is
/// `alice`). Ids starting `sys:` or `svc:` are reserved for the server itself.
public struct Principal: Sendable, Hashable {
    public var kind: PrincipalKind
    public var id: String
    public var instanceID: String?

    public init(kind: PrincipalKind, id: String, instanceID: String? = nil) {
        self.kind = kind
        self.id = Principal.normalize(id)
        self.instanceID = instanceID
    }

    /// AsyncGate's own identity on the receipts it emits.
    public static let asyncgate = Principal(kind: .service, id: "svc:asyncgate")

    /// Reserved ids only the server (or an internal/admin caller) may act as.
    public var isInternal: Bool {
        id.hasPrefix("sys:") || id.hasPrefix("svc:") || kind == .system
    }

    public static func normalize(_ id: String) -> String {
        id.hasPrefix("ext:") ? String(id.dropFirst(4)) : id
    }

    /// Longest principal id we store; longer ids are rejected at the edge.
    public static let maxIDLength = 256
}

public enum PrincipalKind: String, Sendable, CaseIterable {
    case agent, worker, service, system, human
}
