import AsyncGateClient
/// Wall-clock time without a time zone ("civil" time: a calendar date and a time of day), counted
/// as minutes since 1970-01-01T00:00 civil. Pure proleptic-Gregorian arithmetic, so the cron
/// search never touches a Calendar (slow, and locale-dependent) — only the UTC offset at given
/// instants comes from the time zone database.
struct CivilTime: Equatable, Comparable, CustomStringConvertible {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int

    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
    }

    init(minutes: Int) {
        let days = minutes >= 0 ? minutes / 1440 : (minutes - 1439) / 1440
        let minuteOfDay = minutes - days * 1440
        let (y, m, d) = CivilTime.civilFromDays(days)
        self.init(year: y, month: m, day: d, hour: minuteOfDay / 60, minute: minuteOfDay % 60)
    }

    /// Minutes since 1970-01-01T00:00 (civil).
    var minutes: Int { CivilTime.daysFromCivil(year, month, day) * 1440 + hour * 60 + minute }

    /// 0 = Sunday ... 6 = Saturday.
    var weekday: Int { CivilTime.weekday(year, month, day) }

    static func < (a: CivilTime, b: CivilTime) -> Bool { a.minutes < b.minutes }

    var description: String {
        func pad(_ v: Int, _ w: Int = 2) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return "\(pad(year, 4))-\(pad(month))-\(pad(day))T\(pad(hour)):\(pad(minute))"
    }

    // Calendar arithmetic is the client library's (RFC3339), shared rather than repeated.
    static func isLeap(_ y: Int) -> Bool { RFC3339.isLeap(y) }
    static func daysInMonth(_ y: Int, _ m: Int) -> Int { RFC3339.daysInMonth(y, m) }

    static func weekday(_ y: Int, _ m: Int, _ d: Int) -> Int {
        let days = daysFromCivil(y, m, d)  // 1970-01-01 was a Thursday (4)
        return ((days % 7) + 7 + 4) % 7
    }

    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int { RFC3339.daysFromCivil(year, month, day) }
    static func civilFromDays(_ days: Int) -> (Int, Int, Int) { RFC3339.civilFromDays(days) }
}
