import AGFASCheckpoint
import ArgumentParser

struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List the tensors of a checkpoint file or model folder (name, dtype, shape).",
    discussion: """
      PATH may be a .safetensors, .pth/.pt/.bin (PyTorch zip or legacy format) file, or a \
      Hugging Face model folder (config.json + weights, sharded or not). Nothing in the file \
      is executed: pickles are read by an interpreter that only accepts state-dict content.
      """)

  @Argument(help: "A checkpoint file or model folder.")
  var path: String

  @Flag(help: "Print a JSON array instead of tab-separated lines.")
  var json = false

  func run() throws {
    let rows = try StateDict.listing(path: path)
    print(json ? try ListingFormat.json(rows) : ListingFormat.tsv(rows))
  }
}
