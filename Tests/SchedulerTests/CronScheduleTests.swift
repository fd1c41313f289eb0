import AsyncGateClient
import Foundation
@testable import Scheduler
import Testing

/// Next-run tables: each case lists the expected run times (UTC) after a start instant.
@Suite struct CronScheduleTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var expression: String
        var zone: String
        var after: String
        var expected: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "every minute", expression: "* * * * *", zone: "UTC", after: "2026-01-01T00:00:30Z",
             expected: ["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"]),
        Case(name: "strictly after an exact match", expression: "*/15 * * * *", zone: "UTC", after: "2026-01-01T00:15:00Z",
             expected: ["2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z"]),
        Case(name: "month and year rollover", expression: "0 0 1 * *", zone: "UTC", after: "2026-12-15T00:00:00Z",
             expected: ["2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"]),
        Case(name: "31st skips short months", expression: "0 12 31 * *", zone: "UTC", after: "2026-01-31T12:00:00Z",
             expected: ["2026-03-31T12:00:00Z", "2026-05-31T12:00:00Z"]),
        Case(name: "Feb 29 waits for a leap year", expression: "0 0 29 2 *", zone: "UTC", after: "2025-01-01T00:00:00Z",
             expected: ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"]),
        Case(name: "weekdays 9-17 every 2h", expression: "0 9-17/2 * * MON-FRI", zone: "UTC", after: "2026-11-20T16:00:00Z",
             expected: ["2026-11-20T17:00:00Z", "2026-11-23T09:00:00Z"]),
        Case(name: "dom OR dow", expression: "0 0 1 * MON", zone: "UTC", after: "2026-11-24T00:00:00Z",
             expected: ["2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z", "2026-12-07T00:00:00Z"]),
        Case(name: "Sunday as 7", expression: "30 6 * * 7", zone: "UTC", after: "2026-11-23T00:00:00Z",
             expected: ["2026-11-29T06:30:00Z"]),
        Case(name: "fixed offset zone", expression: "0 9 * * *", zone: "Asia/Kolkata", after: "2026-01-01T00:00:00Z",
             expected: ["2026-01-01T03:30:00Z", "2026-01-02T03:30:00Z"]),
        Case(name: "local midnight in New York", expression: "@daily", zone: "America/New_York", after: "2026-01-01T00:00:00Z",
             expected: ["2026-01-01T05:00:00Z", "2026-01-02T05:00:00Z"]),

        // Spring forward, New York 2024-03-10: 02:00 EST → 03:00 EDT (07:00Z).
        Case(name: "DST gap: fixed job runs when the gap ends", expression: "30 2 * * *", zone: "America/New_York",
             after: "2024-03-09T12:00:00Z", expected: ["2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z"]),
        Case(name: "DST gap: wildcard job skips missing times", expression: "*/30 * * * *", zone: "America/New_York",
             after: "2024-03-10T06:00:00Z", expected: ["2024-03-10T06:30:00Z", "2024-03-10T07:00:00Z", "2024-03-10T07:30:00Z"]),
        Case(name: "DST gap: hourly keeps real hours", expression: "0 * * * *", zone: "America/New_York",
             after: "2024-03-10T05:30:00Z", expected: ["2024-03-10T06:00:00Z", "2024-03-10T07:00:00Z", "2024-03-10T08:00:00Z"]),
        Case(name: "DST gap in Berlin", expression: "30 2 * * *", zone: "Europe/Berlin", after: "2024-03-30T12:00:00Z",
             expected: ["2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"]),

        // Fall back, New York 2024-11-03: 02:00 EDT → 01:00 EST (06:00Z); 01:00-01:59 happens twice.
        Case(name: "DST overlap: fixed job runs once, first pass", expression: "30 1 * * *", zone: "America/New_York",
             after: "2024-11-02T12:00:00Z", expected: ["2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"]),
        Case(name: "DST overlap: started in the second pass", expression: "45 1 * * *", zone: "America/New_York",
             after: "2024-11-03T06:20:00Z", expected: ["2024-11-04T06:45:00Z"]),
        Case(name: "DST overlap: wildcard job runs in both passes", expression: "*/30 * * * *", zone: "America/New_York",
             after: "2024-11-03T05:00:00Z",
             expected: ["2024-11-03T05:30:00Z", "2024-11-03T06:00:00Z", "2024-11-03T06:30:00Z", "2024-11-03T07:00:00Z"]),
        Case(name: "DST overlap: hourly has no gap", expression: "0 * * * *", zone: "America/New_York",
             after: "2024-11-03T04:30:00Z",
             expected: ["2024-11-03T05:00:00Z", "2024-11-03T06:00:00Z", "2024-11-03T07:00:00Z"]),
        Case(name: "DST overlap in Berlin", expression: "15 2 * * *", zone: "Europe/Berlin", after: "2024-10-26T12:00:00Z",
             expected: ["2024-10-27T00:15:00Z", "2024-10-28T01:15:00Z"]),
        // Lord Howe Island shifts by 30 minutes (02:00 → 02:30 on 2024-10-06).
        Case(name: "half-hour DST gap", expression: "15 2 * * *", zone: "Australia/Lord_Howe", after: "2024-10-05T00:00:00Z",
             expected: ["2024-10-05T15:30:00Z", "2024-10-06T15:15:00Z"]),
    ]

    @Test(arguments: cases)
    func nextRuns(_ c: Case) throws {
        let cron = try CronExpression(c.expression)
        let zone = try #require(TimeZone(identifier: c.zone))
        var cursor = try #require(RFC3339.parse(c.after))
        for expected in c.expected {
            let next = try #require(cron.nextRun(after: cursor, in: zone), "no run after \(RFC3339.format(cursor))")
            #expect(RFC3339.format(next) == expected, "after \(RFC3339.format(cursor))")
            cursor = next
        }
    }

    @Test func impossibleDayStillFiresOnTheWeekday() throws {
        // 31 April never exists, but with a restricted weekday the OR rule fires on April Mondays.
        let cron = try CronExpression("0 0 31 4 MON")
        let start = try #require(RFC3339.parse("2026-01-01T00:00:00Z"))
        let next = try #require(cron.nextRun(after: start, in: TimeZone(identifier: "UTC")!))
        #expect(RFC3339.format(next) == "2026-04-06T00:00:00Z")
    }

    @Test func runsAreStrictlyIncreasingThroughAYearOfDSTChanges() throws {
        for (expression, zone) in [("*/20 * * * *", "America/New_York"), ("30 2 * * *", "Europe/Berlin"), ("0 1 * * *", "America/New_York")] {
            let cron = try CronExpression(expression)
            let tz = try #require(TimeZone(identifier: zone))
            var cursor = try #require(RFC3339.parse("2023-12-31T23:59:00Z"))
            let end = try #require(RFC3339.parse("2025-01-01T00:00:00Z"))
            var count = 0
            while let next = cron.nextRun(after: cursor, in: tz), next < end {
                #expect(next > cursor)
                cursor = next
                count += 1
            }
            if expression.hasPrefix("*/20") { #expect(count == 366 * 72) }  // real-time cadence: every 20 minutes, all year
            else { #expect(count == 366) }  // fixed time: exactly once a day, DST days included
        }
    }
}
