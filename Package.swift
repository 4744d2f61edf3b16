// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "AGFAS",
  products: [
    .library(name: "AGFASEngine", targets: ["AGFASEngine"]),
    .library(name: "AGFASCheckpoint", targets: ["AGFASCheckpoint"]),
    .executable(name: "agfas", targets: ["agfas"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // oneDNN from Debian's libdnnl-dev; it picks AMX/AVX-512/AVX2 kernels at run time.
    .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
    .target(name: "AGFASEngine", dependencies: ["CDNNL"]),
    .target(name: "AGFASCheckpoint", dependencies: ["AGFASEngine"]),
    .target(name: "AGFASBench", dependencies: ["AGFASEngine"]),
    .executableTarget(
      name: "agfas",
      dependencies: [
        "AGFASEngine", "AGFASBench",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(
      name: "AGFASEngineTests",
      dependencies: ["AGFASEngine", "AGFASCheckpoint"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "AGFASCheckpointTests",
      dependencies: ["AGFASCheckpoint"],
      exclude: ["Fixtures"]),
  ],
  // Kernels hand unsafe buffers to worker threads; Swift 5 mode keeps that free of Sendable
  // ceremony while the engine guarantees the ranges never overlap.
  swiftLanguageModes: [.v5]
)
