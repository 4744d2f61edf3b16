/// Every state-dict name of OA-Net that no released library fixes, in one place.
///
/// The pieces with released names keep them: the backbone is transformers' `ViTModel`
/// (`embeddings.cls_token`, `encoder.layer.N.attention.attention.query`, ...), the cue encoder
/// is torchvision's ResNet-18 (`conv1`, `bn1`, `layer1.0.downsample.0`, ...). The authors'
/// OA-Net code is not available, so the names of what they added (SPEC 4: the per-layer
/// cross-attention and its LayerNorm, the embedder, the classifier, the discriminator) and
/// where each part sits are AGFAS's choice, listed here so that they change in one place once
/// the reference's real keys are known:
///
/// - parts at the top level as SSDG's `DG_model` names them (`backbone.`, `embedder.`,
///   `classifier.`), with the cue encoder beside the backbone;
/// - the cross-attention shaped like transformers' `ViTAttention` it parallels
///   (`encoder.layer.N.crossattention.attention.query|key|value`,
///   `encoder.layer.N.crossattention.output.dense`) and its LayerNorm named like the layer's
///   two others (`encoder.layer.N.layernorm_cross`);
/// - the embedder, classifier and discriminator layers under SSDG's attribute names
///   (`bottleneck_layer_fc`, `classifier_layer`, `fc1`, `fc2`).
public enum OANetKeys {
  /// The ViT backbone (transformers `ViTModel` keys below it).
  public static let backbone = "backbone"
  /// The ResNet-18 cue encoder (torchvision keys below it: conv1, bn1, layer1...layer3).
  public static let cueEncoder = "cue_encoder"
  /// The cue encoder's randomly initialised last stage (torchvision's `layer4` keys below it).
  public static let cueLayer4 = "cue_encoder.layer4"
  /// Linear(768, 512) of the normalised embedder.
  public static let embedder = "embedder.bottleneck_layer_fc"
  /// Linear(512, 2) whose weight is column-normalised before each forward.
  public static let classifier = "classifier.classifier_layer"

  /// Below `encoder.layer.N`: the cross-attention's query/key/value Linears' parent.
  public static let crossAttentionProjections = "crossattention.attention"
  public static let crossAttentionQuery = "query"
  public static let crossAttentionKey = "key"
  public static let crossAttentionValue = "value"
  /// Below `encoder.layer.N`: the cross-attention's output Linear (zero weight at start).
  public static let crossAttentionOutput = "crossattention.output.dense"
  /// Below `encoder.layer.N`: the LayerNorm before the cross-attention.
  public static let crossAttentionNorm = "layernorm_cross"

  /// The discriminator (its own state dict, as SSDG keeps `ad_net` apart from the model).
  public static let discriminatorHidden = "fc1"
  public static let discriminatorOutput = "fc2"

  /// True for the backbone keys OA-Net adds to a `ViTModel` (absent from a pretrained ViT).
  public static func isCrossAttention(_ path: String) -> Bool {
    path.contains(".\(crossAttentionProjections).") || path.contains(".\(crossAttentionOutput).")
      || path.contains(".\(crossAttentionNorm).")
  }
}
