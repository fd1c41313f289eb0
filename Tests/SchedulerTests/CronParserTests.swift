@testable import Scheduler
import Testing

@Suite struct CronParserTests {
    struct Valid: CustomTestStringConvertible, Sendable {
        var expression: String
        var minutes: [Int]? = nil
        var hours: [Int]? = nil
        var daysOfMonth: [Int]? = nil
        var months: [Int]? = nil
        var daysOfWeek: [Int]? = nil
        var wildcard: Bool? = nil
        var testDescription: String { expression }
    }

    static let valid: [Valid] = [
        Valid(expression: "* * * * *", minutes: Array(0...59), hours: Array(0...23), daysOfMonth: Array(1...31), months: Array(1...12),
              daysOfWeek: Array(0...6), wildcard: true),
        Valid(expression: "0 0 1 1 *", minutes: [0], hours: [0], daysOfMonth: [1], months: [1], wildcard: false),
        Valid(expression: "*/15 * * * *", minutes: [0, 15, 30, 45], wildcard: true),
        Valid(expression: "5/20 * * * *", minutes: [5, 25, 45]),
        Valid(expression: "0 9-17/2 * * *", hours: [9, 11, 13, 15, 17], wildcard: false),
        Valid(expression: "0,30 8,12-14 * * *", minutes: [0, 30], hours: [8, 12, 13, 14]),
        Valid(expression: "0 0 * JAN,mar-May *", months: [1, 3, 4, 5]),
        Valid(expression: "0 0 * * MON-FRI", daysOfWeek: [1, 2, 3, 4, 5]),
        Valid(expression: "0 0 * * 7", daysOfWeek: [0]),
        Valid(expression: "0 0 * * 5-7", daysOfWeek: [0, 5, 6]),
        Valid(expression: "0 0 * * sun,sat", daysOfWeek: [0, 6]),
        Valid(expression: "0 12 * * */2", daysOfWeek: [0, 2, 4, 6]),
        Valid(expression: "0 0 L * *".replacingOccurrences(of: "L", with: "31"), daysOfMonth: [31]),
        Valid(expression: "  1  2\t3 4 5  ", minutes: [1], hours: [2], daysOfMonth: [3], months: [4], daysOfWeek: [5]),
        Valid(expression: "@hourly", minutes: [0], hours: Array(0...23), wildcard: true),
        Valid(expression: "@daily", minutes: [0], hours: [0], wildcard: false),
        Valid(expression: "@weekly", daysOfWeek: [0]),
        Valid(expression: "@monthly", daysOfMonth: [1]),
        Valid(expression: "@YEARLY", daysOfMonth: [1], months: [1]),
        Valid(expression: "0 0 29 2 *", daysOfMonth: [29], months: [2]),
    ]

    @Test(arguments: valid)
    func parses(_ v: Valid) throws {
        let cron = try CronExpression(v.expression)
        if let m = v.minutes { #expect(cron.minutes.values == m) }
        if let h = v.hours { #expect(cron.hours.values == h) }
        if let d = v.daysOfMonth { #expect(cron.daysOfMonth.values == d) }
        if let m = v.months { #expect(cron.months.values == m) }
        if let d = v.daysOfWeek { #expect(cron.daysOfWeek.values == d) }
        if let w = v.wildcard { #expect(cron.isWildcardJob == w) }
    }

    static let invalid: [(String, String)] = [
        ("", "expression"),
        ("* * * *", "expression"),
        ("* * * * * *", "expression"),
        ("60 * * * *", "minute"),
        ("* 24 * * *", "hour"),
        ("* * 0 * *", "day-of-month"),
        ("* * 32 * *", "day-of-month"),
        ("* * * 13 *", "month"),
        ("* * * * 8", "day-of-week"),
        ("*/0 * * * *", "minute"),
        ("5-1 * * * *", "minute"),
        ("1,,2 * * * *", "minute"),
        ("a * * * *", "minute"),
        ("* * * FOO *", "month"),
        ("* * * * MON-XYZ", "day-of-week"),
        ("1/2/3 * * * *", "minute"),
        ("@reboot", "expression"),
        ("0 0 30 2 *", "day-of-month"),
        ("0 0 31 4,6 *", "day-of-month"),
    ]

    @Test(arguments: invalid)
    func rejects(_ expression: String, _ field: String) {
        do {
            _ = try CronExpression(expression)
            Issue.record("accepted \(expression.debugDescription)")
        } catch {
            #expect(error.field == field, "\(expression.debugDescription): \(error)")
        }
    }

    @Test func dayOfMonthAndDayOfWeekCombine() throws {
        // both restricted: either matches (Vixie cron)
        let either = try CronExpression("0 0 13 * FRI")
        #expect(either.dayMatches(2026, 11, 13))  // Friday the 13th
        #expect(either.dayMatches(2026, 11, 20))  // a Friday
        #expect(either.dayMatches(2026, 10, 13))  // a Tuesday the 13th
        #expect(!either.dayMatches(2026, 11, 19))
        // day-of-month starts with *: both must match
        let both = try CronExpression("0 0 */2 * FRI")
        #expect(both.dayMatches(2026, 11, 13))  // odd day and Friday
        #expect(!both.dayMatches(2026, 11, 20))  // Friday, even day
        #expect(!both.dayMatches(2026, 11, 15))  // odd day, Sunday
    }
}
