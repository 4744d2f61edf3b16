import AGFASEvaluation
import AGFASImage
import AGFASReport
import AGFASTestSupport
import Foundation
import XCTest

/// `agfas evaluate --report`: attack kinds read off the datasets' video names, and the page as a
/// person sees it in headless Chromium.
final class EvaluationPageTests: XCTestCase {
  func testAttackKindsOfTheFourDatasets() {
    let cases: [(String, String)] = [
      ("attack_client001_android_SD_printed_photo_scene01", AttackType.print),  // MSU-MFSD
      ("attack_client001_laptop_SD_ipad_video_scene01", AttackType.replay),
      ("attack_client001_laptop_SD_iphone_video_scene01", AttackType.replay),
      ("attack_print_client001_session01_highdef_photo_adverse", AttackType.print),  // Replay-Attack
      ("attack_highdef_client001_session01_highdef_photo_adverse", AttackType.replay),
      ("attack_mobile_client001_session01_mobile_video_controlled", AttackType.replay),
      ("1_1_01_2", AttackType.print), ("6_3_55_3", AttackType.print),  // OULU-NPU
      ("1_1_01_4", AttackType.replay), ("2_2_20_5", AttackType.replay), ("1_1_01_1", AttackType.unknown),
      ("train_release/1/3", AttackType.print), ("test_release/30/HR_3", AttackType.print),  // CASIA-FASD
      ("train_release/1/7", AttackType.replay), ("test_release/30/HR_4", AttackType.replay),
      ("M/spoof/some_clip", AttackType.unknown), ("3d_mask_attack_01", AttackType.mask),
    ]
    for (name, kind) in cases { XCTAssertEqual(AttackType.of(video: name), kind, name) }
  }

  func testTheReportPageShowsTheCurvesHistogramsAndMetrics() throws {
    // Scores whose classes overlap, so every curve has a shape.
    var frames: [FrameScore] = []
    for i in 0..<40 {
      let t = Double(i) / 39
      frames.append(.init(score: 0.45 + 0.55 * t, label: 1, video: "real_client\(i)_laptop_SD_scene01"))
      frames.append(.init(score: 0.6 * t, label: 0, video: "attack_client\(i)_laptop_SD_printed_photo_scene01"))
      frames.append(.init(score: 0.2 + 0.6 * t, label: 0, video: "attack_client\(i)_laptop_SD_ipad_video_scene01"))
    }
    let report = try EvaluationReport(frames: frames, source: "scores.csv")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-eval-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let page = try EvaluationPage(report: report).write(to: folder.path)
    let html = try String(contentsOfFile: page, encoding: .utf8)
    XCTAssertTrue(html.contains(String(format: "%.2f %%", report.metrics.hter * 100)))
    XCTAssertTrue(html.contains("print (40)") && html.contains("replay (40)") && html.contains("live (40)"))

    // Rendered: three charts of real size, each with its curves drawn.
    let drawn = try HeadlessChromium.probe(
      page,
      """
      [...document.querySelectorAll('svg.chart')].map(s => {
        const b = s.getBoundingClientRect();
        return Math.round(b.width) + 'x' + Math.round(b.height) + ':' + s.querySelectorAll('polyline').length;
      }).join(' ')
      """)
    XCTAssertEqual(drawn, "440x380:2 440x380:2 440x380:3")
    // The screenshot shows the classes' colours: live green, print red, replay blue.
    let shot = try HeadlessChromium.screenshot(page, width: 1500, height: 900)
    for (name, rgb) in [("live", (0x1a, 0x98, 0x50)), ("print", (0xd7, 0x30, 0x27)), ("replay", (0x45, 0x75, 0xb4))] {
      XCTAssertGreaterThan(pixels(near: rgb, in: shot), 100, name)
    }
  }

  func pixels(near rgb: (Int, Int, Int), in image: AGFASImage.Image) -> Int {
    let p = image.rgb().pixels
    var count = 0
    for i in stride(from: 0, to: p.count, by: 3)
    where abs(Int(p[i]) - rgb.0) < 24 && abs(Int(p[i + 1]) - rgb.1) < 24 && abs(Int(p[i + 2]) - rgb.2) < 24 {
      count += 1
    }
    return count
  }
}
