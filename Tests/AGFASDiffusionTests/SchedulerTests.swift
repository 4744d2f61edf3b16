import AGFASDiffusion
import AGFASEngine
import AGFASTestSupport
import Foundation
import XCTest

/// PNDM and DDIM against diffusers 0.16.1, step by step, driven as the AG-FAS reference drives
/// them (a 50-step schedule entered at t <= 801).
final class SchedulerTests: XCTestCase {
  let fx = try! Fixture("schedulers")

  func config(_ c: FixtureCase) throws -> SchedulerConfig {
    let data = try JSONSerialization.data(withJSONObject: c.params["config"] ?? [:])
    return try JSONDecoder().decode(SchedulerConfig.self, from: data)
  }

  func testSD15NoiseScheduleEqualsDiffusers() throws {
    let c = try fx.case("schedule_sd15")
    let cfg = try config(c)
    XCTAssertEqual(cfg, .stableDiffusion15)
    let s = try NoiseSchedule(cfg, setAlphaToOneDefault: false)
    assertClose(
      try Tensor(s.alphasCumprod, shape: [1000]), try c.tensor("alphas_cumprod"), rtol: 1e-6, atol: 0, "alphas_cumprod")
    XCTAssertEqual(s.finalAlphaCumprod, try c.tensor("final").item())
  }

  func testPNDMTimestepsIncludeTheRepeatedStep() throws {
    let c = try fx.case("pndm_50_801")
    let p = try PNDMScheduler(config: .stableDiffusion15)
    try p.setTimesteps(50)
    XCTAssertEqual(p.timesteps, c.ints("all_timesteps"))
    XCTAssertEqual(Array(p.timesteps.prefix(4)), [981, 961, 961, 941])
    XCTAssertEqual(p.timesteps.filter { $0 <= 801 }.count, 41)
  }

  /// Replays the stored model outputs and compares every intermediate sample.
  func replay(_ name: String, kind: String, rtol: Float = 1e-5, atol: Float = 1e-5) throws {
    let c = try fx.case(name)
    let s = try makeScheduler(.init(fromFixture: c), kind: kind)
    try s.setTimesteps(c.int("steps"))
    let timesteps = s.timesteps.filter { $0 <= c.int("strength") }
    XCTAssertEqual(timesteps, c.ints("timesteps"), name)
    var sample = try c.tensor("sample0")
    for (i, t) in timesteps.enumerated() {
      sample = try s.step(modelOutput: c.tensor("eps\(i)"), timestep: t, sample: sample)
      assertClose(sample, try c.tensor("sample\(i + 1)"), rtol: rtol, atol: atol, "\(name) step \(i) (t=\(t))")
    }
  }

  func testPNDMTruncatedAt801MatchesDiffusersEveryStep() throws {
    try replay("pndm_50_801", kind: "pndm")
  }

  func testPNDMFullScheduleAndOtherEntriesMatchDiffusers() throws {
    try replay("pndm_50_full", kind: "pndm")
    try replay("pndm_20_601", kind: "pndm")
  }

  func testDDIMMatchesDiffusersWithAndWithoutClipping() throws {
    try replay("ddim_50_801", kind: "ddim")
    try replay("ddim_linear_clip_25_1000", kind: "ddim")
  }

  func testAddNoiseMatchesDiffusers() throws {
    let c = try fx.case("add_noise_801")
    let p = try PNDMScheduler(config: .stableDiffusion15)
    let noisy = try p.addNoise(c.tensor("x0"), noise: c.tensor("noise"), timestep: 801)
    assertClose(noisy, try c.tensor("noisy"), rtol: 1e-6, atol: 1e-6)
  }

  func testMisuseAndUnsupportedConfigsAreExplained() throws {
    let p = try PNDMScheduler(config: .stableDiffusion15)
    XCTAssertThrowsError(try p.step(modelOutput: .zeros([1]), timestep: 1, sample: .zeros([1]))) { e in
      XCTAssertEqual("\(e)", "scheduler: call setTimesteps before step")
    }
    var prk = SchedulerConfig.stableDiffusion15
    prk.skipPrkSteps = false
    XCTAssertThrowsError(try PNDMScheduler(config: prk)) { e in XCTAssertTrue("\(e)".contains("skip_prk_steps"), "\(e)")
    }
    var cosine = SchedulerConfig.stableDiffusion15
    cosine.betaSchedule = "squaredcos_cap_v2"
    XCTAssertThrowsError(try PNDMScheduler(config: cosine)) { e in
      XCTAssertTrue("\(e)".contains("squaredcos_cap_v2"), "\(e)")
    }
    XCTAssertThrowsError(try makeScheduler(.stableDiffusion15, kind: "euler")) { e in
      XCTAssertTrue("\(e)".contains("euler"), "\(e)")
    }
  }
}

extension SchedulerConfig {
  init(fromFixture c: FixtureCase) {
    self = .stableDiffusion15
    if c.name.contains("linear") {
      betaSchedule = "linear"
      betaStart = 0.0001
      betaEnd = 0.02
      clipSample = true
    }
  }
}
