import AGFASImage
import Foundation
import XCTest

/// PNG writes go through a temporary file in the same folder and a rename.
final class AtomicWriteTests: XCTestCase {
  /// The PNG lands at the path, replaces an older file there, and no temporary file is left.
  func testWritePNGReplacesTheFileAndLeavesNoTemporary() throws {
    let scratch = try ScratchDir()
    let path = scratch.path("face.png")
    let first = try Image(width: 4, height: 3, channels: 3, value: 10)
    let second = try Image(width: 5, height: 2, channels: 4, value: 200)
    try first.writePNG(to: path)
    XCTAssertEqual(try Image(contentsOfFile: path), first)
    try second.writePNG(to: path)
    XCTAssertEqual(try Image(contentsOfFile: path), second)
    XCTAssertEqual(scratch.contents, ["face.png"])
    let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? 0
    XCTAssertEqual(mode & 0o044, 0o044 & ~Int(umaskValue()), "readable by others as the umask allows, not 0600")
  }

  /// A folder that does not exist, or a destination that cannot be replaced (a non-empty
  /// folder), fail with writeFailed naming the path, and leave no temporary file behind.
  func testFailedWritesLeaveNothingBehind() throws {
    let scratch = try ScratchDir()
    let image = try Image(width: 2, height: 2, channels: 1)
    let missing = scratch.path("no/such/folder/face.png")
    assertImageError(.writeFailed, "cannot write", missing) {
      try image.writePNG(to: missing)
    }
    let occupied = scratch.path("taken")
    try FileManager.default.createDirectory(atPath: occupied + "/inside", withIntermediateDirectories: true)
    assertImageError(.writeFailed, "cannot write", occupied, "rename") {
      try image.writePNG(to: occupied)
    }
    XCTAssertEqual(scratch.contents, ["taken"])
  }

  private func umaskValue() -> mode_t {
    let old = umask(0)
    umask(old)
    return old
  }
}
