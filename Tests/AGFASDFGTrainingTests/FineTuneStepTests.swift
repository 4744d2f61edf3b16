import AGFASCheckpoint
import AGFASDFG
import AGFASDFGTraining
import AGFASDiffusion
import AGFASEngine
import AGFASNN
import AGFASTestSupport
import Foundation
import XCTest

/// One LoRA step and two full steps with EMA against diffusers + peft + torch.optim.AdamW on a
/// tiny UNet (scripts/make_finetune_fixtures.py): loss, every trainable gradient, the clipped
/// norm, the parameters after the update, the EMA, and the LoRA file both ways.
final class FineTuneStepTests: XCTestCase {
  let fx = try! Fixture("finetune_tiny")

  struct Batch {
    var z0: Tensor
    var noise: Tensor
    var timesteps: [Int]
    var context: Tensor
  }

  func batch(_ k: Int) throws -> Batch {
    let t = try fx.file.tensor("batch\(k)/timesteps").toArray().map { Int($0) }
    return Batch(
      z0: try fx.file.tensor("batch\(k)/z0"), noise: try fx.file.tensor("batch\(k)/noise"), timesteps: t,
      context: try fx.file.tensor("batch\(k)/context"))
  }

  func tensors(_ prefix: String) throws -> [String: Tensor] {
    var out: [String: Tensor] = [:]
    for name in fx.file.names where name.hasPrefix(prefix) {
      out[String(name.dropFirst(prefix.count))] = try fx.file.tensor(name)
    }
    return out
  }

  func baseUNet() throws -> (UNet2DConditionModel, ParameterStore) {
    let base = try fx.case("base")
    let data = try JSONSerialization.data(withJSONObject: base.params["config"] ?? [:])
    let config = try JSONDecoder().decode(UNetConfig.self, from: data)
    let store = ParameterStore()
    let unet = try UNet2DConditionModel(store.root(), config: config)
    try store.load(tensors("base/sd."))
    return (unet, store)
  }

  func objective(_ prediction: String) throws -> DenoisingObjective {
    var c = SchedulerConfig()
    c.numTrainTimesteps = 1000
    c.betaStart = 0.00085
    c.betaEnd = 0.012
    c.betaSchedule = "scaled_linear"
    c.predictionType = prediction
    return try DenoisingObjective(c)
  }

  func loss(_ o: DenoisingObjective, _ unet: UNet2DConditionModel, _ b: Batch) throws -> Tensor {
    try o.loss(unet, z0: b.z0, noise: b.noise, timesteps: b.timesteps, context: b.context)
  }

  /// The fixture's initial adapters (peft names) as a LoRA file's modules.
  func initialAdapters() throws -> LoRAWeights {
    let flat = try tensors("lora/init.")
    var modules: [String: LoRAWeights.Module] = [:]
    for (key, down) in flat where key.hasSuffix(".lora_A.weight") {
      let module = String(key.dropLast(".lora_A.weight".count))
      modules[module] = .init(down: down, up: try XCTUnwrap(flat[module + ".lora_B.weight"]), alpha: 4)
    }
    return LoRAWeights(modules: modules)
  }

