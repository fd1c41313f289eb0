import Foundation
import Logging
import Postgres
import Storage

#if canImport(Glibc)
import Glibc
#endif

/// The PostgreSQL server that database-backed tests run against.
///
/// One throwaway cluster per test process, created on first use in a fresh directory under /tmp
/// and stopped and deleted when the process exits. Set `TEST_DATABASE_URL` to use an existing
/// server instead (each test still gets its own database from `TestCluster.createDatabase`).
public enum TestPostgres {
    /// Quiet by default: tests should not drown their output in connection chatter.
    public static let logger: Logger = {
        var logger = Logger(label: "asyncgate.test-postgres")
        logger.logLevel = .warning
        return logger
    }()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var shared: Result<TestCluster, EmbeddedPostgresError>?
    nonisolated(unsafe) private static var embedded: EmbeddedPostgres?
    nonisolated(unsafe) private static var temporaryRoot: String?

    /// The cluster for this process. Thread-safe: concurrent first calls start one cluster (the
    /// others wait). A failed start is remembered, so every test reports it without retrying.
    public static func cluster() throws -> TestCluster {
        lock.lock()
        defer { lock.unlock() }
        if let shared { return try shared.get() }
        let result: Result<TestCluster, EmbeddedPostgresError>
        if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty {
            result = .success(TestCluster(adminConninfo: url, logger: logger))
        } else {
            do {
                result = .success(try startThrowawayCluster())
            } catch let error as EmbeddedPostgresError {
                result = .failure(error)
            } catch {
                result = .failure(EmbeddedPostgresError("\(error)"))
            }
        }
        shared = result
        return try result.get()
    }

    private static func startThrowawayCluster() throws -> TestCluster {
        TestClusterReaper.removeLeftoversOfDeadProcesses()
        let root = try TestClusterReaper.makeRoot()
        temporaryRoot = root
        atexit { TestPostgres.shutdown() }
        // Durability is irrelevant for a cluster deleted at exit; skipping fsync makes it fast.
        let postgres = EmbeddedPostgres(
            dataDirectory: root + "/data",
            logger: logger,
            databaseName: "postgres",
            settings: ["fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"]
        )
        embedded = postgres
        let conninfo = try postgres.start()
        return TestCluster(adminConninfo: conninfo, logger: logger)
    }

    /// Runs at process exit.
    private static func shutdown() {
        lock.lock()
        defer { lock.unlock() }
        embedded?.stop()
        embedded = nil
        if let temporaryRoot {
            try? FileManager.default.removeItem(atPath: temporaryRoot)
        }
        temporaryRoot = nil
    }
}

/// Cleans up after test processes that crashed before their atexit handler ran.
enum TestClusterReaper {
    static let prefix = "asyncgate-test-"

    /// A fresh directory, searchable by the unprivileged user PostgreSQL runs as, recording our pid.
    static func makeRoot() throws -> String {
        var template = Array("/tmp/\(prefix)XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else {
            throw EmbeddedPostgresError("cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        let root = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(root, 0o755)
        try? "\(getpid())\n".write(toFile: root + "/owner.pid", atomically: true, encoding: .utf8)
        return root
    }

    static func removeLeftoversOfDeadProcesses() {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        for entry in entries where entry.hasPrefix(prefix) {
            let root = "/tmp/" + entry
            guard let owner = pid(in: root + "/owner.pid"), !isAlive(owner) else { continue }
            if let postmaster = pid(in: root + "/data/postmaster.pid"), isAlive(postmaster) {
                kill(postmaster, SIGQUIT)  // immediate shutdown; the data is garbage anyway
                for _ in 0..<50 where isAlive(postmaster) { usleep(100_000) }
            }
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    private static func pid(in file: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.flatMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
    }

    private static func isAlive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
