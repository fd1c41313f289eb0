// swift-tools-version:6.0
import PackageDescription

// Benchmark-only: our HTTP module alone behind a hello handler, for Benchmarks/http-compare.sh.
// Sources/HTTP and Sources/CSystem are symlinks to the product's directories, so this measures
// exactly the code the server ships, without routing, auth or the database. (Its own package
// because Hummingbird's graph has a swift-system target that is also called CSystem.)
let package = Package(
    name: "http-hello",
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CSystem", path: "Sources/CSystem"),
        .target(name: "HTTP", dependencies: ["CSystem", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "http-hello", dependencies: ["HTTP", .product(name: "Logging", package: "swift-log")]),
    ]
)
