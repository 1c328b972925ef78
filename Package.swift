// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Sinkron",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sinkron", targets: ["NodeCLI"]),
        .library(name: "Replica", targets: ["Replica"]),
        .library(name: "SyncProtocol", targets: ["SyncProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        .target(
            name: "Replica",
            dependencies: [
                "CSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "SyncProtocol",
            dependencies: [
                "Replica",
                "CLibUV",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "WebApp",
            dependencies: [
                "Replica",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Assets")]
        ),
        .executableTarget(
            name: "NodeCLI",
            dependencies: [
                "Replica",
                "SyncProtocol",
                "WebApp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ReplicaTesting",
            dependencies: ["Replica"]
        ),
        .target(
            name: "SimulationTesting",
            dependencies: ["Replica", "SyncProtocol", "ReplicaTesting"]
        ),
        .testTarget(
            name: "SimulationTests",
            dependencies: ["SimulationTesting", "Replica", "SyncProtocol", "ReplicaTesting", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "ReplicaTests", dependencies: ["Replica", "ReplicaTesting", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "SyncProtocolTests", dependencies: ["SyncProtocol", "Replica", "ReplicaTesting"]),
        .testTarget(
            name: "WebAppTests",
            dependencies: [
                "WebApp", "Replica", "ReplicaTesting", .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(name: "NodeCLITests", dependencies: ["Replica", "ReplicaTesting"]),
    ],
    swiftLanguageModes: [.v6]
)
