import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Why an embedded cluster could not be started.
public struct EmbeddedPostgresError: Error, CustomStringConvertible, Sendable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "EmbeddedPostgres: \(message)" }
}

/// A private PostgreSQL cluster in a data directory, used when no DATABASE_URL is configured and by
/// the test harness.
///
/// It listens on a UNIX socket only (never TCP), so two clusters never fight over a port. PostgreSQL
/// refuses to run as root, so when we are root every PostgreSQL process runs as the `postgres` OS
/// user (or `nobody`) through `runuser`, and the data directory is owned by that user.
///
/// Deliberately uses only the PostgreSQL command-line tools (initdb, pg_ctl, psql), not libpq.
public final class EmbeddedPostgres: @unchecked Sendable {
    // @unchecked: mutable state is guarded by `lock`.
    public let dataDirectory: String
    public let databaseName: String
    public let port: Int
    private let logger: Logger
    private let settings: [String: String]
    private let lock = NSLock()
    private var conninfo: String?
    private var privateSocketDirectory: String?

    /// - Parameter settings: postgresql.conf overrides applied on every start (e.g. the test
    ///   harness turns `fsync` off). `fsync = off` also skips initdb's sync.
    public init(
        dataDirectory: String,
        logger: Logger,
        databaseName: String = "asyncgate",
        port: Int = 5432,
        settings: [String: String] = [:]
    ) {
        self.dataDirectory = Self.absolutePath(dataDirectory)
        self.logger = logger
        self.databaseName = databaseName
        self.port = port
        self.settings = settings
    }

    /// Creates the cluster if missing, starts it (or adopts a postmaster left running on this data
    /// directory by a crashed process), creates the database if missing, and returns its conninfo.
    public func start() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let conninfo { return conninfo }

