import Foundation

extension UNetConfig {
  /// Stable Diffusion 1.5's `unet/config.json` (the DFG's UNet has the same architecture):
  /// for building a full-size model without files (benchmarks, shape checks).
  public static let stableDiffusion15: UNetConfig = {
    let json = """
      {"_class_name": "UNet2DConditionModel", "act_fn": "silu", "attention_head_dim": 8,
       "block_out_channels": [320, 640, 1280, 1280], "center_input_sample": false,
       "cross_attention_dim": 768,
       "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
       "downsample_padding": 1, "flip_sin_to_cos": true, "freq_shift": 0, "in_channels": 4,
       "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32,
       "out_channels": 4, "sample_size": 64,
       "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]}
      """
    return try! JSONDecoder().decode(UNetConfig.self, from: Data(json.utf8))
  }()
}
