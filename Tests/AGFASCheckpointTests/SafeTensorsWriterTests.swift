import AGFASCheckpoint
import AGFASEngine
import Foundation
import XCTest

/// `SafeTensorsWriter` output reads back through `SafeTensorsFile` unchanged.
final class SafeTensorsWriterTests: XCTestCase {
  func testWrittenFileReadsBackWithTensorsAndMetadata() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stw-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("state.safetensors").path
    let tensors: [String: Tensor] = [
      "a.weight": try Tensor([1, -2.5, 3, 0.125, 5, 6], shape: [2, 3]),
      "b": try Tensor([7], shape: []),
      "c.bf16": try Tensor([1.5, -3, 0.25], shape: [3]).converted(to: .bfloat16),
    ]
    try SafeTensorsWriter.write(tensors, metadata: ["iteration": "15"], to: path)
    // Overwriting goes through a rename too and leaves no temporary files.
    try SafeTensorsWriter.write(tensors, metadata: ["iteration": "16"], to: path)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["state.safetensors"])
    let file = try SafeTensorsFile(path: path)
    XCTAssertEqual(file.metadata, ["iteration": "16"])
    XCTAssertEqual(file.names, tensors.keys.sorted())
    for (name, t) in tensors {
      let back = try file.tensor(name)
      XCTAssertEqual(back.shape, t.shape, name)
      XCTAssertEqual(back.dtype, t.dtype, name)
      XCTAssertEqual(back.toArray(), t.toArray(), name)
    }
  }
}
