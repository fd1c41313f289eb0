import AsyncGateClient
import Foundation
import JSON
import TestSupport
import Testing

/// The `asyncgate worker` binary, as an operator runs it: SIGKILL and SIGTERM for real. Needs the
/// executable built next to the test bundle (`swift build --build-tests` builds it); set
/// ASYNCGATE_BINARY to point elsewhere.
@Suite(.enabled(if: AsyncGateBinary.path != nil, "the asyncgate executable is not built"))
struct WorkerProcessTests {
    static var binary: String? { AsyncGateBinary.path }
}

enum AsyncGateBinary {
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

extension WorkerProcessTests {
    func spawnWorker(_ fixture: ServerFixture, id: String, extra: [String] = []) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary!)
        process.arguments = ["worker", "--server", "http://127.0.0.1:\(fixture.port)", "--worker-id", id,
                             "--types", "echo,sleep_then_return,http_get", "--concurrency", "1", "--lease-ttl", "10",
                             "--log-level", "warning"] + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func waitForExit(_ process: Process, timeout: Double = 30) -> Bool {
        Support.waitUntil(timeout: timeout) { !process.isRunning }
    }

    @Test func sigkillMidTaskThenAnotherWorkerCompletesWithTheSameAttempt() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        let created = try client.createTask(NewTask(type: "sleep_then_return", payload: ["seconds": 3600, "value": "late"]),
                                            owner: Support.alice)
        let process = try spawnWorker(fixture, id: "doomed")
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(try Support.waitUntil { try client.getTask(created.taskID).status == .running })
        kill(process.processIdentifier, SIGKILL)
        #expect(waitForExit(process))
        #expect(process.terminationReason == .uncaughtSignal)

        try expireLeasesAndSweep(fixture)
        #expect(try client.getTask(created.taskID).status == .queued)

        var config = WorkerConfiguration(workerID: "survivor")
        config.idlePollInterval = 0.05
        let survivor = BackgroundWorker(Worker(client: client, configuration: config, handlers: ["sleep_then_return": ImmediateHandler()]))
        defer { survivor.worker.stop(); _ = survivor.join() }
        #expect(try Support.waitUntil { try client.getTask(created.taskID).status == .succeeded })
        let done = try client.getTask(created.taskID)
        #expect(done.attempt == 0)
        let completions = try fixture.engineFixture.sql("SELECT from_id FROM receipts WHERE receipt_type = 'task.completed'")
        #expect(completions.map { $0.string(0) } == ["survivor"])
    }

    @Test func sigtermFinishesTheTaskInFlightAndExitsZero() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        let created = try client.createTask(NewTask(type: "sleep_then_return", payload: ["seconds": 1, "value": 7]), owner: Support.alice)
        let process = try spawnWorker(fixture, id: "graceful")
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(try Support.waitUntil { try client.getTask(created.taskID).status == .running })
        kill(process.processIdentifier, SIGTERM)
        #expect(waitForExit(process))
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let info = try client.getTask(created.taskID)
        #expect(info.status == .succeeded)
        #expect(info.result?.result["value"] == 7)
    }
}
