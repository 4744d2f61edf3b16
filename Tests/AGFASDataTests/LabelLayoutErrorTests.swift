import AGFASData
import Foundation
import XCTest

/// Trees that do not match the named layout are refused with an error naming the path.
final class LabelLayoutErrorTests: TreeTestCase {
  /// Makes `files` and expects `LabelList.make` to throw `expected`; `root` in `expected` is
  /// the tree's root path.
  func assertRefused(
    _ layout: DatasetLayout, _ files: [String], _ expected: (String) -> DataError, line: UInt = #line
  ) throws {
    let root = try makeTree("t\(line)", files)
    XCTAssertThrowsError(try LabelList.make(layout: layout, root: root, pathPrefix: root), line: line) { error in
      XCTAssertEqual(error as? DataError, expected(root), line: line)
    }
  }

  func testMSUNeedsRealOrAttackFolders() throws {
    try assertRefused(.msu, ["scene01/real/v1/1.png", "scene01/spoof/v2/1.png"]) { _ in
      .layout(
        dataset: "msu", path: "scene01/spoof/v2",
        reason: "no real/ or attack/ folder on the path (MSU-MFSD puts videos under real/ or attack/)")
    }
    try assertRefused(.msu, ["real/v1/1.png"]) { .missingClass(dataset: "msu", root: $0, kind: "spoof") }
  }

  func testCASIANeedsReleasesAndItsVideoNames() throws {
    try assertRefused(.casia, ["train/1/1/1.png"]) { _ in
      .layout(
        dataset: "casia", path: "train/1/1",
        reason: "no train_release/ or test_release/ folder on the path (CASIA-FASD's two releases)")
    }
    try assertRefused(.casia, ["train_release/1/9/1.png"]) { _ in
      .layout(
        dataset: "casia", path: "train_release/1/9",
        reason: "video folder '9' is not one of CASIA's 1, 2, 3, 4, 5, 6, 7, 8, HR_1, HR_2, HR_3, HR_4")
    }
  }

  func testReplayNeedsItsPartsAndExcludesDevel() throws {
    try assertRefused(.replay, ["train/real/v/1.png", "train/attack/fixed/v/1.png", "extra/real/v/1.png"]) { _ in
      .layout(
        dataset: "replay", path: "extra/real/v",
        reason:
          "no train/ or devel/ or test/ or replayattack-train/ or replayattack-devel/ or replayattack-test/ folder on the path (Replay-Attack's three parts)"
      )
    }
    // The only spoof video is in devel, which the reference leaves out, under either name.
    for devel in ["devel", "replayattack-devel"] {
      try assertRefused(.replay, ["train/real/v/1.png", "\(devel)/attack/hand/v/1.png"]) {
        .missingClass(dataset: "replay", root: $0, kind: "spoof")
      }
    }
    // The authors' part names are read as the dataset's own.
    let root = try makeTree(
      "replayattack", ["replayattack-train/real/v/1.png", "replayattack-test/attack/fixed/w/1.png"])
    let lists = try LabelList.make(layout: .replay, root: root, pathPrefix: "")
    XCTAssertFalse(lists.isEmpty)
  }

  func testOULUNeedsItsPartsAndVideoNames() throws {
    try assertRefused(.oulu, ["Train_files/1_1_01_1/1.png", "Train_files/1_1_01_x/1.png"]) { _ in
      .layout(
        dataset: "oulu", path: "Train_files/1_1_01_x",
        reason: "video folder '1_1_01_x' is not named Phone_Session_User_File (e.g. 1_1_01_1)")
    }
    try assertRefused(.oulu, ["Train/1_1_01_1/1.png"]) { _ in
      .layout(
        dataset: "oulu", path: "Train/1_1_01_1",
        reason: "no Train_files/ or Dev_files/ or Test_files/ folder on the path (OULU-NPU's three parts)")
    }
  }

  func testFoldersNeedsDomainClassVideo() throws {
    let reason = "expected <domain>/live/<video> or <domain>/spoof/<video> under the root"
    try assertRefused(.folders, ["d/live/v/1.png", "d/fake/v/1.png"]) { _ in
      .layout(dataset: "folders", path: "d/fake/v", reason: reason)
    }
    try assertRefused(.folders, ["d/live/v/w/1.png"]) { _ in
      .layout(dataset: "folders", path: "d/live/v/w", reason: reason)
    }
  }

  func testFramesMustBeNumberedPNGsInVideoFolders() throws {
    try assertRefused(.folders, ["d/live/v/1.png", "d/live/v/frame_2.png"]) { _ in
      .badFrameName(path: "d/live/v/frame_2.png", reason: "frame name is not <index>.png with a decimal index")
    }
    try assertRefused(.folders, ["d/live/v/7.png", "d/live/v/007.png"]) { _ in
      .badFrameName(path: "d/live/v/7.png", reason: "frame number 7 also named 007.png")
    }
    try assertRefused(.folders, ["d/live/v/1.png", "d/spoof/w/"]) { _ in .noFrames(path: "d/spoof/w") }
    try assertRefused(.folders, ["d/spoof/w/1.jpg"]) { _ in .noFrames(path: "d/spoof/w") }
    try assertRefused(.folders, ["1.png"]) { .framesInRoot(root: $0) }
    try assertRefused(.folders, []) { .noVideos(root: $0) }
    XCTAssertThrowsError(try LabelList.make(layout: .msu, root: "/nonexistent-agfas", pathPrefix: "")) {
      XCTAssertEqual($0 as? DataError, .notAFolder(path: "/nonexistent-agfas"))
    }
  }

  func testMessagesNameThePath() {
    XCTAssertEqual(
      DataError.noFrames(path: "d/spoof/w").description,
      "d/spoof/w: folder has no PNG frames and no subfolders (expected <index>.png frames of one video)")
    XCTAssertEqual(
      DataError.missingClass(dataset: "msu", root: "/r", kind: "spoof").description,
      "/r: no spoof videos found for msu; is this the right --dataset and --root?")
  }
}
