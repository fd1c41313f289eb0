import Foundation
import Postgres
import TestSupport

/// A fresh database on the shared test cluster; tests never share tables.
func makeDatabase() throws -> String {
    try TestPostgres.cluster().createDatabase()
}

func connect(_ conninfo: String) throws -> PostgresConnection {
    try PostgresConnection.connect(conninfo, logger: TestPostgres.logger)
}

struct ExpectedFailure: Error, Equatable {
    var tag = "body failed"
}

/// Runs `body` on `count` real OS threads at once and waits for all of them (Dispatch's
/// concurrentPerform would cap concurrency at the core count, defeating contention tests).
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            body(index)
            group.leave()
        }
        thread.start()
    }
    group.wait()
}

/// Collects values from several threads.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }

    var current: Value { withLock { $0 } }
}
