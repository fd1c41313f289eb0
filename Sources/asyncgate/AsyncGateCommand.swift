import ArgumentParser
import Foundation
import Logging

@main
struct AsyncGateCommand: ParsableCommand {
    static let version = "0.1.0"
    static let configuration = CommandConfiguration(
        commandName: "asyncgate",
        abstract: "AsyncGate: a durable task substrate for AI agents (tasks, leases, receipts, obligations).",
        version: version,
        subcommands: [Serve.self, Migrate.self, Keys.self, WorkerCommand.self, SchedulerCommand.self],
        defaultSubcommand: Serve.self)
}

/// Reads configuration or exits with a message naming the bad variable.
func loadConfiguration() -> Configuration {
    do {
        return try Configuration(environment: ProcessInfo.processInfo.environment)
    } catch {
        FileHandle.standardError.write(Data("asyncgate: invalid configuration: \(error)\n".utf8))
        Foundation.exit(2)
    }
}

func makeLogger(_ label: String, level: Logger.Level) -> Logger {
    var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = level
    return logger
}
