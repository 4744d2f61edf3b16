import AGFASEngine
import AGFASNN

/// diffusers 0.16.1 `AttentionBlock` as the VAE mid block uses it: one head of self-attention
/// over the H*W positions of a GroupNorm-ed image, projected back and added to the input.
///
/// Parameter names are 0.16.1's (`query`, `key`, `value`, `proj_attn`), which is how the
/// SD-1.5 VAE files on the hub are written; `renamingAttentionKeys` converts later saves.
public struct VAEAttention: Sendable {
  public let channels: Int
  public let groupNorm: GroupNorm
  public let query: Linear
  public let key: Linear
  public let value: Linear
  public let projAttn: Linear

  public init(_ path: WeightPath, channels: Int, groups: Int, eps: Float = 1e-6) {
    self.channels = channels
    groupNorm = GroupNorm(path.child("group_norm"), groups: groups, channels: channels, eps: eps)
    query = Linear(path.child("query"), inFeatures: channels, outFeatures: channels)
    key = Linear(path.child("key"), inFeatures: channels, outFeatures: channels)
    value = Linear(path.child("value"), inFeatures: channels, outFeatures: channels)
    projAttn = Linear(path.child("proj_attn"), inFeatures: channels, outFeatures: channels)
  }

  /// `x` [B,C,H,W] (any layout) to the same shape, channels-last when `x` is.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    guard x.rank == 4, x.shape[1] == channels else {
      throw TensorError.shapeMismatch(
        op: "VAEAttention", shapes: [x.shape], reason: "expects [B, \(channels), H, W]")
    }
    let (b, h, w) = (x.shape[0], x.shape[2], x.shape[3])
    // A channels-last image already is [B, H*W, C] in memory, so this permute is a plain copy.
    let tokens = try groupNorm(x).permuted([0, 2, 3, 1]).reshaped([b, h * w, channels])
    let attended = try Tensor.scaledDotProductAttention(
      query: query(tokens), key: key(tokens), value: value(tokens))
    // Back to [B,C,H,W] (a row-major copy); the residual add then writes in the layout of `x`.
    let projected = try projAttn(attended).reshaped([b, h, w, channels]).permuted([0, 3, 1, 2])
    return try projected + x
  }

  /// Later diffusers (>= 0.18) save this block under the `Attention` class's names; these map
  /// each to the 0.16.1 name the model uses.
  static let newToLegacy: [String: String] = ["to_q": "query", "to_k": "key", "to_v": "value", "to_out": "proj_attn"]

  /// `stateDict` with every VAE attention key in the newer spelling
  /// (`…attentions.N.to_q|to_k|to_v|to_out.0.{weight,bias}`) renamed to the 0.16.1 spelling
  /// (`query|key|value|proj_attn`); other keys pass through. A key whose new name is already
  /// present keeps its old name, so `ParameterStore.load` reports it as unexpected.
  public static func renamingAttentionKeys(_ stateDict: [String: Tensor]) -> [String: Tensor] {
    var out: [String: Tensor] = [:]
    for (key, tensor) in stateDict {
      if let legacy = legacyName(key), stateDict[legacy] == nil {
        out[legacy] = tensor
      } else {
        out[key] = tensor
      }
    }
    return out
  }

  /// The 0.16.1 name of a newer-spelling attention key, nil for any other key.
  static func legacyName(_ key: String) -> String? {
    var parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard let leaf = parts.last, leaf == "weight" || leaf == "bias", parts.count >= 4 else { return nil }
    // …attentions.N.to_q.weight, or …attentions.N.to_out.0.weight
    let isOut = parts.count >= 5 && parts[parts.count - 3] == "to_out" && parts[parts.count - 2] == "0"
    let nameIndex = isOut ? parts.count - 3 : parts.count - 2
    guard nameIndex >= 2, parts[nameIndex - 2] == "attentions", Int(parts[nameIndex - 1]) != nil,
      let legacy = newToLegacy[parts[nameIndex]], isOut == (parts[nameIndex] == "to_out")
    else { return nil }
    parts.replaceSubrange(nameIndex..<(parts.count - 1), with: [legacy])
    return parts.joined(separator: ".")
  }
}
