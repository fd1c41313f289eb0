import ArgumentParser
import AsyncGateClient
import Dispatch
import Foundation
import Logging

/// `asyncgate worker`: the reference TASKEE (SPEC §9).
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run the reference worker: claims echo, sleep_then_return and http_get tasks from an AsyncGate server.",
        discussion: """
            SIGTERM or SIGINT: stop claiming, let in-flight tasks finish (up to --shutdown-grace seconds, after \
            which their leases are left to expire and the server requeues them), exit 0. A second signal exits at once.
            The API key may also come from ASYNCGATE_API_KEY (preferable: arguments show up in ps).
            """)

    @Option(help: "Server URL (http:// only).")
    var server = "http://127.0.0.1:8080"

    @Option(name: .customLong("worker-id"), help: "Worker id (the lease holder).")
    var workerID: String

    @Option(help: "Comma-separated task types to handle: echo, sleep_then_return, http_get.")
    var types = "echo,sleep_then_return,http_get"

    @Option(help: "Tasks handled at once.")
    var concurrency = 4

    @Option(name: .customLong("lease-ttl"), help: "Lease TTL in seconds (renewed at half of it while a task runs).")
    var leaseTTL = 60

    @Option(name: .customLong("api-key"), help: "API key (default: $ASYNCGATE_API_KEY).")
    var apiKey: String?

    @Option(name: .customLong("tenant-id"), help: "X-Tenant-ID to send (insecure development servers only).")
    var tenantID: String?

    @Option(help: "Comma-separated capabilities this worker offers.")
    var capabilities: String?

    @Option(name: .customLong("claim-wait"), help: "Long-poll seconds per claim (servers that support wait_seconds).")
    var claimWait: Double?

    @Option(name: .customLong("shutdown-grace"), help: "Seconds in-flight tasks get to finish after SIGTERM.")
    var shutdownGrace = 30.0

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be 1...256") }
        guard (10...1800).contains(leaseTTL) else { throw ValidationError("--lease-ttl must be 10...1800") }
        guard !workerID.isEmpty, workerID.utf8.count <= 256 else { throw ValidationError("--worker-id must be 1...256 bytes") }
        if let claimWait, !(0...30).contains(claimWait) { throw ValidationError("--claim-wait must be 0...30") }
        guard shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace must be >= 0") }
        if let tenantID, UUID(uuidString: tenantID) == nil { throw ValidationError("--tenant-id must be a UUID") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level is not a log level") }
    }

    func run() throws {
        let logger = makeLogger("asyncgate.worker", level: Logger.Level(rawValue: logLevel) ?? .info)
        let typeList = types.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let handlers: [String: any TaskHandler]
        do {
            handlers = try ReferenceHandlers.select(typeList)
        } catch {
            throw ValidationError("--types: \(error)")
        }
        guard !handlers.isEmpty else { throw ValidationError("--types names no task type") }

        var clientConfig = try ClientConfiguration(url: server, apiKey: apiKey ?? ProcessInfo.processInfo.environment["ASYNCGATE_API_KEY"],
                                                   tenantID: tenantID.flatMap(UUID.init(uuidString:)))
        clientConfig.maxIdleConnections = max(8, concurrency * 2)
        let client = AsyncGateClient(configuration: clientConfig)

        var config = WorkerConfiguration(workerID: workerID)
        config.instanceID = "\(ProcessInfo.processInfo.hostName):\(getpid())"
        config.concurrency = concurrency
        config.leaseTTLSeconds = leaseTTL
        config.claimWaitSeconds = claimWait
        config.shutdownGrace = shutdownGrace
        config.capabilities = capabilities?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }

        let worker = Worker(client: client, configuration: config, handlers: handlers, log: Self.bridge(logger))
        let signals = installStopSignals(logger: logger) { worker.stop() }
        worker.run()
        signals.forEach { $0.cancel() }
        let stats = worker.stats
        logger.info("worker exiting", metadata: ["worker.completed": "\(stats.completed)", "worker.failed": "\(stats.failed)",
                                                 "worker.abandoned": "\(stats.abandoned)"])
    }

    /// Worker log lines → swift-log.
    static func bridge(_ logger: Logger) -> WorkerLog {
        { level, message, metadata in
            let meta = metadata.mapValues { Logger.MetadataValue.string($0) }
            switch level {
            case .debug: logger.debug("\(message)", metadata: meta)
            case .info: logger.info("\(message)", metadata: meta)
            case .warning: logger.warning("\(message)", metadata: meta)
            case .error: logger.error("\(message)", metadata: meta)
            }
        }
    }
}

/// SIGTERM/SIGINT: the first one calls `stop` (graceful), a second one exits at once.
func installStopSignals(logger: Logger, stop: @escaping @Sendable () -> Void) -> [DispatchSourceSignal] {
    let received = SignalCounter()
    return [SIGTERM, SIGINT].map { sig -> DispatchSourceSignal in
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler {
            if received.increment() > 1 {
                logger.warning("second signal: exiting now", metadata: ["signal": "\(sig)"])
                Foundation.exit(1)
            }
            logger.info("stopping gracefully (signal again to exit now)", metadata: ["signal": "\(sig)"])
            stop()
        }
        source.resume()
        return source
    }
}

final class SignalCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
}
