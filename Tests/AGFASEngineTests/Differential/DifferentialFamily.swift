import AGFASEngine
import Foundation
import XCTest

/// Random operand values for one differential case: the engine tensor (in the case's dtype
/// and layout) and the exact values it holds, which the Double reference reads.
struct Operand {
  let tensor: Tensor
  let values: [Double]

  /// Uniform values in [offset - scale, offset + scale), rounded to `dtype`; a leaf that
  /// records gradients unless `grad` is false.
  init(
    _ shape: [Int], _ dtype: DType, _ rng: inout SplitMix64, scale: Float = 1, offset: Float = 0,
    layout: Layout = .rowMajor, grad: Bool = true
  ) throws {
    let raw = (0..<shape.reduce(1, *)).map { _ in offset + rng.unit() * scale }
    let t = try Tensor(raw, shape: shape).converted(to: dtype).relaid(layout)
    tensor = grad ? t.requiringGrad() : t
    values = t.toArray().map(Double.init)
  }
}

/// The cases of one op family in one dtype: compares every checked tensor, keeps the worst
/// error as a fraction of its tolerance, prints one summary line and fails naming the case.
final class DifferentialFamily {
  let name: String
  let dtype: DType
  private var cases = 0
  private var worst = 0.0
  private var failures: [String] = []
  /// Failing cases reported one by one; the rest are counted.
  private let reportedFailures = 12

  init(_ name: String, _ dtype: DType) {
    self.name = name
    self.dtype = dtype
  }

  /// Runs one case: `body` returns each engine tensor with its reference. A thrown error
  /// fails the case with the error's message.
  func check(_ description: String, _ body: () throws -> [(Tensor?, Expected)]) {
    cases += 1
    do {
      var problems: [String] = []
      for (actual, expected) in try body() {
        if let problem = compare(actual, expected) { problems.append(problem) }
      }
      if !problems.isEmpty { failures.append("\(description): " + problems.joined(separator: "; ")) }
    } catch {
      failures.append("\(description): threw \(error)")
    }
  }

  /// The worst element of `actual` against `expected`; a message when it is out of bounds.
  private func compare(_ actual: Tensor?, _ expected: Expected) -> String? {
    guard let actual else { return "\(expected.name): missing (no gradient)" }
    guard actual.count == expected.values.count else {
      return "\(expected.name): \(actual.count) elements (shape \(actual.shape)), expected \(expected.values.count)"
    }
    guard actual.dtype == dtype else { return "\(expected.name): dtype \(actual.dtype), expected \(dtype)" }
    let a = actual.toArray()
    var (worstIndex, worstFraction, over) = (0, 0.0, 0)
    for i in a.indices {
      let error = abs(Double(a[i]) - expected.values[i])
      let tol = expected.tolerance(i, dtype)
      let fraction = error == 0 ? 0 : (error <= tol ? error / tol : (error.isNaN ? .infinity : error / tol))
      if fraction > 1 { over += 1 }
      if fraction > worstFraction {
        (worstIndex, worstFraction) = (i, fraction)
      }
    }
    worst = max(worst, worstFraction)
    guard worstFraction > 1 else { return nil }
    let i = worstIndex
    return
      "\(expected.name): \(over)/\(a.count) elements over tolerance; worst at \(multiIndex(i, actual.shape)): "
      + "\(a[i]) vs reference \(format(expected.values[i])), error \(format(abs(Double(a[i]) - expected.values[i]))) "
      + "> tolerance \(format(expected.tolerance(i, dtype))) (\(format(worstFraction))x)"
  }

  /// Prints the summary line and fails the test for each failing case.
  func finish(file: StaticString = #filePath, line: UInt = #line) {
    print(
      "differential \(name) \(dtype == .float32 ? "fp32" : "bf16"): \(cases) cases, worst \(format(worst)) of tolerance, \(failures.count) failing"
    )
    for f in failures.prefix(reportedFailures) { XCTFail("\(name) \(dtype): \(f)", file: file, line: line) }
    if failures.count > reportedFailures {
      // The rest go to the log only, so that a systematic failure does not flood the report.
      for f in failures.dropFirst(reportedFailures) { print("differential failure: \(name) \(dtype): \(f)") }
      XCTFail(
        "\(name) \(dtype): \(failures.count - reportedFailures) more failing cases (printed above)", file: file,
        line: line)
    }
  }
}

/// Element `flat` of a row-major `shape` as a multi-index, for messages.
func multiIndex(_ flat: Int, _ shape: [Int]) -> [Int] {
  var rest = flat
  var index = [Int](repeating: 0, count: shape.count)
  for d in shape.indices.reversed() where shape[d] > 0 {
    index[d] = rest % shape[d]
    rest /= shape[d]
  }
  return index
}

/// Four significant digits.
func format(_ v: Double) -> String { String(format: "%.4g", v) }
