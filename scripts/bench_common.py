"""What the PyTorch sides of `agfas bench` share."""
import importlib.metadata
import json
import statistics
import time

import torch


def median_time(fn, repeat, warmup=1):
    """Median wall time of `repeat` calls of `fn`, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cpu_capability():
    """The vector level ATen's kernels run at (AVX2, AVX512, ...): what ATEN_CPU_CAPABILITY
    chose. torch 2.0 has no get_cpu_capability(), but its build summary says it."""
    if hasattr(torch.backends, "cpu") and hasattr(torch.backends.cpu, "get_cpu_capability"):
        return torch.backends.cpu.get_cpu_capability()
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip()
    return "unknown"


def start(threads, packages=()):
    """Sets torch's thread count and prints the stack line the Swift side shows above its
    table: {"stack": "torch X, <package> Y, CPU capability Z, N threads"}."""
    torch.set_num_threads(threads)
    parts = [f"torch {torch.__version__}"]
    parts += [f"{p} {importlib.metadata.version(p)}" for p in packages]
    parts += [f"CPU capability {cpu_capability()}", f"{torch.get_num_threads()} threads"]
    print(json.dumps({"stack": ", ".join(parts)}), flush=True)
