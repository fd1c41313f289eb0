// swift-tools-version:6.0
import PackageDescription

// Benchmark-only: a Hummingbird 2 hello server, the reference for Benchmarks/http-compare.sh
// (issue 3, "Speed"); outside the product's build. Not named "hummingbird": a root package's
// identity is its directory name and must differ from the dependency's.
let package = Package(
    name: "hummingbird-hello",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        .executableTarget(name: "hb-hello", dependencies: [.product(name: "Hummingbird", package: "hummingbird")]),
    ]
)
