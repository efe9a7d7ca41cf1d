// swift-tools-version:6.1
// Micro-benchmarks for Quarry (ordo-one/benchmark). A package of its own so that `swift build`
// and `swift test` at the repository root never build it. See README.md here.
//
//     cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
import PackageDescription

let package = Package(
    name: "QuarryBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Quarry", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "BlockDecode",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QuarryEngine", package: "Quarry"),
            ],
            path: "Benchmarks/BlockDecode",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Query",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QuarryEngine", package: "Quarry"),
            ],
            path: "Benchmarks/Query",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
