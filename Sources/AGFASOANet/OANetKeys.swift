/// Every state-dict name of OA-Net beyond the released libraries' own, in one place: the
/// reference's (the authors' `model/FAS_model.py` and `model/modified_vit/modeling_vit.py`),
/// so a model trained with their code loads as is and AGFAS's loads into theirs.
///
/// - `backbone.vit.`: their `ViTCrossModel`, transformers' `ViTModel` names plus, in every
///   `encoder.layer.N`, `crossattention.{query,key,value,dense}` and `ln_cross_attn`;
/// - `backbone_res.`: torchvision ResNet-18's conv1, bn1, layer1...layer3;
///   `embedder_res.layer4.`: its randomly initialised layer4;
/// - `embedder.bottleneck_layer_fc`, `classifier.classifier_layer` (SSDG's heads);
/// - the discriminator (its own state dict): `fc1`, `fc2`.
/// Their model's state dicts also hold `embedder.bottleneck_layer.0.*`: the same Linear
/// registered a second time inside an `nn.Sequential`; `aliases` maps it to the canonical
/// name. (Their discriminator has such names too, `ad_net.0`/`ad_net.3`, but they never save
/// it.)
public enum OANetKeys {
  /// The ViT backbone (transformers `ViTModel` keys below it).
  public static let backbone = "backbone.vit"
  /// The ResNet-18 cue encoder (torchvision keys below it: conv1, bn1, layer1...layer3).
  public static let cueEncoder = "backbone_res"
  /// The cue encoder's randomly initialised last stage (torchvision's `layer4` keys below it).
  public static let cueLayer4 = "embedder_res.layer4"
  /// Linear(768, 512) of the normalised embedder.
  public static let embedder = "embedder.bottleneck_layer_fc"
  /// Linear(512, 2) whose weight is column-normalised before each forward.
  public static let classifier = "classifier.classifier_layer"

  /// Below `encoder.layer.N`: the cross-attention's query/key/value Linears' parent.
  public static let crossAttentionProjections = "crossattention"
  public static let crossAttentionQuery = "query"
  public static let crossAttentionKey = "key"
  public static let crossAttentionValue = "value"
  /// Below `encoder.layer.N`: the cross-attention's output Linear (zero weight at start).
  public static let crossAttentionOutput = "crossattention.dense"
  /// Below `encoder.layer.N`: the LayerNorm before the cross-attention.
  public static let crossAttentionNorm = "ln_cross_attn"

  /// The discriminator (its own state dict, as SSDG keeps `ad_net` apart from the model).
  public static let discriminatorHidden = "fc1"
  public static let discriminatorOutput = "fc2"

  /// Second names of the same tensors in the reference's state dicts (alias prefix ->
  /// canonical prefix): dropped on load after checking they hold the same values, written
  /// on export so PyTorch's strict `load_state_dict` accepts AGFAS's files.
  public static let aliases = ["embedder.bottleneck_layer.0": embedder]

  /// True for the backbone keys OA-Net adds to a `ViTModel` (absent from a pretrained ViT).
  public static func isCrossAttention(_ path: String) -> Bool {
    path.contains(".\(crossAttentionProjections).") || path.contains(".\(crossAttentionNorm).")
  }
}
