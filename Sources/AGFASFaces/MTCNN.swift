import AGFASCheckpoint
import AGFASEngine
import AGFASImage
import AGFASNN
import Foundation

/// The MTCNN face detector (Zhang et al. 2016) with facenet-pytorch 2.6.0's weights and
/// arithmetic: an image pyramid through PNet, RNet on 24x24 crops, ONet on 48x48 crops with
/// five landmarks. Results match `facenet_pytorch.MTCNN(keep_all=True).detect(img,
/// landmarks=True)` (see docs/faces.md for the few deliberate differences).
public struct MTCNN: Sendable {
  /// The weight files facenet-pytorch ships in `facenet_pytorch/data/`.
  public static let weightFiles = ["pnet.pt", "rnet.pt", "onet.pt"]

  public let pnet: PNet
  public let rnet: RNet
  public let onet: ONet
  public let options: DetectionOptions

  /// Loads `pnet.pt`, `rnet.pt` and `onet.pt` (torch.save state dicts, legacy or zip
  /// format, or safetensors) from `folder`.
  public init(weightsFolder folder: String, options: DetectionOptions = DetectionOptions()) throws {
    let paths = Self.weightFiles.map { URL(fileURLWithPath: folder).appendingPathComponent($0).path }
    if let missing = paths.first(where: { !FileManager.default.fileExists(atPath: $0) }) {
      throw FacesError.weights(
        "\(missing) not found (facenet-pytorch 2.6.0's pnet.pt, rnet.pt and onet.pt; "
          + "`agfas models fetch mtcnn` puts them into the models folder)")
    }
    try self.init(
      pnet: StateDict.load(path: paths[0]), rnet: StateDict.load(path: paths[1]), onet: StateDict.load(path: paths[2]),
      options: options)
  }

  /// Builds the networks from state dicts keyed as facenet-pytorch's modules (strict: every
  /// key used, every shape right; fp32 and bf16 weights are computed in fp32).
  public init(
    pnet p: [String: Tensor], rnet r: [String: Tensor], onet o: [String: Tensor],
    options: DetectionOptions = DetectionOptions()
  ) throws {
    try options.validate()
    func load<Net>(_ name: String, _ weights: [String: Tensor], _ build: (WeightPath) -> Net) throws -> Net {
      let store = ParameterStore(initialization: .uninitialized)
      let net = build(store.root())
      do {
        try store.load(weights)
      } catch {
        throw FacesError.weights("\(name) does not fit facenet-pytorch's \(name): \(error)")
      }
      store.convert(to: .float32)
      return net
    }
    pnet = try load("PNet", p, PNet.init)
    rnet = try load("RNet", r, RNet.init)
    onet = try load("ONet", o, ONet.init)
    self.options = options
  }

  private init(pnet: PNet, rnet: RNet, onet: ONet, options: DetectionOptions) {
    (self.pnet, self.rnet, self.onet, self.options) = (pnet, rnet, onet, options)
  }

  /// The same networks with other options (thresholds, minimum face size, pyramid factor).
  public func with(options: DetectionOptions) throws -> MTCNN {
    try options.validate()
    return MTCNN(pnet: pnet, rnet: rnet, onet: onet, options: options)
  }

  /// Every face in `image` (grey and RGBA are read as RGB, alpha ignored), largest box first
  /// (area (x2-x1)*(y2-y1); equal areas keep facenet-pytorch's order). facenet-pytorch's
  /// `detect_face` returns faces by decreasing probability; its `MTCNN.detect` re-sorts them
  /// largest first by default (`select_largest=True`), which is the order given here.
  public func detect(_ image: Image) throws -> [DetectedFace] {
    guard image.width > 0, image.height > 0 else {
      throw FacesError.input("empty image (\(image.width)x\(image.height))")
    }
    let sums = IntegralImage(image.rgb())
    let faces = try withoutGrad {
      var boxes = try proposals(sums)
      if !boxes.isEmpty { boxes = try refined(boxes, of: sums) }
      return boxes.isEmpty ? [] : try outputs(boxes, of: sums)
    }
    // numpy's argsort (stable on these small inputs) ascending, then reversed.
    let ascending = faces.indices.sorted { (faces[$0].box.area, $0) < (faces[$1].box.area, $1) }
    return ascending.reversed().map { faces[$0] }
  }
}
