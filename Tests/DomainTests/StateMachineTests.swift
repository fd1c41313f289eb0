import Domain
import Testing

@Suite struct StateMachineTests {
    /// The complete allowed-transition table of SPEC §3; every other (state, event) pair is forbidden.
    static let allowed: [TaskStatus: [TaskEvent: TaskStatus]] = [
        .queued: [.claim: .leased, .cancel: .canceled],
        .leased: [.start: .running, .complete: .succeeded, .failTerminal: .failed, .failRetry: .queued,
                  .leaseExpired: .queued, .cancel: .canceled],
        .running: [.complete: .succeeded, .failTerminal: .failed, .failRetry: .queued, .leaseExpired: .queued,
                   .cancel: .canceled],
        .succeeded: [:], .failed: [:], .canceled: [:],
    ]

    @Test(arguments: TaskStatus.allCases)
    func everyTransitionFrom(_ state: TaskStatus) {
        for event in TaskEvent.allCases {
            #expect(StateMachine.next(from: state, on: event) == Self.allowed[state]?[event],
                    "\(state) on \(event)")
        }
    }

    @Test func terminalStatesAreImmutable() {
        for state in TaskStatus.allCases where state.isTerminal {
            for event in TaskEvent.allCases { #expect(StateMachine.next(from: state, on: event) == nil) }
        }
    }

    @Test func sourcesOfEvents() {
        #expect(StateMachine.sources(of: .claim) == [.queued])
        #expect(StateMachine.sources(of: .complete) == [.leased, .running])
        #expect(StateMachine.sources(of: .cancel) == [.queued, .leased, .running])
    }
}

@Suite struct RetryPolicyTests {
    @Test(arguments: [(30, 0, 30), (30, 1, 60), (30, 2, 120), (30, 5, 900), (30, 40, 900), (1, 0, 1), (500, 1, 900)])
    func backoff(_ base: Int, _ attempt: Int, _ expected: Int) {
        #expect(RetryPolicy.backoffSeconds(base: base, attempt: attempt, cap: 900) == expected)
    }

    @Test func requeueOnlyWhileAttemptsRemain() {
        #expect(RetryPolicy.shouldRequeue(retryable: true, attempt: 0, maxAttempts: 3))
        #expect(RetryPolicy.shouldRequeue(retryable: true, attempt: 1, maxAttempts: 3))
        #expect(!RetryPolicy.shouldRequeue(retryable: true, attempt: 2, maxAttempts: 3))
        #expect(!RetryPolicy.shouldRequeue(retryable: false, attempt: 0, maxAttempts: 3))
        #expect(!RetryPolicy.shouldRequeue(retryable: true, attempt: 0, maxAttempts: 1))
    }
}

@Suite struct TerminationRulesTests {
    @Test func assignedIsTheObligation() {
        #expect(TerminationRules.isObligation(.taskAssigned))
        for t in ReceiptType.allCases where t != .taskAssigned { #expect(!TerminationRules.isObligation(t)) }
    }

    @Test func terminators() {
        #expect(TerminationRules.terminatorTypes == [.taskCompleted, .taskFailed, .taskCanceled])
        #expect(TerminationRules.discharges(.taskCompleted, .taskAssigned))
        #expect(!TerminationRules.discharges(.taskRetryScheduled, .taskAssigned))
        #expect(!TerminationRules.discharges(.taskResultReady, .taskAssigned))
        #expect(!TerminationRules.discharges(.leaseExpired, .taskAssigned))
    }
}

@Suite struct PrincipalTests {
    @Test func extPrefixIsStripped() {
        #expect(Principal(kind: .agent, id: "ext:alice").id == "alice")
        #expect(Principal(kind: .agent, id: "alice").id == "alice")
    }

    @Test func internalIDs() {
        #expect(Principal(kind: .agent, id: "svc:x").isInternal)
        #expect(Principal(kind: .agent, id: "sys:x").isInternal)
        #expect(!Principal(kind: .agent, id: "service-x").isInternal)
        #expect(Principal.asyncgate.isInternal)
    }
}
