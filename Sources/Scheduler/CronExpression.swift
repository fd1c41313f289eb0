/// A standard 5-field cron expression: `minute hour day-of-month month day-of-week`.
///
/// Syntax: `*`, numbers, ranges `a-b`, steps `*/n`, `a-b/n`, `a/n`, comma lists, month names
/// `JAN`–`DEC`, weekday names `SUN`–`SAT` (0 and 7 are Sunday), and the macros `@yearly`
/// (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`), `@hourly`.
///
/// Day semantics follow Vixie cron: when both day-of-month and day-of-week are restricted (neither
/// starts with `*`), a day matches if EITHER matches (`0 0 1,15 * MON` = the 1st, the 15th and every
/// Monday); when one of them starts with `*`, both must match.
///
/// Time zones and DST (see `nextRun(after:in:)`) also follow Vixie cron / cronie, distinguishing
/// *wildcard jobs* (minute or hour field starts with `*`) from *fixed-time jobs*:
/// - spring forward (a wall-clock gap): a fixed-time job whose time falls in the gap runs once, at
///   the end of the gap; wildcard jobs simply have no runs for the missing wall-clock times;
/// - fall back (a repeated hour): a fixed-time job runs once, at the first occurrence; wildcard
///   jobs run in both passes, so `*/15 * * * *` keeps firing every 15 minutes of real time.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    let minutes: CronField
    let hours: CronField
    let daysOfMonth: CronField
    let months: CronField
    let daysOfWeek: CronField
    /// The text as given (macros kept).
    public let source: String

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
    static let macros = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    public init(_ text: String) throws(CronParseError) {
        source = text
        var expanded = text.trimmingWhitespace()
        if expanded.hasPrefix("@") {
            guard let macro = Self.macros[expanded.lowercased()] else {
                throw CronParseError(field: "expression", message: "unknown macro \(expanded.debugDescription)")
            }
            expanded = macro
        }
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 5 else {
            throw CronParseError(field: "expression", message: "expected 5 fields (minute hour day-of-month month day-of-week), got \(fields.count)")
        }
        minutes = try CronField.parse(fields[0], name: "minute", range: 0...59)
        hours = try CronField.parse(fields[1], name: "hour", range: 0...23)
        daysOfMonth = try CronField.parse(fields[2], name: "day-of-month", range: 1...31)
        months = try CronField.parse(fields[3], name: "month", range: 1...12, names: Self.monthNames)
        daysOfWeek = try CronField.parse(fields[4], name: "day-of-week", range: 0...6, names: Self.dayNames, isDayOfWeek: true)
        // A day-of-month no allowed month has (e.g. `0 0 30 2 *`) can never fire; say so now rather
        // than silently never running. (With a restricted weekday the OR rule still fires.)
        if daysOfWeek.isStar || daysOfMonth.isStar {
            let longest = months.values.map { $0 == 2 ? 29 : CivilTime.daysInMonth(2001, $0) }.max() ?? 31
            guard let firstDay = daysOfMonth.first, firstDay <= longest else {
                throw CronParseError(field: "day-of-month", message: "no allowed month has day \(daysOfMonth.first ?? 0)")
            }
        }
    }

    /// Wildcard job (minute or hour field starts with `*`): runs follow real time across DST changes.
    public var isWildcardJob: Bool { minutes.isStar || hours.isStar }

    public var description: String { source }

    func dayMatches(_ y: Int, _ m: Int, _ d: Int) -> Bool {
        let dom = daysOfMonth.contains(d)
        let dow = daysOfWeek.contains(CivilTime.weekday(y, m, d))
        if daysOfMonth.isStar || daysOfWeek.isStar { return dom && dow }
        return dom || dow
    }

    /// The first matching civil minute at or after `start` and before `limit` (both in minutes since
    /// the civil epoch), or nil.
    func nextCivil(from start: Int, before limit: Int) -> Int? {
        guard start < limit else { return nil }
        var t = CivilTime(minutes: start)
        let limitTime = CivilTime(minutes: limit)
        while t < limitTime {
            guard months.contains(t.month) else {
                if let m = months.next(atOrAfter: t.month + 1) {
                    t = CivilTime(year: t.year, month: m, day: 1)
                } else {
                    guard let m = months.first else { return nil }
                    t = CivilTime(year: t.year + 1, month: m, day: 1)
                }
                continue
            }
            guard t.day <= CivilTime.daysInMonth(t.year, t.month) else {
                t = t.month == 12 ? CivilTime(year: t.year + 1, month: 1, day: 1) : CivilTime(year: t.year, month: t.month + 1, day: 1)
                continue
            }
            guard dayMatches(t.year, t.month, t.day) else {
                t = CivilTime(year: t.year, month: t.month, day: t.day + 1)
                continue
            }
            guard hours.contains(t.hour) else {
                if let h = hours.next(atOrAfter: t.hour + 1) {
                    t = CivilTime(year: t.year, month: t.month, day: t.day, hour: h)
                } else {
                    t = CivilTime(year: t.year, month: t.month, day: t.day + 1)
                }
                continue
            }
            guard minutes.contains(t.minute) else {
                if let m = minutes.next(atOrAfter: t.minute + 1) {
                    t.minute = m
                } else if t.hour < 23 {
                    t = CivilTime(year: t.year, month: t.month, day: t.day, hour: t.hour + 1)
                } else {
                    t = CivilTime(year: t.year, month: t.month, day: t.day + 1)
                }
                continue
            }
            return t.minutes < limit ? t.minutes : nil
        }
        return nil
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
