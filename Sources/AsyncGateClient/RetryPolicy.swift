import Foundation

/// How often and how patiently a call is repeated after a transient failure.
///
/// Which calls are repeated at all is decided per call (`CallSafety`), not here: GETs, a create
/// that carries an idempotency key, an ack, a cancel, and complete/fail (the server recognises a
/// repeat from the same lease and answers it with success, without writing twice) are safe;
/// claim, renew, progress, running and a create without a key are repeated only when the request
/// certainly never left this process.
public struct RetryPolicy: Sendable, Equatable {
    /// Total tries, the first included (1 = never retry).
    public var maxAttempts: Int
    /// Backoff before the first retry; doubled for each later one.
    public var baseDelay: Double
    /// Cap on a single backoff (and on an honoured `Retry-After`).
    public var maxDelay: Double
    /// Randomise each backoff over [delay/2, delay] so that many clients do not retry in step.
    public var jitter: Bool

    public init(maxAttempts: Int = 4, baseDelay: Double = 0.2, maxDelay: Double = 5, jitter: Bool = true) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(0, baseDelay)
        self.maxDelay = max(0, maxDelay)
        self.jitter = jitter
    }

    public static let none = RetryPolicy(maxAttempts: 1)

    /// The pause before try number `attempt + 1` (attempt counts from 1), honouring the server's
    /// `Retry-After` when it asks for longer (but never beyond `maxDelay`).
    public func delay(afterAttempt attempt: Int, retryAfter: Double?, random: Double = Double.random(in: 0...1)) -> Double {
        let exponent = min(max(attempt - 1, 0), 30)
        var delay = min(maxDelay, baseDelay * Double(1 << exponent))
        if jitter { delay = delay / 2 + delay / 2 * min(max(random, 0), 1) }
        if let retryAfter, retryAfter > delay { delay = min(retryAfter, maxDelay) }
        return delay
    }
}

/// Whether a call may be sent twice.
public enum CallSafety: Sendable {
    /// Repeating it cannot do anything the first try did not already do.
    case idempotent
    /// Repeating it could act twice; retried only when the first try never reached the server.
    case unsafe

    func mayRetry(_ error: AsyncGateError) -> Bool {
        if error.requestNotSent { return true }
        switch self {
        case .idempotent: return error.isTransient
        case .unsafe: return false
        }
    }
}
