/// The kind of presentation attack a spoof video's name shows, for reporting each kind apart
/// (ISO/IEC 30107-3 reports APCER per attack instrument). The four datasets name their videos
/// so the kind can be read off (docs/evaluation.md): MSU-MFSD `..._printed_photo_...` and
/// `..._ipad_video_...`; Replay-Attack `attack_print_...`, `attack_highdef_...`,
/// `attack_mobile_...`; OULU-NPU `Phone_Session_User_File` with file 2-3 print and 4-5 replay;
/// CASIA-FASD `3`, `4`, `5`, `6`, `HR_2`, `HR_3` photos and `7`, `8`, `HR_4` replay.
public enum AttackType {
  public static let print = "print"
  public static let replay = "replay"
  public static let mask = "mask"
  /// A spoof whose name shows no kind.
  public static let unknown = "spoof"

  /// The kind of attack in video `name` (a path or an id; its last component decides).
  public static func of(video name: String) -> String {
    let last = name.split(separator: "/").last.map { String($0).lowercased() } ?? name.lowercased()
    let parts = last.split(separator: "_")
    // OULU-NPU: Phone_Session_User_File, all numbers.
    if parts.count == 4, parts.allSatisfy({ Int($0) != nil }), let file = Int(parts[3]) {
      return (2...3).contains(file) ? print : (4...5).contains(file) ? replay : unknown
    }
    // CASIA-FASD: the video's number inside its subject folder.
    switch last.split(separator: ".").first.map(String.init) ?? last {
    case "3", "4", "5", "6", "hr_2", "hr_3": return print
    case "7", "8", "hr_4": return replay
    default: break
    }
    if last.contains("mask") { return mask }
    if last.contains("print") { return print }
    for screen in ["video", "replay", "highdef", "mobile", "ipad", "iphone", "screen"] where last.contains(screen) {
      return replay
    }
    return unknown
  }
}
