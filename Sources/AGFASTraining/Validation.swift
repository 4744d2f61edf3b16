import AGFASEngine
import AGFASEvaluation
import AGFASImage
import AGFASOANet

/// Video-level evaluation of a model on the target domain's frames (docs/method.md §6): P(live) per
/// frame in eval mode, averaged per video, then AUC, EER and HTER at the EER threshold.
public enum Validation {
  public static func evaluate(_ model: OANet, frames: [TrainingFrame], batchSize: Int = 16) throws
    -> EvaluationMetrics
  {
    try EvaluationMetrics(
      BinaryScores(VideoAggregation.average(frameScores(model, frames: frames, batchSize: batchSize))))
  }

  /// P(live) of every frame in eval mode, `batchSize` frames per forward (in the model's
  /// dtype), each with its label, video and image path. `progress(done, total)` follows the
  /// work.
  public static func frameScores(
    _ model: OANet, frames: [TrainingFrame], batchSize: Int = 16, progress: ((Int, Int) -> Void)? = nil
  ) throws -> [FrameScore] {
    var scores: [FrameScore] = []
    for start in stride(from: 0, to: frames.count, by: Swift.max(batchSize, 1)) {
      let chunk = Array(frames[start..<Swift.min(start + Swift.max(batchSize, 1), frames.count)])
      let batch = try BatchLoader.load(chunk.map { SampledFrame(frame: $0, flipped: false) })
      let p = try model.scores(image: batch.images, reconstruction: batch.reconstructions).toArray()
      for (frame, score) in zip(chunk, p) {
        scores.append(FrameScore(score: Double(score), label: frame.label, video: frame.video, origin: frame.image))
      }
      progress?(scores.count, frames.count)
    }
    return scores
  }
}
