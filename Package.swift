// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "AGFAS",
  products: [
    .library(name: "AGFASEngine", targets: ["AGFASEngine"]),
    .library(name: "AGFASJSON", targets: ["AGFASJSON"]),
    .library(name: "AGFASCheckpoint", targets: ["AGFASCheckpoint"]),
    .library(name: "AGFASNN", targets: ["AGFASNN"]),
    .library(name: "AGFASImage", targets: ["AGFASImage"]),
    .library(name: "AGFASEvaluation", targets: ["AGFASEvaluation"]),
    .library(name: "AGFASData", targets: ["AGFASData"]),
    .library(name: "AGFASOANet", targets: ["AGFASOANet"]),
    .library(name: "AGFASFaces", targets: ["AGFASFaces"]),
    .library(name: "AGFASVideo", targets: ["AGFASVideo"]),
    .library(name: "AGFASTraining", targets: ["AGFASTraining"]),
    .library(name: "AGFASDFGTraining", targets: ["AGFASDFGTraining"]),
    .library(name: "AGFASModels", targets: ["AGFASModels"]),
    .library(name: "AGFASCheck", targets: ["AGFASCheck"]),
    .library(name: "AGFASReport", targets: ["AGFASReport"]),
    .executable(name: "agfas", targets: ["agfas"]),
    .executable(name: "agfas-fuzz", targets: ["agfas-fuzz"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    .package(url: "https://github.com/JohnSundell/Plot", from: "0.14.0"),
    // The service (agfas serve) and, in tests, the loopback server that stands in for the model hubs.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
  ],
  targets: [
    // oneDNN from Debian's libdnnl-dev; it picks AMX/AVX-512/AVX2 kernels at run time.
    .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
    .target(name: "AGFASEngine", dependencies: ["CDNNL"]),
    // The one strict JSON scanner (duplicate keys, wrong types said as sentences) every reader
    // of user JSON goes through; Foundation only.
    .target(name: "AGFASJSON"),
    .target(name: "AGFASCheckpoint", dependencies: ["AGFASEngine", "AGFASJSON"]),
    // Layers named like their PyTorch modules, the parameter tree and state-dict loading.
    .target(name: "AGFASNN", dependencies: ["AGFASEngine"]),
    // The De-fake Face Generator's diffusion parts: schedulers, UNet, VAE.
    .target(name: "AGFASDiffusion", dependencies: ["AGFASEngine", "AGFASNN", "AGFASJSON"]),
    // AG-FAS's De-fake Face Generator: ArcFace identity condition and the reconstruction pipeline.
    .target(
      name: "AGFASDFG", dependencies: ["AGFASEngine", "AGFASNN", "AGFASDiffusion", "AGFASCheckpoint", "AGFASImage"]),
    // AG-FAS's Off-real Attention Network: anomalous cue, ViT + cue encoder, SSDG heads and losses.
    .target(
      name: "AGFASOANet", dependencies: ["AGFASEngine", "AGFASNN", "AGFASCheckpoint", "AGFASImage", "AGFASJSON"]),
    // Face detection (MTCNN with facenet-pytorch's weights) and alignment onto the template of docs/method.md §1.
    .target(
      name: "AGFASFaces",
      dependencies: ["AGFASEngine", "AGFASNN", "AGFASCheckpoint", "AGFASImage", "AGFASVideo", "AGFASData"]),
    // SSDG training of OA-Net: balanced sampling, prefetching loader, trainer, checkpoints, log.
    .target(
      name: "AGFASTraining",
      dependencies: ["AGFASEngine", "AGFASNN", "AGFASOANet", "AGFASCheckpoint", "AGFASImage", "AGFASEvaluation"]),
    // Fine-tuning the DFG's UNet on real faces (LoRA or full, with EMA), as diffusers'
    // training scripts do: objective, schedules, checkpoints, the run loop.
    .target(
      name: "AGFASDFGTraining",
      dependencies: [
        "AGFASEngine", "AGFASNN", "AGFASDiffusion", "AGFASDFG", "AGFASCheckpoint", "AGFASImage", "AGFASJSON",
      ]),
    .target(
      name: "AGFASBench",
      dependencies: [
        "AGFASEngine", "AGFASNN", "AGFASCheckpoint", "AGFASImage", "AGFASDiffusion", "AGFASDFG", "AGFASFaces",
        "AGFASOANet", "AGFASTraining",
        "AGFASDFGTraining",
      ]),
    // Video frames through FFmpeg's libraries from Debian (libavformat-dev, libavcodec-dev,
    // libswscale-dev, libavutil-dev); the C side keeps libav's structs out of Swift.
    .target(
      name: "CVideoShims",
      linkerSettings: [
        .linkedLibrary("avformat"), .linkedLibrary("avcodec"), .linkedLibrary("swscale"), .linkedLibrary("avutil"),
      ]),
    .target(name: "AGFASVideo", dependencies: ["AGFASImage", "CVideoShims"]),
    // libpng and libjpeg-turbo from Debian (libpng-dev, libjpeg62-turbo-dev).
    .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
    .systemLibrary(name: "CJPEG", path: "Sources/CJPEG"),
    // The C side of image I/O: both libraries longjmp on errors, which must stay in C. C code
    // does not autolink the system modules' `link` lines, so the libraries are named again.
    .target(
      name: "CImageShims", dependencies: ["CPNG", "CJPEG"],
      linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]),
    // Images: PNG/JPEG decode with size limits, PNG encode with atomic writes, tensor bridge.
    .target(name: "AGFASImage", dependencies: ["AGFASEngine", "CImageShims"]),
    // Evaluation as the reference reports it: video-level scores, AUC, EER/HTER, ROC plots.
    .target(name: "AGFASEvaluation", dependencies: ["AGFASImage", "AGFASJSON"]),
    // Dataset trees to the reference's JSON label files (docs/method.md §7); Foundation only.
    .target(name: "AGFASData"),
    // The released models: a manifest of where each file is published, downloads into the
    // Hugging Face and torchvision caches (resumed, verified, atomic) and the reference's
    // `model/` layout that the commands read by default. Needs zlib (zlib1g-dev) for unzipping.
    .target(
      name: "AGFASModels",
      dependencies: [
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ],
      resources: [.embedInCode("models.json")]),
    // The main job: a photo through detection, alignment, the DFG, the cue and OA-Net, and the
    // self-contained HTML report of it.
    .target(
      name: "AGFASCheck",
      dependencies: [
        "AGFASEngine", "AGFASImage", "AGFASFaces", "AGFASDFG", "AGFASOANet", "AGFASReport",
        .product(name: "Plot", package: "Plot"),
      ]),
    // The liveness service (agfas serve, docs/serve.md): HTTP API, SQLite-backed queue that
    // survives restarts, batching worker, API keys, limits, Prometheus metrics. Needs
    // libsqlite3-dev.
    .target(
      name: "AGFASServe",
      dependencies: [
        "AGFASEngine", "AGFASImage", "AGFASFaces", "AGFASDFG", "AGFASOANet", "AGFASCheck",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "MultipartKit", package: "multipart-kit"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      resources: [.embedInCode("openapi.json")]),
    // HTML reports: SVG charts (ROC, DET, histograms) and the evaluation page; Plot writes the HTML.
    .target(
      name: "AGFASReport",
      dependencies: ["AGFASImage", "AGFASEvaluation", .product(name: "Plot", package: "Plot")]),
    // Every parser of user files as a fuzz target (scripts/fuzz.sh; docs/fuzzing.md).
    .target(
      name: "AGFASFuzzTargets",
      dependencies: ["AGFASEngine", "AGFASCheckpoint", "AGFASImage", "AGFASDiffusion", "AGFASEvaluation", "AGFASJSON"]),
    .executableTarget(name: "agfas-fuzz", dependencies: ["AGFASFuzzTargets"]),
    .executableTarget(
      name: "agfas",
      dependencies: [
        "AGFASEngine", "AGFASCheckpoint", "AGFASDFG", "AGFASImage", "AGFASFaces", "AGFASBench", "AGFASEvaluation",
        "AGFASData", "AGFASVideo", "AGFASOANet", "AGFASTraining", "AGFASModels", "AGFASCheck", "AGFASReport",
        "AGFASServe", "AGFASNN", "AGFASDFGTraining",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // Fixture reading and tolerance checks shared by the test targets.
    .target(
      name: "AGFASTestSupport", dependencies: ["AGFASEngine", "AGFASCheckpoint", "AGFASImage"],
      path: "Tests/AGFASTestSupport"),
    .testTarget(
      name: "AGFASEngineTests",
      dependencies: ["AGFASEngine", "AGFASTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "AGFASDiffusionTests",
      dependencies: ["AGFASDiffusion", "AGFASNN", "AGFASTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "AGFASDFGTests",
      dependencies: ["AGFASDFG", "AGFASDiffusion", "AGFASNN", "AGFASImage", "AGFASBench", "AGFASTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "AGFASDFGTrainingTests",
      dependencies: ["AGFASDFGTraining", "AGFASDFG", "AGFASDiffusion", "AGFASNN", "AGFASTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "AGFASNNTests",
      dependencies: ["AGFASNN", "AGFASTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "AGFASImageTests",
      dependencies: ["AGFASImage"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "AGFASEvaluationTests",
      dependencies: ["AGFASEvaluation", "AGFASReport", "AGFASImage", "AGFASTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "AGFASDataTests",
      dependencies: ["AGFASData", "AGFASTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "AGFASOANetTests",
      dependencies: ["AGFASOANet", "AGFASNN", "AGFASCheckpoint", "AGFASTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "AGFASFacesTests",
      dependencies: ["AGFASFaces", "AGFASImage", "AGFASEngine", "AGFASTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "AGFASVideoTests",
      dependencies: ["AGFASVideo", "AGFASImage", "AGFASTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "AGFASTrainingTests",
      dependencies: [
        "AGFASTraining", "AGFASOANet", "AGFASNN", "AGFASImage", "AGFASCheckpoint", "AGFASEngine", "AGFASEvaluation",
        "AGFASTestSupport",
      ]),
    .testTarget(
      name: "AGFASModelsTests",
      dependencies: [
        "AGFASModels", "AGFASImage", "AGFASTestSupport",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ]),
    .testTarget(
      name: "AGFASServeTests",
      dependencies: [
        "AGFASServe", "AGFASImage", "AGFASDFG", "AGFASBench", "AGFASTestSupport",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
      ]),
    .testTarget(name: "AGFASFuzzTests", dependencies: ["AGFASFuzzTargets"], exclude: ["Regressions"]),
    .testTarget(name: "AGFASJSONTests", dependencies: ["AGFASJSON"]),
    .testTarget(
      name: "AGFASCheckpointTests",
      dependencies: ["AGFASCheckpoint"],
      exclude: ["Fixtures"]),
  ],
  // Kernels hand unsafe buffers to worker threads; Swift 5 mode keeps that free of Sendable
  // ceremony while the engine guarantees the ranges never overlap.
  swiftLanguageModes: [.v5]
)
