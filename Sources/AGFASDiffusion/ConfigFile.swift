import AGFASJSON
import Foundation

/// Reads a diffusers JSON config (`config.json`, `scheduler_config.json`) as `T`. A failure is
/// handed to `wrap` with a reason ("cannot read: ...", "not a <kind> config: key 'x': ...")
/// and the underlying error, so each config reports it in its own error type. A key written
/// twice is an error (Foundation would silently keep one of them), and so is a value of the
/// wrong type (`StrictJSON`).
func readConfigFile<T: Decodable>(
  _ path: String, kind: String, error wrap: (_ reason: String, _ underlying: Error) -> Error
) throws -> T {
  let data: Data
  do {
    data = try Data(contentsOf: URL(fileURLWithPath: path))
  } catch {
    throw wrap("cannot read: \(error.localizedDescription)", error)
  }
  do {
    return try StrictJSON.decode(T.self, from: data)
  } catch {
    throw wrap("not \(kind) config: \(error)", error)
  }
}
