import AGFASCheckpoint
import AGFASEngine
import Foundation
import XCTest

/// Weights loaded without a copy (`StateDict.load(mapped: true)`): the same values as a copy
/// in every file format, and pages that leave memory once a kernel holds its own copy.
final class MappedLoadingTests: XCTestCase {
  /// Every tensor of the HF folders (safetensors and .bin, single and sharded) and of the torch
  /// files, mapped whatever its size, equals the copy; fp32/bf16 contiguous ones are mapped.
  func testMappedTensorsEqualCopiesInEveryFormat() throws {
    let sources = ["hf/vit_safetensors", "hf/vit_bin", "hf/vit_sharded_bin", "state_dict.pt", "state_dict_legacy.pt"]
    var mappedCount = 0
    for source in sources {
      let path = Fixtures.path(source)
      for file in try StateDict.files(path) {
        for (name, t) in try Checkpoint.load(path: file).stateDict().namedTensors() {
          let copy = try t.load()
          let mapped = try t.loadMapped(minimumMappedBytes: 0)
          XCTAssertEqual(mapped.shape, copy.shape, "\(source) \(name)")
          XCTAssertEqual(mapped.dtype, copy.dtype, "\(source) \(name)")
          XCTAssertEqual(mapped.toArray(), copy.toArray(), "\(source) \(name)")
          if mapped.storage.isFileMapping { mappedCount += 1 }
          XCTAssertFalse(copy.storage.isFileMapping)
        }
      }
    }
    XCTAssertGreaterThan(mappedCount, 40)
  }

  /// A 4 MiB conv weight: mapped, read (resident), then used by a convolution, whose cached
  /// blocked copy lets the mapped pages go; the output and the plain values stay exact.
  func testMappedWeightLeavesMemoryOnceTheKernelHasItsCopy() throws {
    let gen = TorchGenerator(seed: 3)
    let weight = gen.randn([128, 128, 8, 8])  // 4 MiB of fp32
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-mapped-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: file) }
    try SafeTensorsWriter.write(["w": weight], to: file.path)
    let small = try StateDict.load(path: file.path, mapped: true, minimumMappedBytes: 1 << 30)["w"]!
    XCTAssertFalse(small.storage.isFileMapping, "under the size floor tensors are copied")
    let mapped = try XCTUnwrap(StateDict.load(path: file.path, mapped: true)["w"])
    XCTAssertTrue(mapped.storage.isFileMapping)
    XCTAssertEqual(mapped.toArray(), weight.toArray())
    XCTAssertGreaterThan(residentBytes(of: mapped.storage), 3 << 20)

    let x = try gen.randn([1, 128, 16, 16]).channelsLast()
    let y = try withoutGrad { try x.conv2d(weight: mapped, bias: nil, padding: (3, 3)) }
    let expected = try withoutGrad { try x.conv2d(weight: weight, bias: nil, padding: (3, 3)) }
    XCTAssertEqual(y.toArray(), expected.toArray())
    XCTAssertTrue(mapped.storage.hasDerivedValues, "oneDNN took a blocked copy of the weight")
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    XCTAssertLessThanOrEqual(residentBytes(of: mapped.storage), 3 * page, "header and edge pages at most")
    XCTAssertEqual(mapped.toArray(), weight.toArray(), "released pages read back from the file")
    let again = try withoutGrad { try x.conv2d(weight: mapped, bias: nil, padding: (3, 3)) }
    XCTAssertEqual(again.toArray(), expected.toArray())
  }

  /// Resident bytes of the mapping (/proc/self/smaps) that holds `storage`.
  func residentBytes(of storage: TensorStorage) -> Int {
    // Read to the end: String(contentsOfFile:) stops after the first page of a /proc file.
    guard let data = FileHandle(forReadingAtPath: "/proc/self/smaps")?.readDataToEndOfFile() else { return -1 }
    let smaps = String(decoding: data, as: UTF8.self)
    let address = UInt(bitPattern: Int(bitPattern: storage.raw))
    var inside = false
    for line in smaps.split(separator: "\n") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
        let ends = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
        inside = ends.count == 2 && ends[0] <= address && address < ends[1]
      } else if inside, fields.first == "Rss:", fields.count >= 2, let kb = Int(fields[1]) {
        return kb * 1024
      }
    }
    return -1
  }
}
