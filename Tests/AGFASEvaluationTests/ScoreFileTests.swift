import AGFASEvaluation
import AGFASTestSupport
import Foundation
import XCTest

/// Score files (CSV/TSV, with or without header) and reference label files are read as
/// documented, joined by path, and every malformed line or entry is named.
final class ScoreFileTests: XCTestCase {
  func testHeaderlessCSVReadsScoreLabelVideo() throws {
    let file = try ScoreFile(text: "# a comment\n0.9,1,v1\n\n0.7, 1 ,v1\r\n0.2,0,v2\n", source: "s.csv")
    XCTAssertEqual(file.rows.map(\.line), [2, 4, 5])
    XCTAssertEqual(
      try file.frames(),
      [
        FrameScore(score: 0.9, label: 1, video: "v1", origin: "s.csv:2"),
        FrameScore(score: 0.7, label: 1, video: "v1", origin: "s.csv:4"),
        FrameScore(score: 0.2, label: 0, video: "v2", origin: "s.csv:5"),
      ])
  }

  func testTwoColumnRowsAreVideosOfTheirOwn() throws {
    let frames = try ScoreFile(text: "0.9,live\n0.1,spoof\n", source: "s.csv").frames()
    XCTAssertEqual(frames.map(\.video), ["line 1", "line 2"])
    XCTAssertEqual(frames.map(\.label), [1, 0])
  }

  func testHeaderedTSVFindsColumnsByName() throws {
    let text = "video\tpath\textra\tlabel\tscore\nv1\ta/1.png\tx\t1\t0.75\n"
    let row = try XCTUnwrap(try ScoreFile(text: text, source: "s.tsv").rows.first)
    XCTAssertEqual(row, ScoreFile.Row(score: 0.75, label: 1, video: "v1", path: "a/1.png", line: 2))
    let reference = "photo_path,score,photo_label,photo_belong_to_video_ID\np.png,0.5,0,vid\n"
    let named = try XCTUnwrap(try ScoreFile(text: reference, source: "r.csv").rows.first)
    XCTAssertEqual(named, ScoreFile.Row(score: 0.5, label: 0, video: "vid", path: "p.png", line: 2))
  }

  func testMalformedLinesAreNamed() {
    let cases = [
      ("0.5,1,v\n0.4,1\n", "s.csv:2: expected 3 fields, found 2"),
      ("0.5,1,v\nhigh,1,v\n", "s.csv:2: score 'high' is not a number"),
      ("0.5,1,v\n0.5,2,v\n", "s.csv:2: label '2' is neither 1 (live) nor 0 (spoof)"),
      ("\n0.5,1,v\nnan,0,w\n", "s.csv:3: score nan is not a finite number"),
      ("0.5,1,\n", "s.csv:1: empty video"),
      ("0.5\n", "s.csv:1: expected score,label or score,label,video (or a header naming the columns), found 1 fields"),
      ("score,label,label\n", "s.csv:1: column 'label' appears twice"),
      ("score,label,photo_label\n", "s.csv:1: two columns name the same field ('photo_label')"),
      ("score,video\n0.5,v\n", "s.csv:2: no label: add a label column or join with a label file"),
      ("# only a comment\n", "cannot read s.csv: no score lines"),
    ]
    for (text, expected) in cases {
      XCTAssertEqual(errorMessage { _ = try ScoreFile(text: text, source: "s.csv").frames() }, expected, text)
    }
    XCTAssertEqual(
      errorMessage { _ = try ScoreFile(contentsOfFile: "/nonexistent/s.csv") },
      "cannot read /nonexistent/s.csv: no such file")
  }

  let labelJSON = """
    [{"photo_path": "d/live/1/6.png", "photo_label": 1, "photo_belong_to_video_ID": "msu_1"},
     {"photo_path": "d/spoof/2/6.png", "photo_label": 0, "photo_belong_to_video_ID": 2},
     {"photo_path": "d/live/1/9.png", "photo_label": "1", "photo_belong_to_video_ID": "msu_1"}]
    """

  func testLabelFilesReadAsTheReferenceWritesThem() throws {
    XCTAssertEqual(
      try LabelFile.parse(Data(labelJSON.utf8), source: "l.json"),
      [
        LabelEntry(path: "d/live/1/6.png", label: 1, video: "msu_1"),
        LabelEntry(path: "d/spoof/2/6.png", label: 0, video: "2"),
        LabelEntry(path: "d/live/1/9.png", label: 1, video: "msu_1"),
      ])
  }

  func testBadLabelEntriesAreNamed() {
    let cases = [
      (
        "[{\"photo_label\": 1, \"photo_belong_to_video_ID\": \"v\"}]",
        "l.json: entry 0: photo_path is missing or not a non-empty string"
      ),
      (
        "[{\"photo_path\": \"a\", \"photo_label\": 1, \"photo_belong_to_video_ID\": \"v\"}, {\"photo_path\": \"b\", \"photo_label\": 3, \"photo_belong_to_video_ID\": \"v\"}]",
        "l.json: entry 1: photo_label is missing or not 0 or 1 (found a number)"
      ),
      (
        "[{\"photo_path\": \"a\", \"photo_label\": 0}]",
        "l.json: entry 0: photo_belong_to_video_ID is missing or not a string or integer"
      ),
      ("[3]", "l.json: entry 0: not a JSON object"),
      ("{}", "cannot read l.json: expected a JSON array of label entries"),
    ]
    for (json, expected) in cases {
      XCTAssertEqual(errorMessage { _ = try LabelFile.parse(Data(json.utf8), source: "l.json") }, expected, json)
    }
    XCTAssertTrue(
      errorMessage { _ = try LabelFile.parse(Data("[".utf8), source: "l.json") }.hasPrefix(
        "cannot read l.json: not valid JSON"))
  }

