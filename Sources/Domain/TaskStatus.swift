public enum TaskStatus: String, Sendable, CaseIterable {
    case queued, leased, running, succeeded, failed, canceled

    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .canceled: return true
        case .queued, .leased, .running: return false
        }
    }

    /// States in which a worker holds a lease on the task.
    public var isLeased: Bool { self == .leased || self == .running }
}
