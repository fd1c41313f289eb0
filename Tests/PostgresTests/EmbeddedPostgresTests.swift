import Foundation
import Postgres
import Storage
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("EmbeddedPostgres")
struct EmbeddedPostgresTests {
    /// A fresh directory the unprivileged PostgreSQL user can enter, removed afterwards.
    private func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        var template = Array("/tmp/asyncgate-embedded-XXXXXX".utf8CString)
        try #require(mkdtemp(&template) != nil)
        let root = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(root, 0o755)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try body(root)
    }

    private func makeCluster(_ dataDirectory: String) -> EmbeddedPostgres {
        EmbeddedPostgres(
            dataDirectory: dataDirectory, logger: TestPostgres.logger, databaseName: "embedded_test",
            settings: ["fsync": "off", "synchronous_commit": "off"]
        )
    }

    /// Real uid of a server process, from /proc.
    private func uid(ofProcess pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") })
        else { return nil }
        return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { Int($0) }
    }

    @Test func startStopRestartKeepsDataAndSurvivesAStaleLockFile() throws {
        try withTemporaryDirectory { root in
            let dataDirectory = root + "/data"
            let cluster = makeCluster(dataDirectory)
            defer { cluster.stop() }

            let conninfo = try cluster.start()
            #expect(try cluster.start() == conninfo, "start is idempotent while running")
            #expect(conninfo.contains("dbname=embedded_test"))
            do {
                let connection = try connect(conninfo)
                defer { connection.close() }
                try connection.execute("CREATE TABLE kept (value text)")
                try connection.query("INSERT INTO kept VALUES ($1)", ["survives restarts"])
                #expect(try connection.query("SHOW listen_addresses")[0].string(0) == "")
                #expect(try connection.query("SHOW max_connections")[0].int(0).map { $0 >= 200 } == true)
                if geteuid() == 0 {
                    let serverUID = try #require(uid(ofProcess: connection.backendPID))
                    #expect(serverUID != 0, "PostgreSQL must not run as root")
                }
            }
            cluster.stop()
            cluster.stop()  // idempotent
            #expect(!FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid"))

            // Restart on the same data directory, with a fresh instance as after a process restart.
            let restarted = makeCluster(dataDirectory)
            defer { restarted.stop() }
            let again = try restarted.start()
            do {
                let connection = try connect(again)
                defer { connection.close() }
                #expect(try connection.query("SELECT value FROM kept")[0].string(0) == "survives restarts")
            }
            restarted.stop()

            // A crash leaves postmaster.pid behind; here its PID now belongs to a live, unrelated
            // process (this test), which PostgreSQL alone would mistake for a running postmaster.
            try "\(getpid())\n\(dataDirectory)\n0\n5432\n\(dataDirectory)\n\n\n".write(
                toFile: dataDirectory + "/postmaster.pid", atomically: true, encoding: .utf8
            )
            let afterCrash = makeCluster(dataDirectory)
            defer { afterCrash.stop() }
            let afterCrashConninfo = try afterCrash.start()
            do {
                let connection = try connect(afterCrashConninfo)
                defer { connection.close() }
                #expect(try connection.query("SELECT count(*) FROM kept")[0].int(0) == 1)
            }

            // A crashed AsyncGate leaves the postmaster running: a new instance adopts it rather
            // than starting a second server on the same data directory.
            let adopter = makeCluster(dataDirectory)
            defer { adopter.stop() }
            #expect(try adopter.start() == afterCrashConninfo)

            // The server itself killed outright: the next start recovers from the WAL.
            let postmaster = try #require(postmasterPID(dataDirectory))
            kill(postmaster, SIGKILL)
            try waitUntilNoProcessUses(dataDirectory)
            let afterKill = makeCluster(dataDirectory)
            defer { afterKill.stop() }
            let connection = try connect(try afterKill.start())
            defer { connection.close() }
            #expect(try connection.query("SELECT count(*) FROM kept")[0].int(0) == 1)
        }
    }

    private func postmasterPID(_ dataDirectory: String) -> Int32? {
        (try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8))?
            .split(separator: "\n").first.flatMap { Int32($0) }
    }

    /// Waits (bounded) until the killed postmaster's children have exited too.
    private func waitUntilNoProcessUses(_ dataDirectory: String) throws {
        let deadline = Date(timeIntervalSinceNow: 30)
        while Date() < deadline {
            let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { Int($0) != nil }
            let users = pids.filter {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\($0)/cwd")) == dataDirectory
            }
            if users.isEmpty { return }
            usleep(50_000)
        }
        Issue.record("server processes still running 30 s after SIGKILL")
    }

    @Test func longDataDirectoryPathUsesAPrivateSocketDirectory() throws {
        try withTemporaryDirectory { root in
            let dataDirectory = root + "/" + String(repeating: "nested-directory-", count: 5) + "data"
            #expect(dataDirectory.utf8.count > 100)
            let cluster = makeCluster(dataDirectory)
            defer { cluster.stop() }
            let conninfo = try cluster.start()
            #expect(conninfo.contains("host=/tmp/asyncgate-pg-"))
            let connection = try connect(conninfo)
            defer { connection.close() }
            #expect(try connection.query("SELECT current_database()")[0].string(0) == "embedded_test")
        }
    }

    @Test func findsTheInstalledServer() throws {
        let bin = try #require(EmbeddedPostgres.findBinDirectory())
        #expect(FileManager.default.isExecutableFile(atPath: bin + "/pg_ctl"))
    }
}
