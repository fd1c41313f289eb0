// swift-tools-version:6.0
import PackageDescription

// Dependency direction (see README "Architecture"):
//   asyncgate -> API -> {HTTP, Engine}; Engine -> Storage -> Postgres -> CLibPQ; Domain is the pure leaf.
let package = Package(
    name: "AsyncGate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "asyncgate", targets: ["asyncgate"]),
        .library(name: "AsyncGateClient", targets: ["AsyncGateClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ],
    targets: [
        // System libraries: libpq (PostgreSQL client) and libcrypto (SHA-256, CSPRNG).
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Linux epoll/eventfd headers (not exported by the Glibc module).
        .systemLibrary(name: "CSystem", path: "Sources/CSystem"),

        // Pure JSON value, strict parser and (canonical) serializer.
        .target(name: "JSON"),
        // HTTP/1.1 over POSIX sockets + Dispatch. Knows nothing of tasks.
        .target(name: "HTTP", dependencies: ["CSystem", .product(name: "Logging", package: "swift-log")]),
        // libFuzzer entry point for the HTTP parser (a file replayer in a plain build):
        // swift build -c debug --product HTTPFuzz --scratch-path .build-fuzz --sanitize fuzzer --sanitize address -Xswiftc -DHTTP_LIBFUZZER
        .executableTarget(name: "HTTPFuzz", dependencies: ["HTTP"]),
        // libpq wrapper: connection, prepared queries with $n binds, transactions, savepoints, pool.
        .target(name: "Postgres", dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")]),
        // Domain types and pure rules: state machine, termination, receipt hashing, backoff, validation.
        .target(name: "Domain", dependencies: ["JSON", "CCrypto"]),
        // Repositories (one per table), migrator, embedded PostgreSQL cluster.
        .target(name: "Storage", dependencies: ["Postgres", "Domain", "JSON", .product(name: "Logging", package: "swift-log")]),
        // Engine operations: one transaction per operation, receipts, sweep.
        .target(name: "Engine", dependencies: ["Storage", "Postgres", "Domain", "JSON", .product(name: "Logging", package: "swift-log")]),
        // Rate limiting: per-credential sliding window, in memory or shared through Redis (RESP).
        .target(name: "RateLimit", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // /v1 REST routes, DTO decoding, the one EngineError -> HTTP status map, auth.
        .target(name: "API", dependencies: ["HTTP", "Engine", "Domain", "JSON", "RateLimit", .product(name: "Logging", package: "swift-log")]),
        // Typed Swift client for the REST API (used by the reference worker and the scheduler).
        .target(name: "AsyncGateClient", dependencies: ["JSON"]),
        // Scheduler TASKEE: cron/interval schedules, misfire policies, state in PostgreSQL.
        .target(name: "Scheduler", dependencies: ["AsyncGateClient", "Postgres", "JSON", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "asyncgate", dependencies: [
            "API", "Engine", "Storage", "HTTP", "AsyncGateClient", "Scheduler", "RateLimit",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Test support: starts a throwaway PostgreSQL cluster (as an unprivileged user when root).
        .target(name: "TestSupport", dependencies: ["Storage", "Postgres", "Engine", "API", "HTTP", "Domain", "JSON", .product(name: "Logging", package: "swift-log")], path: "Tests/TestSupport"),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "DomainTests", dependencies: ["Domain", "JSON", "Storage"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Storage", "Postgres", "Domain", "JSON", "TestSupport"]),
        .testTarget(name: "AsyncGateClientTests", dependencies: ["AsyncGateClient", "JSON", "TestSupport"]),
        .testTarget(name: "SchedulerTests", dependencies: ["Scheduler", "AsyncGateClient", "Postgres", "JSON", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "RateLimitTests", dependencies: ["RateLimit"]),
        .testTarget(name: "MCPTests", dependencies: ["API", "HTTP", "Engine", "JSON", "TestSupport"]),
        .testTarget(name: "APITests", dependencies: ["API", "HTTP", "Engine", "Storage", "Postgres", "Domain", "JSON", "RateLimit", "TestSupport"]),
    ]
)
