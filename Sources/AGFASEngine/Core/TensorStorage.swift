import Foundation
import Synchronization

/// A fixed-size block of memory that one or more tensors read: 64-byte aligned when
/// allocated, element-aligned when it borrows a read-only file mapping (weights loaded
/// without a copy, `isFileMapping`).
///
/// Tensors are values: an op never writes into a storage that another tensor can see. The only
/// writers are the op that allocated the storage (before returning it) and explicit
/// in-place updates on uniquely held parameters (optimizers).
public final class TensorStorage: @unchecked Sendable {
  public let raw: UnsafeMutableRawPointer
  public let byteCount: Int
  /// Keeps foreign memory (a memory-mapped file) alive; nil when this storage owns `raw`.
  private let owner: AnyObject?

  /// Allocates uninitialised memory.
  public init(byteCount: Int) {
    self.byteCount = byteCount
    self.raw = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 64), alignment: 64)
    self.owner = nil
    self.isFileMapping = false
  }

  /// Wraps memory owned by `owner` (kept alive as long as this storage lives). `fileMapping`:
  /// the memory is a read-only, private mapping of a file, never written.
  public init(borrowing raw: UnsafeMutableRawPointer, byteCount: Int, owner: AnyObject, fileMapping: Bool = false) {
    self.raw = raw
    self.byteCount = byteCount
    self.owner = owner
    self.isFileMapping = fileMapping
  }

  /// Whether `raw` is a read-only private file mapping: its pages are clean copies of the
  /// file, so they can leave memory at any time and are read back on the next access.
  public let isFileMapping: Bool

  /// Gives the pages that lie wholly inside a file-mapped storage back to the kernel
  /// (MADV_DONTNEED): once a kernel-layout copy of a weight exists, the plain values need not
  /// stay resident beside it. Should anything read them again, they fault back in from the
  /// file (the page cache), unchanged. Does nothing for allocated storage.
  public func releaseResidentPages() {
    guard isFileMapping else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = (Int(bitPattern: raw) + page - 1) / page * page
    let end = (Int(bitPattern: raw) + byteCount) / page * page
    guard end > start, let first = UnsafeMutableRawPointer(bitPattern: start) else { return }
    _ = madvise(first, end - start, Int32(MADV_DONTNEED))
  }

  /// Backend-specific copies of this storage's contents (e.g. conv weights reordered into
  /// oneDNN's blocked format), built once and dropped with the storage.
  private let derived = Mutex<[String: AnyObject]>([:])

  /// The copy of this storage's contents derived under `key`, made on first request.
  /// Weights are immutable between optimizer steps, so a reorder runs once per step at most.
  public func derivedValue<T: AnyObject>(_ key: String, make: () throws -> T) rethrows -> T {
    if let v = derived.withLock({ $0[key] }) as? T { return v }
    let v = try make()
    derived.withLock { $0[key] = v }
    return v
  }

  /// Whether any derived copy is held (tests of what training keeps).
  public var hasDerivedValues: Bool { derived.withLock { !$0.isEmpty } }

  /// Drops derived copies; call after writing into this storage in place.
  public func invalidateDerived() {
    derived.withLock { $0.removeAll() }
  }

  deinit {
    if owner == nil { raw.deallocate() }
  }
}

extension Tensor {
  /// This weight's copy in a kernel's layout, made by `make`. Cached on the storage for a
  /// weight that does not train, so inference reorders it once; made afresh for a weight being
  /// trained (an autograd leaf or computed from one), which changes every step: a cached copy
  /// would only double its memory (3.4 GB for SD-1.5's UNet).
  ///
  /// A weight read from a file mapping gives its pages back once its cached copy exists, so
  /// inference holds one copy of each weight, not two (docs/engine.md, "Memory").
  func kernelCopy<T: AnyObject>(_ key: String, make: () throws -> T) rethrows -> T {
    if requiresGrad { return try make() }
    return try storage.derivedValue(key) {
      let copy = try make()
      storage.releaseResidentPages()
      return copy
    }
  }
}
