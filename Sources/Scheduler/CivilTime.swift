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

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func weekday(_ y: Int, _ m: Int, _ d: Int) -> Int {
        let days = daysFromCivil(y, m, d)  // 1970-01-01 was a Thursday (4)
        return ((days % 7) + 7 + 4) % 7
    }

    /// Days since 1970-01-01 (H. Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
