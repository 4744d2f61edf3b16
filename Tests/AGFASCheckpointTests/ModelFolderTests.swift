import AGFASCheckpoint
import AGFASEngine
import Foundation
import XCTest

/// Hugging Face model folders (single and sharded, safetensors and .bin) and the listing
/// `agfas inspect` prints, against what transformers/torch/safetensors wrote and list.
final class ModelFolderTests: XCTestCase {
  let variants = ["vit_safetensors", "vit_bin", "vit_sharded_bin", "vit_sharded_safetensors"]

  func testFolderListingsEqualTorchAndSafetensorsShardByShard() throws {
    for v in variants {
      let expected = try Fixtures.table(json: "hf/hf_listing.json", v).map { ListingRow($0) }
      let got = try StateDict.listing(path: Fixtures.path("hf/\(v)")).map {
        ListingRow(name: $0.name, dtype: $0.dtype, shape: $0.shape)
      }
      XCTAssertEqual(got, expected, v)
      XCTAssertEqual(expected.count, 40, v)
    }
  }

  func testFolderStateDictsHoldTheSavedValues() throws {
    let reference = try SafeTensorsFile(path: Fixtures.path("hf/hf_expected.safetensors"))
    for v in variants {
      let dict = try StateDict.load(path: Fixtures.path("hf/\(v)"))
      XCTAssertEqual(Set(dict.keys), Set(reference.names), v)
      for name in reference.names {
        XCTAssertEqual(dict[name]?.toArray(), try reference.tensor(name).toArray(), "\(v) \(name)")
      }
    }
  }

  func testInspectListingOfEveryFileKindEqualsTorchs() throws {
    let object = try JSONSerialization.jsonObject(
      with: Data(contentsOf: Fixtures.dir.appendingPathComponent("listing.json")))
    let files = try XCTUnwrap((object as? [String: Any])?.keys.sorted())
    XCTAssertTrue(files.contains("state_dict_legacy.pt") && files.contains("weights.safetensors"), "\(files)")
    for file in files {
      let got = try StateDict.listing(path: Fixtures.path(file)).map {
        ListingRow(name: $0.name, dtype: $0.dtype, shape: $0.shape)
      }
      XCTAssertEqual(got, try Fixtures.listing(file), file)
    }
  }

  func testShardedFoldersUseTheIndexInShardOrder() throws {
    let folder = try ModelFolder(path: Fixtures.path("hf/vit_sharded_bin"))
    XCTAssertEqual(
      folder.weightFiles.map { ($0 as NSString).lastPathComponent },
      (1...5).map { "pytorch_model-0000\($0)-of-00005.bin" })
  }

  func testConfigJsonDecodes() throws {
    struct ViTConfig: Decodable {
      let hidden_size: Int
      let num_hidden_layers: Int
      let layer_norm_eps: Double
    }
    let c = try ModelFolder(path: Fixtures.path("hf/vit_bin")).config(ViTConfig.self)
    XCTAssertEqual(c.hidden_size, 16)
    XCTAssertEqual(c.num_hidden_layers, 2)
    XCTAssertEqual(c.layer_norm_eps, 1e-12)
  }

  func testInspectFormatsAreTabSeparatedAndJSON() throws {
    let rows = try StateDict.listing(path: Fixtures.path("weights.safetensors"))
    let tsv = ListingFormat.tsv(rows).split(separator: "\n").map(String.init)
    XCTAssertEqual(tsv.first, "a.half\tfloat16\t2,2")
    XCTAssertTrue(tsv.contains("f.scalar\tfloat32\t"), "scalar shape prints empty: \(tsv)")
    let parsed = try JSONSerialization.jsonObject(with: Data(ListingFormat.json(rows).utf8)) as? [[String: Any]]
    XCTAssertEqual(parsed?.count, rows.count)
    XCTAssertEqual(parsed?.first?["name"] as? String, "a.half")
    XCTAssertEqual(parsed?.first?["shape"] as? [Int], [2, 2])
  }

  func testBadFoldersAreExplained() throws {
    let scratch = try ScratchDir()
    assertThrows("no weights found") { _ = try ModelFolder(path: scratch.url.path) }
    _ = try scratch.write(Array("{\"metadata\": {}}".utf8), "model.safetensors.index.json")
    assertThrows("model.safetensors.index.json: not a valid shard index: required key 'weight_map' is missing") {
      _ = try ModelFolder(path: scratch.url.path)
    }
    assertThrows("no such file or folder") { _ = try StateDict.listing(path: scratch.url.path + "/missing") }
    assertThrows("not a folder") { _ = try ModelFolder(path: Fixtures.path("weights.safetensors")) }
  }

  /// Shard indexes and config.json (issue 12): a tensor mapped twice in weight_map, or a value
  /// of the wrong type, is refused naming the file, the key and its object.
  func testIndexesAndConfigsRefuseDuplicateKeysAndWrongTypes() throws {
    let scratch = try ScratchDir()
    let index = try scratch.write(
      Array(#"{"weight_map": {"w": "a.safetensors", "w": "b.safetensors"}}"#.utf8), "model.safetensors.index.json")
    assertThrows(index, "not a valid shard index: key 'w' appears twice in 'weight_map'; remove one") {
      _ = try ModelFolder(path: scratch.url.path)
    }
    _ = try scratch.write(Array(#"{"weight_map": {"w": 3}}"#.utf8), "model.safetensors.index.json")
    assertThrows(index, "not a valid shard index: key 'weight_map.w': ") { _ = try ModelFolder(path: scratch.url.path) }

    struct Config: Decodable { var hidden_size: Int }
    _ = try scratch.write(Array("{\"weight_map\": {}}".utf8), "model.safetensors.index.json")
    let config = try scratch.write(Array(#"{"hidden_size": 8, "hidden_size": 16}"#.utf8), "config.json")
    let folder = try ModelFolder(path: scratch.url.path)
    assertThrows(config, "not a valid model config: key 'hidden_size' appears twice; remove one") {
      _ = try folder.config(Config.self)
    }
    _ = try scratch.write(Array(#"{"hidden_size": "16"}"#.utf8), "config.json")
    assertThrows(config, "not a valid model config: key 'hidden_size': ") { _ = try folder.config(Config.self) }
    _ = try scratch.write(Array(#"{"hidden_size": 16}"#.utf8), "config.json")
    XCTAssertEqual(try folder.config(Config.self).hidden_size, 16)
  }
}
