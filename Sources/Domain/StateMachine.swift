/// The task state machine of SPEC §3. Pure: given a state and an event it answers the next state,
/// or nil when the transition is forbidden (the caller then rejects with no mutation).
public enum TaskEvent: String, Sendable, CaseIterable {
    case claim          // queued -> leased
    case start          // leased -> running
    case complete       // leased|running -> succeeded
    case failTerminal   // leased|running -> failed
    case failRetry      // leased|running -> queued (attempt + 1, backoff)
    case leaseExpired   // leased|running -> queued (attempt unchanged)
    case cancel         // queued|leased|running -> canceled
}

public enum StateMachine {
    public static func next(from state: TaskStatus, on event: TaskEvent) -> TaskStatus? {
        switch (state, event) {
        case (.queued, .claim): return .leased
        case (.leased, .start): return .running
        case (.leased, .complete), (.running, .complete): return .succeeded
        case (.leased, .failTerminal), (.running, .failTerminal): return .failed
        case (.leased, .failRetry), (.running, .failRetry): return .queued
        case (.leased, .leaseExpired), (.running, .leaseExpired): return .queued
        case (.queued, .cancel), (.leased, .cancel), (.running, .cancel): return .canceled
        default: return nil
        }
    }

    /// The states from which `event` is allowed (used to build guarded UPDATEs).
    public static func sources(of event: TaskEvent) -> [TaskStatus] {
        TaskStatus.allCases.filter { next(from: $0, on: event) != nil }
    }
}
