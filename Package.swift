// swift-tools-version: 6.1
import PackageDescription

/// Hot kernels (Networks, MetaOptimize) are compiled optimised even in debug builds, so that `swift test` is fast,
/// and with AVX2 + FMA on x86-64 (without `-march`, `fma` lowers to a libm call and runs ~100x slower).
var kernelSettings: [SwiftSetting] = [.unsafeFlags(["-O"])]
#if arch(x86_64)
kernelSettings.append(.unsafeFlags(["-Xcc", "-march=x86-64-v3"]))
#endif

let package = Package(
    name: "mobench",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Streams", targets: ["Streams"]),
        .library(name: "Networks", targets: ["Networks"]),
        .library(name: "MetaOptimize", targets: ["MetaOptimize"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Diagnostics", targets: ["Diagnostics"]),
        .library(name: "Competitors", targets: ["Competitors"]),
        .library(name: "Bench", targets: ["Bench"]),
        .executable(name: "mobench", targets: ["mobench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .systemLibrary(
            name: "CLapack",
            pkgConfig: "lapacke",
            providers: [.apt(["liblapacke-dev", "liblapack-dev"]), .brew(["lapack"])]
        ),
        .target(name: "Datasets", dependencies: ["CZlib"], swiftSettings: kernelSettings),
        .target(name: "Streams", dependencies: ["Datasets"], swiftSettings: kernelSettings),
        // Declared-once settings: flags, JSON keys, help and README tables are generated from declarations.
        .target(name: "Settings"),
        // The SIMD layer shared by Networks and MetaOptimize (internal: `package` access).
        .target(name: "SIMDSupport", swiftSettings: kernelSettings),
        // The generic fused passes of base and meta rules (internal), specialised in each rule's file.
        .target(name: "RuleKernels", dependencies: ["SIMDSupport"], swiftSettings: kernelSettings),
        .target(name: "Networks", dependencies: ["SIMDSupport"], swiftSettings: kernelSettings),
        .target(name: "MetaOptimize", dependencies: ["SIMDSupport", "RuleKernels"], swiftSettings: kernelSettings),
        // The learning-rate-free competitors (Prodigy, D-Adaptation, DoG, schedule-free, Mechanic, COCOB, KT).
        .target(name: "Competitors", dependencies: ["MetaOptimize", "Settings", "SIMDSupport"],
                swiftSettings: kernelSettings),
        .target(name: "Reports"),
        .target(name: "Diagnostics", dependencies: ["Networks", "CLapack"], swiftSettings: kernelSettings),
        .target(name: "Bench", dependencies: ["Datasets", "Streams", "Networks", "MetaOptimize", "Reports", "Settings", "Diagnostics", "Competitors"]),
        .executableTarget(
            name: "mobench",
            dependencies: ["Bench", "Competitors", "Datasets", "Streams", "Reports",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "AllocationCounter", path: "Benchmarks/AllocationCounter"),
        .executableTarget(
            name: "mobench-perf",
            dependencies: ["Bench", "AllocationCounter", "Datasets", "Streams", "Networks", "MetaOptimize", "Diagnostics", "Competitors"],
            path: "Benchmarks/Throughput",
            swiftSettings: kernelSettings
        ),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "CZlib"]),
        .testTarget(name: "StreamsTests", dependencies: ["Streams", "Datasets"]),
        .testTarget(name: "NetworksTests", dependencies: ["Networks"]),
        .testTarget(name: "MetaOptimizeTests", dependencies: ["MetaOptimize", "RuleKernels", "SIMDSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "CZlib"]),
        .testTarget(name: "CompetitorsTests", dependencies: ["Competitors", "MetaOptimize"]),
        .testTarget(name: "ExactHessianTests", dependencies: ["Networks", "MetaOptimize", "RuleKernels", "SIMDSupport"]),
        .testTarget(name: "BenchTests", dependencies: ["Bench", "Datasets", "MetaOptimize", "Reports", "Diagnostics", "Networks", "Streams", "Competitors", "Settings"]),
        .testTarget(name: "SettingsTests", dependencies: ["Settings"]),
        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics", "Networks"]),
    ],
    swiftLanguageModes: [.v6]
)
