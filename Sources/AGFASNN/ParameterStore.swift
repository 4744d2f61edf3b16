import AGFASEngine
import Synchronization

/// Every parameter of a model, by its state-dict key, in creation order.
///
/// Models are built through a `WeightPath` rooted in a store, so the names in the code are the
/// names in the checkpoint (as in candle's VarBuilder): loading a checkpoint is a lookup.
public final class ParameterStore: @unchecked Sendable {
  private let entries = Mutex<(order: [String], byPath: [String: Parameter])>(([], [:]))
  private let linears = Mutex<[(path: String, slot: AdapterSlot)]>([])
  /// Draws initial values like PyTorch's default initialisers, from a seeded torch-compatible stream.
  public let generator: TorchGenerator
  public let initialization: Initialization

  /// How fresh parameters get their values.
  public enum Initialization: Sendable {
    /// PyTorch's initialisers drawn from `TorchGenerator(seed:)`: a seeded AGFAS model starts
    /// exactly where a seeded PyTorch model starts.
    case torch
    /// The same distributions from a fast parallel generator: for full-size models whose
    /// weights are about to be loaded or only timed (drawing 860M torch-exact values takes minutes).
    case fast
    /// Weights left unset (memory reserved, never written): for a model whose every weight
    /// is loaded next, so building it costs neither time nor resident memory.
    case uninitialized
  }

  public init(seed: UInt64 = 0, initialization: Initialization = .torch) {
    generator = TorchGenerator(seed: seed)
    self.initialization = initialization
  }

  /// A builder for parameter paths under `prefix` (empty: the model's root).
  public func root(_ prefix: String = "") -> WeightPath { WeightPath(store: self, prefix: prefix) }

  /// Registers a parameter; a second registration of the same path is a programmer error.
  func register(_ p: Parameter) {
    entries.withLock { e in
      precondition(e.byPath[p.path] == nil, "parameter \(p.path) registered twice")
      e.order.append(p.path)
      e.byPath[p.path] = p
    }
  }

  /// Records a `Linear` at module `path`, so adapters can find it (`LoRA`).
  func registerLinear(_ slot: AdapterSlot, at path: String) {
    linears.withLock { $0.append((path, slot)) }
  }

  /// Every `Linear` built in this store, by module path, in creation order.
  public var linearLayers: [(path: String, slot: AdapterSlot)] { linears.withLock { $0 } }

  /// All parameters and buffers, in creation order.
  public var all: [Parameter] { entries.withLock { e in e.order.map { e.byPath[$0]! } } }

  /// Trainable parameters, in creation order.
  public var trainable: [Parameter] { all.filter(\.trainable) }

  public subscript(path: String) -> Parameter? { entries.withLock { $0.byPath[path] } }

  /// Converts every floating-point value to `dtype` (e.g. bf16 inference halves the weights'
  /// memory and skips per-call conversions).
  public func convert(to dtype: DType) {
    for p in all where p.value.dtype != dtype {
      let old = p.value
      p.value = old.converted(to: dtype)
      // Weights mapped from a file would stay resident until the whole file is unmapped, after
      // the last of them converts: give each one's pages back as soon as it is done.
      old.storage.releaseResidentPages()
    }
  }

  /// The current values by path (a state dict).
  public func stateDict() -> [String: Tensor] {
    Dictionary(uniqueKeysWithValues: all.map { ($0.path, $0.value) })
  }
}

/// A position in the parameter tree: `path.child("conv1").weight(...)` registers
/// `<prefix>.conv1.weight`.
public struct WeightPath: Sendable {
  public let store: ParameterStore
  public let prefix: String

  /// The path one level down (`down_blocks`, then `0`, ...).
  public func child(_ name: String) -> WeightPath {
    WeightPath(store: store, prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
  }

  public func child(_ index: Int) -> WeightPath { child(String(index)) }

  /// The full key of a leaf under this path.
  public func key(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }

  /// Registers a trainable parameter with an initial value.
  public func parameter(_ name: String, _ value: Tensor) -> Parameter {
    let p = Parameter(path: key(name), value: value, trainable: true)
    store.register(p)
    return p
  }

  /// Registers a non-trainable buffer (running statistics, counters).
  public func buffer(_ name: String, _ value: Tensor) -> Parameter {
    let p = Parameter(path: key(name), value: value, trainable: false)
    store.register(p)
    return p
  }
}