  /// Issue 12: a key written twice in an entry, and values of the wrong type (a boolean label,
  /// a null video, a number as path), are refused naming the file, the entry and the key.
  func testDuplicateKeysAndWrongTypesInLabelFilesAreRefused() {
    let entry = #""photo_path": "a", "photo_label": 1, "photo_belong_to_video_ID": "v""#
    let cases = [
      ("[{\(entry)}, {\(entry), \"photo_label\": 0}]", "l.json: entry 1: key 'photo_label' appears twice; remove one"),
      (
        "[{\(entry), \"photo_path\": \"b\"}]", "l.json: entry 0: key 'photo_path' appears twice; remove one"
      ),
      (
        #"[{"photo_path": "a", "photo_label": true, "photo_belong_to_video_ID": "v"}]"#,
        "l.json: entry 0: photo_label is missing or not 0 or 1 (found a boolean)"
      ),
      (
        #"[{"photo_path": "a", "photo_label": 0.5, "photo_belong_to_video_ID": "v"}]"#,
        "l.json: entry 0: photo_label is missing or not 0 or 1 (found a number)"
      ),
      (
        #"[{"photo_path": "a", "photo_label": 1, "photo_belong_to_video_ID": null}]"#,
        "l.json: entry 0: photo_belong_to_video_ID is missing or not a string or integer (found null)"
      ),
      (
        #"[{"photo_path": 7, "photo_label": 1, "photo_belong_to_video_ID": "v"}]"#,
        "l.json: entry 0: photo_path is missing or not a non-empty string (found a number)"
      ),
      (
        #"[{"photo_path": "", "photo_label": 1, "photo_belong_to_video_ID": "v"}]"#,
        #"l.json: entry 0: photo_path is missing or not a non-empty string (found "")"#
      ),
    ]
    for (json, expected) in cases {
      XCTAssertEqual(errorMessage { _ = try LabelFile.parse(Data(json.utf8), source: "l.json") }, expected, json)
    }
    // Other keys are skipped; a duplicate inside one is still refused.
    XCTAssertEqual(
      try LabelFile.parse(Data("[{\(entry), \"note\": {\"x\": [1, {}]}}]".utf8), source: "l.json").count, 1)
    XCTAssertTrue(
      errorMessage {
        _ = try LabelFile.parse(Data("[{\(entry), \"note\": {\"x\": 1, \"x\": 2}}]".utf8), source: "l.json")
      }
      .contains("key 'x' appears twice"))
    XCTAssertTrue(
      errorMessage { _ = try LabelFile.parse(Data("[{\(entry)}] [".utf8), source: "l.json") }.hasPrefix(
        "cannot read l.json: not valid JSON"))
  }

  func testScoresJoinLabelsByPathInLabelFileOrder() throws {
    let labels = try LabelFile.parse(Data(labelJSON.utf8), source: "l.json")
    let scores = try ScoreFile(
      text: "path,score\nd/live/1/9.png,0.8\nd/spoof/2/6.png,0.3\nd/live/1/6.png,0.6\n", source: "s.csv")
    let frames = try scores.frames(joinedWith: labels, labelSource: "l.json")
    XCTAssertEqual(
      frames,
      [
        FrameScore(score: 0.6, label: 1, video: "msu_1", origin: "s.csv:4"),
        FrameScore(score: 0.3, label: 0, video: "2", origin: "s.csv:3"),
        FrameScore(score: 0.8, label: 1, video: "msu_1", origin: "s.csv:2"),
      ])
    let videos = try VideoAggregation.average(frames)
    XCTAssertEqual(videos.map(\.score), [(0.6 + 0.8) / 2, 0.3])
  }

  func testJoinMismatchesAreNamed() throws {
    let labels = try LabelFile.parse(Data(labelJSON.utf8), source: "l.json")
    func join(_ text: String) -> String {
      errorMessage { _ = try ScoreFile(text: text, source: "s.csv").frames(joinedWith: labels, labelSource: "l.json") }
    }
    let all = "d/live/1/9.png,0.8\nd/spoof/2/6.png,0.3\nd/live/1/6.png,0.6\n"
    XCTAssertEqual(
      join("path,score\nd/live/1/9.png,0.8\n"),
      "scores and labels do not match: 2 of 3 frames of l.json have no score in s.csv (first: d/live/1/6.png)")
    XCTAssertEqual(join("path,score\n" + all + "x.png,0.1\n"), "s.csv:5: path 'x.png' is not in l.json")
    XCTAssertEqual(
      join("path,score\n" + all + "d/live/1/9.png,0.1\n"), "s.csv:5: path 'd/live/1/9.png' already scored on line 2")
    XCTAssertEqual(join("score,label,video\n0.5,1,v\n"), "s.csv:2: no path: joining needs a path column")
    XCTAssertEqual(
      join("path,score,label\nd/live/1/9.png,0.8,1\nd/spoof/2/6.png,0.3,1\nd/live/1/6.png,0.6,1\n"),
      "s.csv:3: label 1 disagrees with l.json (0)")
    let twice = labels + [labels[0]]
    XCTAssertEqual(
      errorMessage {
        _ = try ScoreFile(text: "path,score\n" + all, source: "s.csv").frames(joinedWith: twice, labelSource: "l.json")
      },
      "l.json: entry 3: path 'd/live/1/6.png' is listed twice")
  }
}
