/// The settings both limiters accept; constructing one outside these ranges is a programming error
/// (a precondition), so configuration should be validated against them at start-up.
public enum RateLimitBounds {
    /// Calls per window. The cap keeps `limit × window in ms` far below 2^53, the range in which the
    /// Redis script's numbers (doubles) are exact integers.
    public static let limit: ClosedRange<Int> = 1...1_000_000_000
    /// Window length in seconds: one second to a (leap) year.
    public static let windowSeconds: ClosedRange<Int> = 1...(366 * 24 * 3600)
}
