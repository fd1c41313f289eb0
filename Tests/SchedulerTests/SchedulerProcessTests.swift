import AsyncGateClient
import Foundation
import JSON
import TestSupport
import Testing

/// `asyncgate scheduler` as an operator runs it (needs the executable next to the test bundle, as
/// `swift build --build-tests` leaves it, or ASYNCGATE_BINARY).
@Suite(.enabled(if: SchedulerBinary.path != nil, "the asyncgate executable is not built"))
struct SchedulerProcessTests {
    @Test func firesSchedulesAndStopsOnSIGTERM() throws {
        let h = try SchedulerHarness()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SchedulerBinary.path!)
        process.arguments = ["scheduler", "--server", "http://127.0.0.1:\(h.fixture.port)",
                             "--database-url", h.fixture.engineFixture.conninfo, "--poll-interval", "0.2", "--log-level", "warning"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let id = try h.control("schedule.create", ["interval_seconds": 1, "task": ["type": "pulse"]])
        #expect(try waitUntil(timeout: 30) { try h.firedRuns(id).count >= 2 })
        #expect(try h.client.getTask(id).status == .succeeded)
        kill(process.processIdentifier, SIGTERM)
        #expect(waitUntil(timeout: 30) { !process.isRunning })
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }
}

enum SchedulerBinary {
    static let path: String? = {
        if let path = ProcessInfo.processInfo.environment["ASYNCGATE_BINARY"], FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("asyncgate").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()
}
