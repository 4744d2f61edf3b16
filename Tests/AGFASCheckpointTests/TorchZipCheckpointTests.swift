import AGFASCheckpoint
import AGFASEngine
import XCTest

/// PyTorch zip checkpoints (torch.save since 1.6) read as torch.load reads them.
final class TorchZipCheckpointTests: XCTestCase {
  /// Loads every tensor `file` lists and compares listing and values with torch's, exactly:
  /// every conversion (fp16/bf16/int -> fp32, fp64 -> fp32 round-to-nearest) is exact or
  /// rounds as torch's `.float()` does.
  static func assertMatchesTorch(_ file: String, path: String? = nil, line: UInt = #line) throws {
    let value = try Checkpoint.load(path: path ?? Fixtures.path(file))
    XCTAssertEqual(value.listing, try Fixtures.listing(file), line: line)
    let expected = try Fixtures.expected.get()
    for (name, t) in value.namedTensors() {
      let loaded = try t.load()
      XCTAssertEqual(loaded.shape, t.shape, name, line: line)
      XCTAssertEqual(loaded.dtype, t.dtype == .bfloat16 ? .bfloat16 : .float32, name, line: line)
      XCTAssertEqual(loaded.toArray(), try expected.tensor("\(file)/\(name)").toArray(), name, line: line)
    }
  }

  func testStateDictViewsAndDTypesEqualTorch() throws {
    try Self.assertMatchesTorch("state_dict.pt")
    let sd = try Checkpoint.load(path: Fixtures.path("state_dict.pt"))
    // The views really are views: they share the base storage at an offset and with strides.
    let window = try XCTUnwrap(sd["window"]?.tensor)
    XCTAssertEqual(window.storageKey, sd["weight"]?.tensor?.storageKey)
    XCTAssertEqual(window.storageOffset, 8)
    XCTAssertEqual(window.strides, [6, 1])
    XCTAssertEqual(sd["weight_t"]?.tensor?.strides, [1, 6])
    XCTAssertEqual(sd["expanded"]?.tensor?.strides, [0, 1])
    XCTAssertEqual(sd["half"]?.tensor?.dtype, .float16)
  }

  func testProtocol4StateDictEqualsTorch() throws {
    try Self.assertMatchesTorch("state_dict_p4.pt")
  }

  func testTrainingCheckpointIsNavigable() throws {
    try Self.assertMatchesTorch("training.pth")
    let ckpt = try Checkpoint.load(path: Fixtures.path("training.pth"))
    XCTAssertEqual(ckpt["epoch"]?.int, 3)
    XCTAssertEqual(ckpt["best_acc"]?.double, 0.875)
    XCTAssertEqual(ckpt["arch"]?.string, "resnet18")
    if case .none? = ckpt["note"] {} else { XCTFail("note is \(String(describing: ckpt["note"]))") }
    XCTAssertEqual(ckpt["history"]?.elements?.compactMap(\.double), [0.5, 0.25])
    if case .bytes(let b)? = ckpt["blob"] { XCTAssertEqual(b, [0, 255, 97, 98]) } else { XCTFail("blob") }
    if case .bigInt(let b)? = ckpt["seed"] { XCTAssertEqual(b, [0, 0, 0, 0, 0, 0, 0, 0, 64]) } else { XCTFail("seed") }
    // numpy scalars, as the AG-FAS reference's save_checkpoint stores its metrics.
    let info = try XCTUnwrap(ckpt["info"])
    XCTAssertEqual(info["threshold"]?.double, 0.5)
    let args = try XCTUnwrap(info["valid_args"]?.elements)
    XCTAssertEqual(args.count, 4)
    XCTAssertEqual(args[0].double, 0.25)
    XCTAssertEqual(args[1].double, 1.5)
    XCTAssertEqual(args[2].int, -3)
    if case .bool(true) = args[3] {} else { XCTFail("numpy bool is \(args[3])") }
    if case .tuple(let size)? = ckpt["input_size"] {
      XCTAssertEqual(size.compactMap(\.int), [2, 3])
    } else {
      XCTFail("torch.Size")
    }

    let sd = ckpt.stateDict().strippingPrefix()
    XCTAssertEqual(sd.listing.map(\.name).first, "0.weight")
    XCTAssertEqual(sd["1.num_batches_tracked"]?.tensor?.dtype, .int64)
    XCTAssertEqual(try sd["1.num_batches_tracked"]?.tensor?.load().item(), 1)

    // Optimizer state is keyed by parameter index (int keys).
    let optimizer = try XCTUnwrap(ckpt["optimizer"])
    XCTAssertEqual(optimizer["state"]?[0]?["exp_avg"]?.tensor?.shape, [3, 2, 3, 3])
    let group = try XCTUnwrap(optimizer["param_groups"]?[0])
    XCTAssertEqual(group["lr"]?.double, 1e-3)
    XCTAssertEqual(group["betas"]?.elements?.compactMap(\.double), [0.9, 0.999])
    XCTAssertEqual(group["params"]?.elements?.compactMap(\.int), [0, 1, 2, 3, 4, 5])
  }

  func testSafeTensorsListSortedLikeTheSafetensorsLibrary() throws {
    XCTAssertEqual(try Checkpoint.kind(path: Fixtures.path("weights.safetensors")), .safetensors)
    try Self.assertMatchesTorch("weights.safetensors")
  }

  func testFileKindIsSniffed() throws {
    XCTAssertEqual(try Checkpoint.kind(path: Fixtures.path("state_dict.pt")), .torchZip)
    XCTAssertEqual(try Checkpoint.kind(path: Fixtures.path("state_dict_legacy.pt")), .torchLegacy)
    // A 128-byte safetensors header starts the file with 0x80, like a pickle's PROTO.
    var header = Array(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.utf8)
    header += [UInt8](repeating: 0x20, count: 128 - header.count)
    let scratch = try ScratchDir()
    let path = try scratch.write([0x80, 0, 0, 0, 0, 0, 0, 0] + header + [0, 0, 0x80, 0x3F], "h128.safetensors")
    XCTAssertEqual(try Checkpoint.kind(path: path), .safetensors)
    XCTAssertEqual(try Checkpoint.load(path: path)["a"]?.tensor?.load().toArray(), [1])
  }

  func testNavigationHelpers() throws {
    let v = CheckpointValue.dict([
      (.string("module.a"), .int(1)), (.string("b"), .list([.string("x")])), (.int(7), .bool(true)),
    ])
    XCTAssertEqual(v.strippingPrefix()["a"]?.int, 1)
    XCTAssertEqual(v.strippingPrefix()["b"]?[0]?.string, "x")
    XCTAssertEqual(v[7]?.bool, true)
    XCTAssertNil(v["missing"])
    XCTAssertNil(v["b"]?[5])
    XCTAssertEqual(v.stateDict()["b"]?[0]?.string, "x", "no state_dict key: the value itself")
    XCTAssertEqual(v.description, "{'module.a': 1, 'b': ['x'], 7: True}")
  }
}
