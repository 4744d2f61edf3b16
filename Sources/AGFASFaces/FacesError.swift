/// Errors of face detection and alignment: bad options, missing weights, unusable input.
public enum FacesError: Error, CustomStringConvertible, Equatable {
  /// An option out of range; the message names it and its value.
  case option(String)
  /// MTCNN weight files missing or not facenet-pytorch's.
  case weights(String)
  /// An input the detector or aligner cannot use.
  case input(String)

  public var description: String {
    switch self {
    case .option(let m): "face detection option: \(m)"
    case .weights(let m): "MTCNN weights: \(m)"
    case .input(let m): "face input: \(m)"
    }
  }
}