  func testLoRAStepMatchesDiffusersAndPeft() throws {
    let (unet, store) = try baseUNet()
    let adapters = ParameterStore()
    try initialAdapters().attach(to: store, adapters: adapters, file: "fixture")
    XCTAssertEqual(adapters.trainable.count, 64, "to_q/to_k/to_v/to_out.0 of 8 attentions, down and up each")
    let adam = try AdamW(parameters: adapters.trainable, learningRate: 1e-2, weightDecay: 1e-2)
    adam.zeroGrad()
    let o = try objective("epsilon")
    let l = try loss(o, unet, batch(1))
    assertClose(l, try fx.file.tensor("lora/loss").reshaped([]), rtol: 1e-5, atol: 0, "loss")
    try l.backward()
    let grads = try tensors("lora/grad.")
    XCTAssertEqual(grads.count, 64)
    for p in adapters.trainable {
      // A tiny UNet's gradient through ~30 layers: 1e-7-level reorderings in every GEMM.
      assertClose(try XCTUnwrap(p.value.grad, p.path), try XCTUnwrap(grads[p.path]), rtol: 1e-4, atol: 1e-6, p.path)
    }
    for p in store.all { XCTAssertNil(p.value.grad, "\(p.path) is frozen") }
    // Clipping as the trainer does it: the factor applied while AdamW reads the gradients.
    let norm = try GradientClipping.norm(adapters.trainable)
    XCTAssertEqual(norm, try fx.file.tensor("lora/norm").toArray()[0], accuracy: 1e-5)
    XCTAssertEqual(try adam.step(gradientScale: GradientClipping.coefficient(norm: norm, maxNorm: 0.05)), 64)
    let after = try tensors("lora/after.")
    try assertAdamUpdates(
      adapters.trainable.map { ($0.path, $0.value) }, after, rtol: 1e-5, atol: 1e-6, learningRate: 1e-2, steps: 1,
      gradients: grads)

    // The file we write has exactly the keys and values diffusers' save_lora_weights wrote.
    let dir = try temporaryDirectory()
    let file = dir + "/pytorch_lora_weights.safetensors"
    try LoRAWeights(attachedTo: store).write(to: file, targets: ["to_k", "to_q", "to_v", "to_out.0"])
    let ours = try SafeTensorsFile(path: file)
    let theirs = try tensors("lora/file.")
    XCTAssertEqual(Set(ours.names), Set(theirs.keys))
    let written = try ours.names.map { ($0, try ours.tensor($0)) }
    try assertAdamUpdates(written, theirs, rtol: 1e-5, atol: 1e-6, learningRate: 1e-2, steps: 1)
    XCTAssertEqual(ours.metadata["format"], "pt")
    XCTAssertNotNil(ours.metadata["lora_adapter_metadata"])
  }

  /// diffusers' file, merged into a fresh base UNet, gives diffusers' output with the LoRA loaded.
  func testDiffusersLoRAFileMergedGivesDiffusersOutput() throws {
    let dir = try temporaryDirectory()
    let path = dir + "/pytorch_lora_weights.safetensors"
    try SafeTensorsWriter.write(try tensors("lora/file."), metadata: ["format": "pt"], to: path)
    let lora = try LoRAWeights.load(path)
    XCTAssertEqual(lora.modules.count, 32)
    let (unet, store) = try baseUNet()
    try lora.merge(into: store, file: path)
    let b = try batch(1)
    let o = try objective("epsilon")
    let out = try withoutGrad {
      try unet(
        o.noisy(b.z0, noise: b.noise, timesteps: b.timesteps),
        timestep: Tensor(b.timesteps.map(Float.init), shape: [2]), encoderHiddenStates: b.context)
    }
    assertClose(out, try fx.file.tensor("lora/loaded_out"), rtol: 1e-4, atol: 1e-5, "merged LoRA output")
  }

  /// Adapters with alpha 8 at rank 4 (scale 2), written and read back, merged: the output of
  /// the adapters unmerged, because the file folds the scale into `up`.
  func testAnAlphaOtherThanTheRankSurvivesTheFile() throws {
    var lora = try initialAdapters()
    for key in lora.modules.keys { lora.modules[key]!.alpha = 8 }
    let (unet, store) = try baseUNet()
    try lora.attach(to: store, adapters: ParameterStore(), file: "fixture")
    let b = try batch(1)
    func output(_ unet: UNet2DConditionModel) throws -> Tensor {
      try withoutGrad {
        try unet(b.z0, timestep: Tensor(b.timesteps.map(Float.init), shape: [2]), encoderHiddenStates: b.context)
      }
    }
    let unmerged = try output(unet)
    let path = try temporaryDirectory() + "/pytorch_lora_weights.safetensors"
    try LoRAWeights(attachedTo: store).write(to: path, targets: ["to_q"])
    let (fresh, freshStore) = try baseUNet()
    let read = try LoRAWeights.load(path)
    XCTAssertEqual(Set(read.modules.values.map(\.alpha)), [4], "alpha written as the rank")
    try read.merge(into: freshStore, file: path)
    assertClose(try output(fresh), unmerged, rtol: 1e-4, atol: 1e-5, "merged from the file vs unmerged")
    let (plain, _) = try baseUNet()
    XCTAssertGreaterThan(try (output(plain) - unmerged).abs().max().toArray()[0], 1e-3, "the adapters matter")
  }