        guard let bin = Self.findBinDirectory() else {
            throw EmbeddedPostgresError(
                "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in /usr/lib/postgresql/*/bin or PATH; "
                    + "install them with `apt-get install postgresql`"
            )
        }
        let runner = try ToolRunner(logger: logger)
        try prepareDataDirectory(runner)
        if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            try initialize(bin: bin, runner: runner)
        }

        let socketDirectory: String
        let activePort: Int
        if let running = try runningPostmaster() {
            // A crashed AsyncGate leaves pg_ctl's daemon running; two postmasters must never share
            // a data directory, so use it as it is.
            socketDirectory = running.socketDirectory
            activePort = running.port
            adopted = true
            logger.info("adopting PostgreSQL already running on data directory", metadata: [
                "postgres.pid": "\(running.pid)", "postgres.data_dir": "\(dataDirectory)",
            ])
        } else {
            socketDirectory = try chooseSocketDirectory(runner)
            activePort = port
            try writeSettings(socketDirectory: socketDirectory, runner: runner)
            removeStaleLockFiles(socketDirectory: socketDirectory)
            try startServer(bin: bin, runner: runner)
        }

        try createDatabaseIfMissing(bin: bin, runner: runner, socketDirectory: socketDirectory, port: activePort)
        let conninfo = [
            "host=\(conninfoValue(socketDirectory))", "port=\(activePort)", "user=postgres",
            "dbname=\(conninfoValue(databaseName))",
        ].joined(separator: " ")
        self.conninfo = conninfo
        logger.info("embedded PostgreSQL ready", metadata: ["postgres.data_dir": "\(dataDirectory)"])
        return conninfo
    }

    /// True when start() found the cluster already running (a live server's, or a crashed one's) and
    /// used it instead of starting one. Short-lived tools (`asyncgate keys`) then leave it running.
    public private(set) var adopted = false

    /// Stops the cluster (`pg_ctl stop -m fast`). Idempotent.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard conninfo != nil else { return }
        conninfo = nil
        if let bin = Self.findBinDirectory(), let runner = try? ToolRunner(logger: logger) {
            let result = try? runner.run(bin + "/pg_ctl", ["-D", dataDirectory, "stop", "-m", "fast", "-w", "-t", "60", "-s"])
            if result?.status != 0 {
                logger.warning("pg_ctl stop failed", metadata: ["output": "\(result?.output ?? "not run")"])
            }
        }
        if let privateSocketDirectory {
            try? FileManager.default.removeItem(atPath: privateSocketDirectory)
            self.privateSocketDirectory = nil
        }
        logger.info("embedded PostgreSQL stopped", metadata: ["postgres.data_dir": "\(dataDirectory)"])
    }

    /// The newest `/usr/lib/postgresql/<version>/bin` containing initdb, else the PATH entry that has it.
    public static func findBinDirectory() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let newestFirst = versions.sorted { (Double($0) ?? 0) > (Double($1) ?? 0) }
        for version in newestFirst where isExecutable("\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where isExecutable("\(directory)/initdb") {
            return String(directory)
        }
        return nil
    }

    // MARK: Cluster creation

    private func prepareDataDirectory(_ runner: ToolRunner) throws {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if !fileManager.fileExists(atPath: dataDirectory, isDirectory: &isDirectory) {
            do {
                try fileManager.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            } catch {
                throw EmbeddedPostgresError("cannot create data directory \(dataDirectory): \(error)")
            }
        } else if !isDirectory.boolValue {
            throw EmbeddedPostgresError("data directory \(dataDirectory) exists and is not a directory")
        }
        // PostgreSQL refuses a data directory readable by others.
        chmod(dataDirectory, 0o700)
        guard let account = runner.account else { return }
        if let blocked = account.firstUntraversableAncestor(of: dataDirectory) {
            throw EmbeddedPostgresError(
                "PostgreSQL runs as OS user '\(account.name)', which cannot enter \(blocked); "
                    + "choose a data directory outside it or make it searchable (chmod o+x)"
            )
        }
        try account.chownRecursivelyIfNeeded(dataDirectory)
    }

    private func initialize(bin: String, runner: ToolRunner) throws {
        logger.info("creating PostgreSQL cluster", metadata: ["postgres.data_dir": "\(dataDirectory)"])
        var arguments = ["-D", dataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"]
        if settings["fsync"] == "off" { arguments.append("--no-sync") }
        let result = try runner.run(bin + "/initdb", arguments)
        guard result.status == 0 else {
            throw EmbeddedPostgresError("initdb failed (exit \(result.status)): \(result.output)")
        }
    }

    // MARK: Configuration

    /// UNIX socket paths are limited to ~107 bytes; fall back to a private directory under /tmp.
    private func chooseSocketDirectory(_ runner: ToolRunner) throws -> String {
        if (dataDirectory + "/.s.PGSQL.\(port).lock").utf8.count < 100 { return dataDirectory }
        if let privateSocketDirectory { return privateSocketDirectory }
        var template = Array("/tmp/asyncgate-pg-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw EmbeddedPostgresError("cannot create a socket directory under /tmp: \(String(cString: strerror(errno)))")
        }
        let directory = String(cString: created)
        try runner.account?.chownRecursivelyIfNeeded(directory)
        privateSocketDirectory = directory
        return directory
    }

    private var effectiveSettings: [String: String] {
        let defaults: [String: String] = [
            "listen_addresses": "''",
            "max_connections": "250",
            "shared_buffers": "'128MB'",
            "work_mem": "'8MB'",
            "maintenance_work_mem": "'64MB'",
            "effective_cache_size": "'1GB'",
            "max_wal_size": "'1GB'",
            "random_page_cost": "1.1",
            // JIT compilation costs more than it saves on short OLTP queries.
            "jit": "off",
            // A queue churns: look for tables to vacuum every 10 s, not every minute (the
            // per-table thresholds and their measurement are in migrations/0006).
            "autovacuum_naptime": "'10s'",
            "timezone": "'UTC'",
            "log_timezone": "'UTC'",
            "logging_collector": "off",
        ]
        return defaults.merging(settings) { _, override in override }
    }

    /// Rewritten on every start (the socket directory can change); postgresql.conf includes it last,
    /// so these values win over initdb's defaults.
    private func writeSettings(socketDirectory: String, runner: ToolRunner) throws {
        var lines = ["# Written by AsyncGate on every start; put your own overrides in postgresql.auto.conf."]
        var all = effectiveSettings
        all["unix_socket_directories"] = confString(socketDirectory)
        all["port"] = String(port)
        for key in all.keys.sorted() { lines.append("\(key) = \(all[key]!)") }
        let file = dataDirectory + "/asyncgate.conf"
        do {
            try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let mainConf = dataDirectory + "/postgresql.conf"
            let include = "include_if_exists = 'asyncgate.conf'"
            let current = try String(contentsOfFile: mainConf, encoding: .utf8)
            if !current.contains(include) {
                try (current + "\n" + include + "\n").write(toFile: mainConf, atomically: true, encoding: .utf8)
            }
            try runner.account?.chownRecursivelyIfNeeded(file, force: true)
            try runner.account?.chownRecursivelyIfNeeded(mainConf, force: true)
        } catch let error as EmbeddedPostgresError {
            throw error
        } catch {
            throw EmbeddedPostgresError("cannot write \(file): \(error)")
        }
    }

    // MARK: Running

    private struct RunningPostmaster {
        var pid: Int32
        var port: Int
        var socketDirectory: String
    }

    /// A live postmaster serving this data directory, according to postmaster.pid. PIDs are reused
    /// (especially in containers), so "a process with that pid exists" is not enough: it must be a
    /// postgres process whose working directory is this data directory.
    private func runningPostmaster() throws -> RunningPostmaster? {
        let lines = lockFileLines(dataDirectory + "/postmaster.pid")
        guard let pid = lines.first.flatMap({ Int32($0) }), pid > 0 else { return nil }
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")
        guard comm == "postgres", let cwd, cwd == resolvedDataDirectory else { return nil }
        // postmaster.pid: line 4 is the port, line 5 the first socket directory.
        guard lines.count > 4, let port = Int(lines[3]), !lines[4].isEmpty else {
            throw EmbeddedPostgresError(
                "PostgreSQL (pid \(pid)) is running on \(dataDirectory) without a UNIX socket; stop it first"
            )
        }
        return RunningPostmaster(pid: pid, port: port, socketDirectory: lines[4])
    }

    private var resolvedDataDirectory: String {
        guard let resolved = realpath(dataDirectory, nil) else { return dataDirectory }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Called when no postmaster of ours is running, so any lock file is left over from a crash.
    /// PostgreSQL copes by itself when the recorded PID is dead (and then also checks that no old
    /// backend still uses the shared memory, so we leave those files alone). It refuses to start
    /// when the PID now belongs to an unrelated live process — common after a container restart —
    /// so exactly those lock files are removed.
    private func removeStaleLockFiles(socketDirectory: String) {
        let lockFiles = [dataDirectory + "/postmaster.pid", socketDirectory + "/.s.PGSQL.\(port).lock"]
        for path in lockFiles {
            guard let pid = lockFileLines(path).first.flatMap({ pid_t($0) }), pid > 0 else { continue }
            let alive = kill(pid, 0) == 0 || errno == EPERM
            guard alive else { continue }
            logger.info("removing stale PostgreSQL lock file whose pid belongs to another process", metadata: [
                "path": "\(path)", "pid": "\(pid)",
            ])
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    private func lockFileLines(_ path: String) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    private func startServer(bin: String, runner: ToolRunner) throws {
        let logFile = dataDirectory + "/server.log"
        rotate(logFile)
        let result = try runner.run(bin + "/pg_ctl", ["-D", dataDirectory, "-l", logFile, "-w", "-t", "120", "-s", "start"])
        guard result.status == 0 else {
            throw EmbeddedPostgresError(
                "PostgreSQL failed to start (pg_ctl exit \(result.status)): \(result.output)\n"
                    + "last lines of \(logFile):\n\(tail(logFile, lines: 20))"
            )
        }
    }

    private func createDatabaseIfMissing(bin: String, runner: ToolRunner, socketDirectory: String, port: Int) throws {
        guard databaseName != "postgres" else { return }
        let psql = [bin + "/psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                    "-h", socketDirectory, "-p", String(port), "-U", "postgres", "-d", "postgres", "-c"]
        let literal = "'" + databaseName.replacingOccurrences(of: "'", with: "''") + "'"
        let exists = try runner.run(psql[0], Array(psql.dropFirst()) + ["SELECT 1 FROM pg_database WHERE datname = \(literal)"])
        guard exists.status == 0 else {
            throw EmbeddedPostgresError("cannot query databases (psql exit \(exists.status)): \(exists.output)")
        }
        if exists.output.trimmingCharacters(in: .whitespacesAndNewlines) == "1" { return }
        let identifier = "\"" + databaseName.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        let created = try runner.run(psql[0], Array(psql.dropFirst()) + ["CREATE DATABASE \(identifier)"])
        guard created.status == 0 else {
            throw EmbeddedPostgresError("cannot create database \(databaseName) (psql exit \(created.status)): \(created.output)")
        }
        logger.info("created database", metadata: ["postgres.database": "\(databaseName)"])
    }

    // MARK: Small helpers

    private func rotate(_ logFile: String) {
        let size = (try? FileManager.default.attributesOfItem(atPath: logFile)[.size] as? Int) ?? 0
        guard size > 16 << 20 else { return }
        try? FileManager.default.removeItem(atPath: logFile + ".1")
        try? FileManager.default.moveItem(atPath: logFile, toPath: logFile + ".1")
    }

    private func tail(_ file: String, lines count: Int) -> String {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return "(no log)" }
        return text.split(separator: "\n").suffix(count).joined(separator: "\n")
    }

    private func confString(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
    }

    private func conninfoValue(_ value: String) -> String {
        let plain = !value.isEmpty && !value.contains(where: { $0 == " " || $0 == "'" || $0 == "\\" || $0 == "=" })
        if plain { return value }
        return "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    private static func absolutePath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }

    private static func isExecutable(_ path: String) -> Bool {
        access(path, X_OK) == 0
    }
}

/// The unprivileged OS account PostgreSQL runs as when we are root.
private struct ServiceAccount {
    var name: String
    var uid: uid_t
    var gid: gid_t
    var home: String
    var groups: [gid_t]

    /// nil when not root: the tools then simply run as the current user.
    static func forCurrentProcess() throws -> ServiceAccount? {
        guard geteuid() == 0 else { return nil }
        for name in ["postgres", "nobody"] {
            if let account = lookup(name) { return account }
        }
        throw EmbeddedPostgresError("running as root, but neither the 'postgres' nor the 'nobody' OS user exists")
    }

    private static func lookup(_ name: String) -> ServiceAccount? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, entry.pw_gid, &groups, &count) < 0 { count = 0 }
        return ServiceAccount(
            name: name, uid: entry.pw_uid, gid: entry.pw_gid,
            home: entry.pw_dir.map { String(cString: $0) } ?? "/",
            groups: Array(groups.prefix(Int(max(0, count))))
        )
    }

    /// The first ancestor directory this account may not search (x permission), if any.
    func firstUntraversableAncestor(of path: String) -> String? {
        var ancestor = URL(fileURLWithPath: path).deletingLastPathComponent()
        var chain: [String] = []
        while ancestor.path != "/" {
            chain.append(ancestor.path)
            ancestor = ancestor.deletingLastPathComponent()
        }
        for directory in chain.reversed() {
            var info = stat()
            guard stat(directory, &info) == 0 else { return directory }
            let mode = info.st_mode
            let searchable = (info.st_uid == uid && mode & S_IXUSR != 0)
                || (groups.contains(info.st_gid) && mode & S_IXGRP != 0)
                || mode & S_IXOTH != 0
            if !searchable { return directory }
        }
        return nil
    }

    /// Gives `path` (and, if it is a directory not yet ours, everything under it) to this account.
    func chownRecursivelyIfNeeded(_ path: String, force: Bool = false) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard force || info.st_uid != uid else { return }
        guard lchown(path, uid, gid) == 0 else {
            throw EmbeddedPostgresError("cannot chown \(path) to \(name): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR, let children = FileManager.default.enumerator(atPath: path) else { return }
        while let child = children.nextObject() as? String {
            lchown(path + "/" + child, uid, gid)
        }
    }
}

/// Runs PostgreSQL tools, through `runuser` as the service account when we are root.
private struct ToolRunner {
    let account: ServiceAccount?
    let logger: Logger

    init(logger: Logger) throws {
        self.account = try ServiceAccount.forCurrentProcess()
        self.logger = logger
    }

    /// Runs to completion; stdout and stderr together, into a file.
    ///
    /// Uses posix_spawn rather than Foundation's `Process`: `pg_ctl start` leaves the postmaster
    /// running as a daemon, and Process notices a child's exit only when every copy of an internal
    /// socket is closed — the daemon would inherit one and `waitUntilExit` would hang for the
    /// server's lifetime. Here the child gets exactly stdin (/dev/null), stdout and stderr; every
    /// other descriptor is closed, and the signal mask and dispositions are reset.
    func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        var argv = [tool] + arguments
        var executable = tool
        if let account {
            let candidates: [String] = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
            guard let wrapper = candidates.first(where: { access($0, X_OK) == 0 }) else {
                throw EmbeddedPostgresError("running as root but `runuser` (util-linux) is missing; install util-linux")
            }
            executable = wrapper
            argv = [wrapper, "-u", account.name, "--"] + argv
        }
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["LC_ALL"] = "C"
        if let account { environment["HOME"] = account.home }

        var template = Array("/tmp/asyncgate-pgtool-XXXXXX".utf8CString)
        let outputFD = mkstemp(&template)
        guard outputFD >= 0 else {
            throw EmbeddedPostgresError("cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        defer { close(outputFD) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 1)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 2)
        SpawnExtensions.closeDescriptors(from: 3, in: &actions)
        SpawnExtensions.changeDirectory(to: "/", in: &actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        logger.debug("running PostgreSQL tool", metadata: ["tool": "\(tool)"])
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid = pid_t()
        let spawnError = posix_spawn(&pid, executable, &actions, &attributes, cArguments, cEnvironment)
        guard spawnError == 0 else {
            throw EmbeddedPostgresError("cannot run \(tool): \(String(cString: strerror(spawnError)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else {
                throw EmbeddedPostgresError("waiting for \(tool) failed: \(String(cString: strerror(errno)))")
            }
        }
        // Exit code if it exited, 128 + signal number if it was killed (as a shell reports it).
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)

        lseek(outputFD, 0, SEEK_SET)
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = read(outputFD, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            output.append(contentsOf: buffer[0..<count])
        }
        let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return (exitStatus, text)
    }
}

/// glibc's posix_spawn extensions (2.29+/2.34+), which Swift's Glibc module does not expose.
private enum SpawnExtensions {
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)  // RTLD_DEFAULT
    }

    /// Closes every descriptor >= `lowest` in the child. Without closefrom_np, falls back to the
    /// descriptors open right now.
    static func closeDescriptors(from lowest: Int32, in actions: inout posix_spawn_file_actions_t) {
        if let pointer = symbol("posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(pointer, to: CloseFrom.self)(&actions, lowest)
            return
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd >= lowest {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }

    static func changeDirectory(to path: String, in actions: inout posix_spawn_file_actions_t) {
        guard let pointer = symbol("posix_spawn_file_actions_addchdir_np") else { return }
        _ = unsafeBitCast(pointer, to: ChangeDirectory.self)(&actions, path)
    }
}
