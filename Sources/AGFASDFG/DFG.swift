/// The De-fake Face Generator (AG-FAS, docs/method.md §2): ArcFace identity tokens condition a
/// Stable-Diffusion-1.5 UNet that re-draws a face as a live one.
public enum DFG {}
