// swift-tools-version:6.0
// Quarry: a full-text search daemon for Linux. See README.md and ../shared/DESIGN.md.
//
// Arrows point down only:
//   quarry-index, quarryd, quarry (executables: argument parsing and wiring)
//   QuarryServer -> QuarrySearch -> QuarryIndex -> QuarryFormat, QuarryAnalysis, QuarrySystem -> C libraries
//   quarry (the client) links QuarryProtocol only, never the engine.
import PackageDescription

/// The posting cursors and merge loops keep their state in final classes that only one query
/// (one thread) touches; dynamic exclusivity checks on those properties cost 37 % of the
/// instructions of a union query (callgrind, medium corpus), so these two modules turn them off.
/// Static (compile-time) exclusivity checking stays on.
let hotLoopSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

let package = Package(
    name: "Quarry",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "quarry-index", targets: ["quarry-index"]),
        .executable(name: "quarryd", targets: ["quarryd"]),
        .executable(name: "quarry", targets: ["quarry"]),
        // The engine as a library, for the separate Benchmarks/ package (which depends on this
        // package by path). Nothing in this package uses it.
        .library(name: "QuarryEngine", targets: ["QuarryFormat", "QuarryIndex", "QuarrySearch", "QuarryAnalysis"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // System libraries (Debian -dev packages; see README).
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CStemmer", providers: [.apt(["libstemmer-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),

        // Bytes and codecs: no syscalls.
        // The unrolled SIMD-BP128 block decoders (SSE2, x86-64; other architectures keep the
        // Swift kernel). C because the Swift compiler would not unroll the 32 steps per width.
        .target(name: "CQuarrySIMD", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "QuarryFormat", dependencies: ["CLZ4", "CZlib", "CQuarrySIMD"], swiftSettings: hotLoopSettings),
        // The only module that talks to the kernel directly.
        .target(name: "QuarrySystem"),
        // The service manager (libsystemd): sd_notify, socket activation, watchdog. Its own
        // module because sd-daemon.h re-exports socket headers that clash with Glibc's.
        .target(name: "QuarrySystemd", dependencies: ["CSystemd"]),
        // Text: tokenize, fold, stem.
        .target(name: "QuarryAnalysis", dependencies: ["CStemmer"]),
        // Writer pipeline, generations and publishing, reader.
        .target(name: "QuarryIndex",
                dependencies: ["QuarryFormat", "QuarrySystem", "QuarryAnalysis", "CZlib", "CZstd"]),
        // Query parser, BM25, cursors, pruning algorithms, top-k, snippets.
        .target(name: "QuarrySearch", dependencies: ["QuarryIndex", "QuarryAnalysis", "QuarryFormat"],
                swiftSettings: hotLoopSettings),
        // Wire types and framing; the client links only this.
        .target(name: "QuarryProtocol"),
        // The config file, defaults, paths.
        .target(name: "QuarryConfig", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")]),
        // The daemon's services.
        .target(name: "QuarryServer", dependencies: [
            "QuarrySearch", "QuarryIndex", "QuarryAnalysis", "QuarryProtocol", "QuarryConfig", "QuarrySystem",
            "QuarrySystemd",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .executableTarget(name: "quarry-index", dependencies: [
            "QuarryIndex", "QuarryConfig", "QuarryProtocol", "QuarrySystem",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "quarryd", dependencies: [
            "QuarryServer", "QuarrySearch", "QuarryConfig",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // In-process query timing for benchmarks and profiles (not installed).
        .executableTarget(name: "quarry-bench", dependencies: ["QuarryIndex", "QuarrySearch"]),
        .executableTarget(name: "quarry", dependencies: [
            "QuarryProtocol", "QuarrySystem",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .target(name: "QuarryTestSupport", path: "Tests/QuarryTestSupport"),
        .testTarget(name: "QuarryFormatTests", dependencies: ["QuarryFormat", "QuarryTestSupport"]),
        .testTarget(name: "QuarryAnalysisTests", dependencies: ["QuarryAnalysis"]),
        .testTarget(name: "QuarryIndexTests", dependencies: ["QuarryIndex", "QuarryTestSupport"]),
        .testTarget(name: "QuarrySearchTests", dependencies: ["QuarrySearch", "QuarryIndex", "QuarryTestSupport"]),
        .testTarget(name: "QuarryProtocolTests", dependencies: ["QuarryProtocol"]),
        .testTarget(name: "QuarryConfigTests", dependencies: ["QuarryConfig"]),
        .testTarget(name: "QuarryServerTests", dependencies: ["QuarryServer", "QuarryProtocol", "QuarryConfig",
                                                             .product(name: "NIOPosix", package: "swift-nio")]),
        .testTarget(name: "EndToEndTests", dependencies: ["QuarryProtocol", "QuarryTestSupport"]),
        // The real binaries as a service: hot swap under load, crashes, signals, sd_notify, units.
        .testTarget(name: "ServiceTests", dependencies: ["QuarryProtocol", "QuarrySystem", "QuarryTestSupport"]),
    ],
    // Swift 5 language mode: the engine's hot paths share immutable mmapped state across
    // threads by design; strict-concurrency annotations are added module by module later.
    swiftLanguageModes: [.v5]
)
