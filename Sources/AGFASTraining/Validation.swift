import AGFASEngine
import AGFASEvaluation
import AGFASImage
import AGFASOANet

/// Video-level evaluation of a model on the target domain's frames (SPEC 6): P(live) per
/// frame in eval mode, averaged per video, then AUC, EER and HTER at the EER threshold.
public enum Validation {
  public static func evaluate(_ model: OANet, frames: [TrainingFrame], batchSize: Int = 16) throws
    -> EvaluationMetrics
  {
    var scores: [FrameScore] = []
    for start in stride(from: 0, to: frames.count, by: Swift.max(batchSize, 1)) {
      let chunk = Array(frames[start..<Swift.min(start + batchSize, frames.count)])
      let batch = try BatchLoader.load(chunk.map { SampledFrame(frame: $0, flipped: false) })
      let p = try model.scores(image: batch.images, reconstruction: batch.reconstructions).toArray()
      for (frame, score) in zip(chunk, p) {
        scores.append(FrameScore(score: Double(score), label: frame.label, video: frame.video))
      }
    }
    return try EvaluationMetrics(BinaryScores(VideoAggregation.average(scores)))
  }
}
