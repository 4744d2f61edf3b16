import AGFASDFG
import AGFASEngine
import AGFASImage
import Foundation

/// The real faces of a fine-tuning run (`agfas align` output: aligned PNG/JPEG crops, one
/// size): the sorted files of a folder tree, with `validationCount` of them, spread evenly
/// over the list, held out for validation.
public struct FaceSet: Sendable {
  public struct Face: Sendable, Equatable {
    public let path: String
    /// The path under the faces folder (names validation images).
    public let relative: String
  }

  public let training: [Face]
  public let validation: [Face]
  /// Every face's side (width = height), in pixels.
  public let size: Int

  public init(folder: String, validationCount: Int) throws {
    let all: [Face]
    do {
      all = try ReconstructionJob.imageFiles(under: folder).map { Face(path: $0.path, relative: $0.relative) }
    } catch {
      throw FineTuneError.data("--faces: \(error)")
    }
    guard all.count > validationCount else {
      throw FineTuneError.data(
        "--faces \(folder) has \(all.count) image\(all.count == 1 ? "" : "s"); \(validationCount) are held out for "
          + "validation, so at least \(validationCount + 1) are needed")
    }
    let held = Set((0..<validationCount).map { $0 * all.count / max(validationCount, 1) })
    validation = all.indices.filter { held.contains($0) }.map { all[$0] }
    training = all.indices.filter { !held.contains($0) }.map { all[$0] }
    // The size is read from the first face; every face is checked when it is encoded.
    let first = try Image(contentsOfFile: all[0].path)
    guard first.width == first.height, first.width % 8 == 0, first.width >= 8 else {
      throw FineTuneError.data(
        "\(all[0].path) is \(first.width)x\(first.height); faces must be square with sides divisible by 8 "
          + "(`agfas align` writes 256x256)")
    }
    size = first.width
  }

  /// Loads faces as one batch [B, 3, size, size] in [-1, 1]; a face of another size is refused, named.
  public func tensor(_ faces: [Face]) throws -> (Tensor, [Image]) {
    var images: [Image] = []
    for face in faces {
      let image = try Image(contentsOfFile: face.path).rgb()
      guard image.width == size, image.height == size else {
        throw FineTuneError.data(
          "\(face.path) is \(image.width)x\(image.height) but the other faces are \(size)x\(size); align them all to one size"
        )
      }
      images.append(image)
    }
    return (try Image.tensor(batch: images), images)
  }
}
