import Foundation

extension CronExpression {
    /// How far ahead `nextRun` looks before concluding the expression never fires again.
    static let searchYears = 10

    /// The first run strictly after `instant`, evaluating the expression on the wall clock of
    /// `timeZone` (DST rules in the type's documentation), or nil if none within ten years.
    ///
    /// The timeline is walked as segments of constant UTC offset, split at the zone's transitions.
    /// Within a segment, wall-clock time and real time move together, so the first matching civil
    /// minute is the first run; the rules for gaps and repeated hours apply at the boundaries.
    public func nextRun(after instant: Date, in timeZone: TimeZone) -> Date? {
        let t = instant.timeIntervalSince1970
        let horizon = instant.addingTimeInterval(Double(Self.searchYears) * 366 * 86_400)
        var offset = timeZone.secondsFromGMT(for: instant)
        // First civil minute whose instant is strictly after t: m * 60 - offset > t.
        var lower = Int(((t + Double(offset)) / 60).rounded(.down)) + 1
        if !isWildcardJob, let (transition, before, after) = Self.transition(before: instant, in: timeZone), before > after {
            // `instant` may lie in the second pass of a repeated hour: fixed-time jobs already ran in the first.
            lower = max(lower, Self.ceilMinutes(transition + Double(before)))
        }
        var segmentStart = instant
        while segmentStart < horizon {
            let transition = timeZone.nextDaylightSavingTimeTransition(after: segmentStart)
            let segmentEnd = transition.map { Self.ceilMinutes($0.timeIntervalSince1970 + Double(offset)) }
                ?? Self.ceilMinutes(horizon.timeIntervalSince1970 + Double(offset))
            if let m = nextCivil(from: lower, before: segmentEnd) {
                return Date(timeIntervalSince1970: Double(m * 60 - offset))
            }
            guard let transition else { return nil }
            let T = transition.timeIntervalSince1970
            let newOffset = timeZone.secondsFromGMT(for: transition)
            if newOffset > offset && !isWildcardJob {
                // Spring forward: wall-clock times in [T+offset, T+newOffset) never happen; a fixed-time
                // job due in there runs when the gap ends.
                if nextCivil(from: Self.ceilMinutes(T + Double(offset)), before: Self.ceilMinutes(T + Double(newOffset))) != nil {
                    return transition
                }
            }
            lower = Self.ceilMinutes(T + Double(newOffset))
            if newOffset < offset && !isWildcardJob {
                // Fall back: the repeated wall-clock times already had their (single) run.
                lower = Self.ceilMinutes(T + Double(offset))
            }
            offset = newOffset
            segmentStart = transition
        }
        return nil
    }

    /// The latest offset change at or before `instant` (within two days): (instant, offset before,
    /// offset after). Foundation only looks forward, so start two days back and walk.
    static func transition(before instant: Date, in timeZone: TimeZone) -> (Double, Int, Int)? {
        var cursor = instant.addingTimeInterval(-2 * 86_400)
        var found: Date?
        while let next = timeZone.nextDaylightSavingTimeTransition(after: cursor), next <= instant {
            found = next
            cursor = next
        }
        guard let found else { return nil }
        return (found.timeIntervalSince1970, timeZone.secondsFromGMT(for: found.addingTimeInterval(-1)), timeZone.secondsFromGMT(for: found))
    }

    /// Civil seconds → the first whole civil minute at or after them.
    static func ceilMinutes(_ civilSeconds: Double) -> Int {
        Int((civilSeconds / 60).rounded(.up))
    }
}
