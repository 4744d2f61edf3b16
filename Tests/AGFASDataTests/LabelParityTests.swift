import AGFASData
import Foundation
import XCTest

/// The label files equal, byte for byte, those the Python generator written from docs/method.md §7
/// (scripts/make_label_fixtures.py) made for the same trees.
final class LabelParityTests: TreeTestCase {
  func testLabelFilesAreByteIdenticalToThePythonGenerator() throws {
    let cases = try LabelCase.all()
    XCTAssertEqual(Set(cases.map(\.layout)), Set(DatasetLayout.allCases.map(\.rawValue)))
    for item in cases {
      let root = try makeTree(item.name, item.files)
      let layout = try XCTUnwrap(DatasetLayout(rawValue: item.layout))
      let lists = try LabelList.make(layout: layout, root: root, pathPrefix: item.prefix)
      XCTAssertEqual(lists.map(\.relativePath).sorted(), item.expected.keys.sorted(), item.name)
      let out = folder.appendingPathComponent("out-\(item.name)")
      for list in lists {
        try list.write(under: out.path)
        let written = try Data(contentsOf: out.appendingPathComponent(list.relativePath))
        XCTAssertEqual(
          written, Data((item.expected[list.relativePath] ?? "").utf8), "\(item.name): \(list.relativePath)")
      }
    }
  }

  /// A video of n frames gives frame (6 + j*floor(n/k)) mod n in index order; 10 sorts after 9.
  func testSamplingTakesTheSeventhFrameInIndexOrderAndWraps() throws {
    let root = try makeTree("t", ["d/spoof/b/2.png", "d/spoof/b/1.png"] + (1...10).map { "d/live/a/\($0).png" })
    let lists = try LabelList.make(layout: .folders, root: root, pathPrefix: "")
    func paths(_ name: String) -> [String] { lists.first { $0.name == name }!.entries.map(\.path) }
    XCTAssertEqual(paths("choose_real_label.json"), ["d/live/a/7.png"])
    XCTAssertEqual(
      paths("choose_all_label.json"), ["d/live/a/7.png", "d/live/a/2.png", "d/spoof/b/1.png", "d/spoof/b/2.png"])
    XCTAssertEqual(paths("choose_fake_label.json"), ["d/spoof/b/1.png"])
    XCTAssertEqual(paths("real_label.json").last, "d/live/a/10.png")
    XCTAssertEqual(
      lists.first { $0.name == "all_label.json" }!.entries.map(\.video), Array(repeating: 0, count: 10) + [1, 1])
  }

  func testJSONEscapesAsPythonDoes() {
    let list = LabelList(
      group: "g", name: "n.json", entries: [FrameLabel(path: "a\"b\\c\u{1}é🙂\t/", label: 1, video: 3)])
    XCTAssertEqual(
      list.json,
      "[\n    {\n        \"photo_path\": \"a\\\"b\\\\c\\u0001\\u00e9\\ud83d\\ude42\\t/\",\n"
        + "        \"photo_label\": 1,\n        \"photo_belong_to_video_ID\": 3\n    }\n]")
    XCTAssertEqual(LabelList(group: "g", name: "n.json", entries: []).json, "[]")
  }
}
