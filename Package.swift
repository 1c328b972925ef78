// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Sinkron",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sinkron", targets: ["NodeCLI"]),
        .library(name: "Replica", targets: ["Replica"]),
        .library(name: "SyncProtocol", targets: ["SyncProtocol"]),
        .library(name: "SyncSession", targets: ["SyncSession"]),
        .library(name: "Noise", targets: ["Noise"]),
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
            name: "CZstd",
            providers: [.apt(["libzstd-dev"])]
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
                "CZstd",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                "ReplicaResources",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ReplicaResources",
            resources: [.copy("sop-templates.json"), .copy("holidays.json")]
        ),
        .target(
            name: "Noise",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // The session: frames, the Noise handshake, the state machine and its driver. Pure: no libuv.
        .target(
            name: "SyncSession",
            dependencies: [
                "Replica",
                "Noise",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The transport: libuv TCP and UDP, timers, the daemon and the client.
        .target(
            name: "SyncProtocol",
            dependencies: [
                "Replica",
                "SyncSession",
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
                .product(name: "Crypto", package: "swift-crypto"),
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
            dependencies: ["Replica", "SyncSession", "ReplicaTesting"]
        ),
        .testTarget(
            name: "SimulationTests",
            dependencies: ["SimulationTesting", "Replica", "SyncSession", "ReplicaTesting", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "ReplicaTests", dependencies: ["Replica", "ReplicaTesting", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "SyncProtocolTests", dependencies: ["SyncProtocol", "SyncSession", "Replica", "ReplicaTesting", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "NoiseTests", dependencies: ["Noise"], exclude: ["cacophony-XX_25519_ChaChaPoly_SHA256.json"]),
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