  func testFullStepsWithEMAMatchDiffusers() throws {
    let (unet, store) = try baseUNet()
    let adam = try AdamW(parameters: store.trainable, learningRate: 1e-3, weightDecay: 1e-2)
    let ema = try ExponentialMovingAverage(parameters: store.all, decay: 0.9999)
    let o = try objective("v_prediction")
    for k in 1...2 {
      adam.zeroGrad()
      let l = try loss(o, unet, batch(k))
      assertClose(l, try fx.file.tensor("full/loss\(k)").reshaped([]), rtol: 1e-5, atol: 0, "loss \(k)")
      try l.backward()
      if k == 1 {
        let grads = try tensors("full/grad1.")
        XCTAssertEqual(grads.count, store.trainable.count)
        for p in store.trainable {
          let reference = try XCTUnwrap(grads[p.path])
          // Scale-aware: gradients range over 1e-6 .. 1 across layers.
          let scale = try reference.toArray().map(abs).max() ?? 0
          assertClose(try XCTUnwrap(p.value.grad, p.path), reference, rtol: 1e-4, atol: 1e-5 * scale, p.path)
        }
      }
      let norm = try GradientClipping.clipNorm(store.trainable, maxNorm: 1)
      XCTAssertEqual(norm, try fx.file.tensor("full/norm\(k)").toArray()[0], accuracy: 1e-5)
      try adam.step()
      try ema.step(store.all)
    }
    XCTAssertEqual(ema.optimizationStep, 2)
    XCTAssertEqual(ema.decay(atStep: 2), 2.0 / 11.0, accuracy: 1e-12)
    let after = try tensors("full/after.")
    XCTAssertEqual(Set(after.keys), Set(store.all.map(\.path)))
    try assertAdamUpdates(
      store.all.map { ($0.path, $0.value) }, after, rtol: 1e-4, atol: 1e-5, learningRate: 1e-3, steps: 2)
    let averaged = try tensors("full/ema.")
    XCTAssertEqual(Set(averaged.keys), Set(ema.shadow.keys))
    try assertAdamUpdates(
      ema.shadow.map { ($0.key, $0.value) }, averaged, rtol: 1e-4, atol: 1e-5, learningRate: 1e-3, steps: 2)

    // The unet_ema folder we write is the one EMAModel.save_pretrained wrote: the same tensors
    // and every config key with its value (the version stamp aside), so from_pretrained reads
    // it as it reads its own.
    let folder = try temporaryDirectory() + "/unet_ema"
    let base = try XCTUnwrap(try fx.case("base").params["config"] as? [String: Any])
    try DiffusersUNetFolder.write(ema.shadow, config: base, to: folder, ema: ema)
    let written = try SafeTensorsFile(path: folder + "/diffusion_pytorch_model.safetensors")
    XCTAssertEqual(Set(written.names), Set(averaged.keys))
    for (k, v) in averaged { XCTAssertEqual(try written.tensor(k).toArray(), try ema.shadow[k]!.toArray(), k) }
    let ours = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/config.json")))
        as? [String: Any])
    let theirs = try XCTUnwrap(try fx.case("full").params["ema_config"] as? [String: Any])
    for (key, value) in theirs where key != "_diffusers_version" {
      // Numbers compare as numbers: JSONSerialization writes 1.0 as 1, which Python reads alike.
      // (Booleans are numbers here too: false and 0 are one NSNumber on Linux.)
      if let a = (ours[key] as? NSNumber)?.doubleValue, let b = (value as? NSNumber)?.doubleValue {
        XCTAssertEqual(a, b, key)
      } else {
        XCTAssertEqual(ours[key].map { "\($0)" }, "\(value)", key)
      }
    }
  }

  /// With activation checkpointing (each resnet and transformer recomputed in the backward),
  /// the loss and every weight's gradient are those of the plain backward.
  func testActivationCheckpointingGivesTheSameGradients() throws {
    let (unet, store) = try baseUNet()
    let o = try objective("epsilon")
    let b = try batch(2)
    func gradients(checkpointed: Bool) throws -> (Float, [String: Tensor]) {
      OptimizerStepsForTests.zeroGrad(store.trainable)
      let l = try loss(o, unet, b)
      if checkpointed {
        try ActivationCheckpointing.run { try loss(o, unet, b).backward() }
      } else {
        try l.backward()
      }
      return (
        try l.toArray()[0],
        Dictionary(uniqueKeysWithValues: try store.trainable.map { ($0.path, try XCTUnwrap($0.value.grad, $0.path)) })
      )
    }
    let (plainLoss, plain) = try gradients(checkpointed: false)
    let (checkpointedLoss, checkpointed) = try gradients(checkpointed: true)
    XCTAssertEqual(plainLoss, checkpointedLoss)
    XCTAssertEqual(Set(plain.keys), Set(checkpointed.keys))
    for (path, g) in plain {
      let scale = try g.toArray().map(abs).max() ?? 0
      // The same ops on the same values; only the order gradients are summed in may differ.
      assertClose(try XCTUnwrap(checkpointed[path]), g, rtol: 1e-5, atol: 1e-6 * scale, path)
    }
  }

  func testSchedulesMatchGetScheduler() throws {
    for kind in FineTuneSchedule.Kind.allCases {
      let schedule = FineTuneSchedule(kind: kind, base: 0.5, warmupSteps: 4, totalSteps: 12)
      let expected = try fx.file.tensor("schedule/\(kind.rawValue)").toArray()
      XCTAssertEqual(expected.count, 12)
      for (k, rate) in expected.enumerated() {
        XCTAssertEqual(schedule.rate(step: k), rate, accuracy: 1e-7, "\(kind) step \(k)")
      }
    }
  }

  /// Two micro-batches of one face, each loss halved, accumulate the gradient of the batch of two.
  func testGradientAccumulationEqualsTheWholeBatch() throws {
    let (unet, store) = try baseUNet()
    let o = try objective("epsilon")
    let b = try batch(1)
    OptimizerStepsForTests.zeroGrad(store.trainable)
    try loss(o, unet, b).backward()
    let whole = Dictionary(uniqueKeysWithValues: try store.trainable.map { ($0.path, try XCTUnwrap($0.value.grad)) })
    OptimizerStepsForTests.zeroGrad(store.trainable)
    for i in 0..<2 {
      let part = Batch(
        z0: try b.z0.sliced(axis: 0, range: i..<(i + 1)), noise: try b.noise.sliced(axis: 0, range: i..<(i + 1)),
        timesteps: [b.timesteps[i]], context: try b.context.sliced(axis: 0, range: i..<(i + 1)))
      try (loss(o, unet, part) * 0.5).backward()
    }
    for p in store.trainable {
      let reference = try XCTUnwrap(whole[p.path])
      let scale = try reference.toArray().map(abs).max() ?? 0
      assertClose(try XCTUnwrap(p.value.grad), reference, rtol: 1e-4, atol: 1e-5 * scale, p.path)
    }
  }

  /// Values after AdamW steps against the reference. Adam moves a weight by about
  /// `lr * g / (|g| + eps)`: where a gradient is near eps (1e-8) in size, its last-bit
  /// differences change that ratio, so a handful of weights legitimately land a fraction of
  /// `lr` apart. The rest must agree to `rtol`/`atol`; at most 0.1 % may not, each within
  /// 0.1 * lr per step and, where `gradients` are given, only where the gradient is below 1e-6.
  func assertAdamUpdates(
    _ actual: [(String, Tensor)], _ expected: [String: Tensor], rtol: Float, atol: Float, learningRate: Float,
    steps: Int, gradients: [String: Tensor]? = nil, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    var (total, outliers) = (0, 0)
    for (name, value) in actual {
      let a = try value.converted(to: .float32).toArray()
      let e = try XCTUnwrap(expected[name], name, file: file, line: line).toArray()
      XCTAssertEqual(a.count, e.count, name, file: file, line: line)
      let g = try gradients?[name].map { try $0.toArray() }
      for i in 0..<min(a.count, e.count) where abs(a[i] - e[i]) > atol + rtol * abs(e[i]) {
        outliers += 1
        XCTAssertLessThanOrEqual(
          abs(a[i] - e[i]), 0.1 * learningRate * Float(steps), "\(name)[\(i)]: \(a[i]) vs \(e[i])", file: file,
          line: line)
        if let g {
          XCTAssertLessThan(abs(g[i]), 1e-6, "\(name)[\(i)] differs with a gradient of \(g[i])", file: file, line: line)
        }
      }
      total += a.count
    }
    XCTAssertLessThanOrEqual(outliers * 1000, total, "\(outliers) of \(total) values differ", file: file, line: line)
  }

  func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-finetune-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
  }
}

/// `optimizer.zero_grad()` without an optimizer: fresh leaves.
enum OptimizerStepsForTests {
  static func zeroGrad(_ parameters: [Parameter]) {
    for p in parameters { p.value = p.value.detached().requiringGrad() }
  }
}
