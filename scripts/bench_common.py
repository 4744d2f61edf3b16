"""What the PyTorch sides of `agfas bench` share."""
import statistics
import time


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
