/// Shape arithmetic shared by the ops.
public enum Shape {
  /// Number of elements of a shape (1 for a scalar's empty shape).
  @inlinable
  public static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

  /// Row-major strides, in elements.
  public static func strides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[i] = acc
      acc *= shape[i]
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
