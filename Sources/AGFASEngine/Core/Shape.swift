/// Shape arithmetic shared by the ops.
public enum Shape {
  /// Number of elements of a shape (1 for a scalar's empty shape).
  @inlinable
  public static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

  /// Row-major strides, in elements. Never traps: a stride beyond `Int` (possible only for a
  /// shape with a zero dimension, whose strides address nothing) saturates at `Int.max`.
  /// Shapes read from files are checked with `checkedStrides` first.
  public static func strides(_ shape: [Int]) -> [Int] {
    rowMajorStrides(shape, beyondInt: Int.max)!
  }

  /// The element count of `shape`, or nil when a dimension is negative or `count` would
  /// overflow computing it (for shapes from files, which must not trap the process). The
  /// product is taken in order as `count` takes it, so `[2^40, 2^40, 0]` is nil, not 0.
  public static func checkedCount(_ shape: [Int]) -> Int? {
    var count = 1
    for d in shape {
      guard d >= 0 else { return nil }
      let (p, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow else { return nil }
      count = p
    }
    return count
  }

  /// Row-major strides, or nil when a dimension is negative or a stride does not fit in
  /// `Int`: with a zero dimension the count fits while `[0, 2^40, 2^40]`'s first stride, 2^80,
  /// does not.
  public static func checkedStrides(_ shape: [Int]) -> [Int]? {
    guard shape.allSatisfy({ $0 >= 0 }) else { return nil }
    return rowMajorStrides(shape, beyondInt: nil)
  }

  /// Row-major strides; a product beyond `Int` becomes `beyondInt` (nil: no strides). The last
  /// product is never used as a stride, so skipping it keeps every valid shape exact.
  @inline(__always)
  private static func rowMajorStrides(_ shape: [Int], beyondInt: Int?) -> [Int]? {
    var strides = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[i] = acc
      guard i > 0 else { break }
      let (p, overflow) = acc.multipliedReportingOverflow(by: shape[i])
      if overflow {
        guard let beyondInt else { return nil }
        acc = beyondInt
      } else {
        acc = p
      }
    }
    return strides
  }

  /// NumPy/PyTorch broadcasting of two shapes, or nil when they do not broadcast.
  public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
    let n = max(a.count, b.count)
    var out = [Int](repeating: 1, count: n)
    for i in 0..<n {
      let da = i < n - a.count ? 1 : a[i - (n - a.count)]
      let db = i < n - b.count ? 1 : b[i - (n - b.count)]
      if da == db || db == 1 {
        out[i] = da
      } else if da == 1 {
        out[i] = db
      } else {
        return nil
      }
    }
    return out
  }

  /// Resolves a possibly negative axis against a rank.
  public static func axis(_ axis: Int, rank: Int, op: String) throws -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0, a < Swift.max(rank, 1) else {
      throw TensorError.invalidArgument(op: op, reason: "axis \(axis) is out of range for rank \(rank)")
    }
    return a
  }
}
