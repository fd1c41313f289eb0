// swift-tools-version:6.0
import PackageDescription

// The benchmark client, a package of its own so it never touches the server's build or tests and
// depends on nothing: `scripts/bench` builds it with `swift build -c release --package-path Benchmarks`.
let package = Package(
    name: "AsyncGateBenchmarks",
    targets: [
        .executableTarget(name: "agbench"),
    ]
)
