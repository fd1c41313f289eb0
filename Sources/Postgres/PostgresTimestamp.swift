import Foundation

/// Text conversion between `Date` and PostgreSQL timestamps, microsecond-exact.
///
/// Hand-written because every task row carries several timestamps and `ISO8601DateFormatter` /
/// `DateFormatter` are slow, locale-sensitive and drop microseconds. Pure: no I/O, no allocation
/// beyond the result, so it is tested as a fixture table.
///
/// Dates are carried as whole microseconds since the reference date so that a value read from
/// the database and written back is bit-identical (one rounding, in one place).
public enum PostgresTimestamp {
    private static let unixToReferenceSeconds: Int64 = 978_307_200
    private static let microsPerSecond: Int64 = 1_000_000

    // MARK: Formatting

    /// `2026-11-23T02:50:21.123456Z` — ISO-8601 in UTC with exactly six fraction digits, which
    /// PostgreSQL parses as `timestamptz` regardless of the session's DateStyle or TimeZone.
    public static func format(_ date: Date) -> String {
        let reference = date.timeIntervalSinceReferenceDate
        if reference.isNaN { return "epoch" }  // never produced by real code; keep it parseable
        if reference >= 9.0e12 { return "infinity" }
        if reference <= -9.0e12 { return "-infinity" }

        let unixMicros = Int64((reference * 1e6).rounded()) + unixToReferenceSeconds * microsPerSecond
        let (seconds, micros) = floorDivMod(unixMicros, microsPerSecond)
        let (days, secondOfDay) = floorDivMod(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)

        var out: [UInt8] = []
        out.reserveCapacity(32)
        let bc = year <= 0
        appendDigits(&out, bc ? 1 - year : year, width: 4)
        out.append(UInt8(ascii: "-"))
        appendDigits(&out, month, width: 2)
        out.append(UInt8(ascii: "-"))
        appendDigits(&out, day, width: 2)
        out.append(UInt8(ascii: "T"))
        appendDigits(&out, secondOfDay / 3600, width: 2)
        out.append(UInt8(ascii: ":"))
        appendDigits(&out, (secondOfDay / 60) % 60, width: 2)
        out.append(UInt8(ascii: ":"))
        appendDigits(&out, secondOfDay % 60, width: 2)
        out.append(UInt8(ascii: "."))
        appendDigits(&out, micros, width: 6)
        out.append(UInt8(ascii: "Z"))
        if bc { out.append(contentsOf: " BC".utf8) }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Parsing

    /// Parses PostgreSQL's ISO output for `timestamptz` / `timestamp` / `date`, e.g.
    /// `2026-11-23 02:50:21.123456+00`, `2026-11-23 02:50:21+05:30`, `2026-11-23`, `infinity`.
    /// Also accepts a `T` separator and `Z`. No offset means UTC. Returns nil if malformed.
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Date? {
        var scanner = Scanner(bytes: bytes)
        if let special = scanner.special() { return special }

        guard let year = scanner.number(minDigits: 4, maxDigits: 9), scanner.take("-"),
              let month = scanner.number(minDigits: 2, maxDigits: 2), scanner.take("-"),
              let day = scanner.number(minDigits: 2, maxDigits: 2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }

        var secondOfDay: Int64 = 0
        var micros: Int64 = 0
        if scanner.take(" ") || scanner.take("T") {
            guard let hour = scanner.number(minDigits: 2, maxDigits: 2), scanner.take(":"),
                  let minute = scanner.number(minDigits: 2, maxDigits: 2), scanner.take(":"),
                  let second = scanner.number(minDigits: 2, maxDigits: 2),
                  hour <= 24, minute < 60, second < 61
            else { return nil }
            secondOfDay = hour * 3600 + minute * 60 + second
            if scanner.take(".") {
                guard let fraction = scanner.fractionMicros() else { return nil }
                micros = fraction
            }
            guard let offset = scanner.offsetSeconds() else { return nil }
            secondOfDay -= offset
        }
        var civilYear = year
        if scanner.take(" BC") { civilYear = 1 - year }
        guard scanner.atEnd else { return nil }

        let seconds = days(fromCivil: civilYear, month: month, day: day) * 86_400 + secondOfDay
        let referenceMicros = (seconds - unixToReferenceSeconds) * microsPerSecond + micros
        return Date(timeIntervalSinceReferenceDate: Double(referenceMicros) / 1e6)
    }

    // MARK: Calendar arithmetic (proleptic Gregorian, H. Hinnant's algorithms)

    static func days(fromCivil year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func floorDivMod(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        var q = a / b
        var r = a % b
        if r < 0 { q -= 1; r += b }
        return (q, r)
    }

    private static func appendDigits(_ out: inout [UInt8], _ value: Int64, width: Int) {
        var digits: [UInt8] = []
        var v = value
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        } while v > 0
        if digits.count < width { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits.count)) }
        out.append(contentsOf: digits.reversed())
    }
}

/// Cursor over the timestamp bytes; every method consumes only on success.
private struct Scanner {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var atEnd: Bool { index == bytes.count }

    mutating func take(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        let start = literal.utf8Start
        for i in 0..<count where bytes[index + i] != start[i] { return false }
        index += count
        return true
    }

    mutating func special() -> Date? {
        if take("infinity") && atEnd { return .distantFuture }
        if take("-infinity") && atEnd { return .distantPast }
        index = 0
        return nil
    }

    mutating func number(minDigits: Int, maxDigits: Int) -> Int64? {
        var value: Int64 = 0
        var count = 0
        while index < bytes.count, count < maxDigits, let digit = Self.digit(bytes[index]) {
            value = value * 10 + digit
            index += 1
            count += 1
        }
        guard count >= minDigits else { return nil }
        return value
    }

    /// Up to nine fraction digits, rounded half-up to microseconds.
    mutating func fractionMicros() -> Int64? {
        var micros: Int64 = 0
        var count = 0
        var roundUp = false
        while index < bytes.count, let digit = Self.digit(bytes[index]) {
            if count < 6 {
                micros = micros * 10 + digit
            } else if count == 6 {
                roundUp = digit >= 5
            }
            index += 1
            count += 1
        }
        guard count >= 1, count <= 9 else { return nil }
        for _ in count..<max(count, 6) { micros *= 10 }
        return roundUp ? micros + 1 : micros
    }

    /// `+HH`, `+HH:MM`, `+HH:MM:SS`, `-…`, `Z`, or nothing (UTC). Returns seconds east of UTC.
    mutating func offsetSeconds() -> Int64? {
        if take("Z") { return 0 }
        let sign: Int64
        if take("+") {
            sign = 1
        } else if take("-") {
            sign = -1
        } else {
            return 0
        }
        guard let hours = number(minDigits: 2, maxDigits: 2) else { return nil }
        var seconds = hours * 3600
        if take(":") {
            guard let minutes = number(minDigits: 2, maxDigits: 2) else { return nil }
            seconds += minutes * 60
            if take(":") {
                guard let secs = number(minDigits: 2, maxDigits: 2) else { return nil }
                seconds += secs
            }
        }
        return sign * seconds
    }

    private static func digit(_ byte: UInt8) -> Int64? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int64(byte - UInt8(ascii: "0")) : nil
    }
}
