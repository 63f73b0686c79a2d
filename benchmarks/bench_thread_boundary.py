"""Where two CPU threads' neuron ranges meet: what it costs on this machine.

fastspike's threads split each population into contiguous ranges (``fs.Network(threads=T)``),
so the per-neuron arrays (``v``, the channels, their inputs, the refractory counter, the spike
flags) of two threads lie side by side in memory. This script times a LIF-like update of
``n`` neurons (seven arrays read and written per neuron-step, a barrier between steps, as the
threaded worker meets its partner) in four arrangements, each repetition in turn (A B C D,
medians):

- ``1 thread``: one thread updates all ``n`` neurons;
- ``2 threads, halves``: two threads, each half of the same arrays (fastspike's layout);
- ``2 threads, gap G``: the same, with ``G`` unused elements between the halves;
- ``2 threads, own arrays``: each thread a half in arrays of its own.

    python benchmarks/bench_thread_boundary.py                  # n = 4000 (B1 CUBA's size)
    python benchmarks/bench_thread_boundary.py --n 12500 --steps 5000

It prints ns per neuron-step (the wall time over each thread's own neurons) and the speed-up
of two threads over one. On this project's 2-vCPU machine (2026-12-01, the update vectorized
as generated, 0.50-0.55 ns per neuron-step on one thread; four runs of each size) two threads
gained, over one: 4000 neurons, halves 0.63-1.43x, a gap of 512 0.96-1.61x, arrays of their
own 1.54-1.93x; 12500 neurons, 1.05-1.82x, 1.44-2.01x, 1.69-2.04x. The order held in every
run; the spread did not (the machine's two vCPUs seem to share a core's resources at some
times and not at others), and which array matters did not either, so the mechanism is open.
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time

import numpy as np
from numba import njit

from fastspike.backends.cpu.sync import SYNC_SIZE, barrier


@njit(nogil=True, cache=True)
def update(v, c0, c1, a0, a1, rc, flags, lo, hi, sync, workers, steps):  # pragma: no cover - compiled
    """``steps`` steps of an exact LIF update with two exponential channels over ``[lo, hi)``,
    a barrier after each."""
    fired = 0
    for _ in range(steps):
        fired = 0
        for i in range(np.uint64(lo), np.uint64(hi)):  # unsigned, as generated: the loop vectorizes
            x, i0, i1 = v[i], c0[i], c1[i]
            new = -60.0 + 0.99 * (x + 60.0) + 0.001 * i0 + 0.002 * i1
            c0[i] = i0 * 0.98 + a0[i]
            a0[i] = 0.0
            c1[i] = i1 * 0.99 + a1[i]
            a1[i] = 0.0
            r = rc[i]
            on = r <= 0
            rc[i] = r - 1 if r > 0 else 0
            new = new if on else x
            f = on and new > -50.0
            flags[i] = f
            fired += f
            v[i] = new
        barrier(sync, workers)
    return fired


def arrays(n: int) -> list[np.ndarray]:
    return [np.full(n, -55.0), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, np.int32),
            np.zeros(n, np.bool_)]


def run_two(first: list[np.ndarray], second: list[np.ndarray], ranges: tuple[tuple[int, int], tuple[int, int]],
            steps: int) -> float:
    """Seconds for two threads, each its range of its arrays, meeting at a barrier every step."""
    sync = np.zeros(SYNC_SIZE, np.int64)
    (lo0, hi0), (lo1, hi1) = ranges
    other = threading.Thread(target=update, args=(*second, lo1, hi1, sync, 2, steps))
    t0 = time.perf_counter()
    other.start()
    update(*first, lo0, hi0, sync, 2, steps)
    other.join()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=4000, help="neurons (default 4000, B1's)")
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--gaps", type=int, nargs="+", default=[64, 128, 512], help="elements between the halves")
    args = parser.parse_args()
    n, steps, half = args.n, args.steps, args.n // 2
    sync = np.zeros(SYNC_SIZE, np.int64)
    shared = arrays(n)
    update(*shared, 0, n, sync, 1, 2)  # compile (or load from the cache)
    cases: dict[str, callable] = {"1 thread": lambda: _one(shared, n, steps)}
    cases["2 threads, halves"] = lambda: run_two(shared, shared, ((0, half), (half, n)), steps)
    for gap in args.gaps:
        padded = arrays(n + gap)
        cases[f"2 threads, gap {gap}"] = (lambda p=padded, g=gap:
                                          run_two(p, p, ((0, half), (half + g, n + g)), steps))
    own = arrays(n), arrays(n)
    cases["2 threads, own arrays"] = lambda: run_two(own[0], own[1], ((0, half), (half, n)), steps)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.reps):
        for name, case in cases.items():
            times[name].append(case())
    one = statistics.median(times["1 thread"])
    print(f"{n} neurons, {steps} steps, {args.reps} repetitions in turn (medians); a barrier every step")
    print(f"{'arrangement':<24}{'s':>9}{'ns/neuron-step':>16}{'speed-up':>10}")
    for name, ts in times.items():
        t = statistics.median(ts)
        per = t / steps / (n if name == "1 thread" else half) * 1e9
        print(f"{name:<24}{t:>9.4f}{per:>16.3f}{one / t:>9.2f}x")


def _one(arrs: list[np.ndarray], n: int, steps: int) -> float:
    sync = np.zeros(SYNC_SIZE, np.int64)
    t0 = time.perf_counter()
    update(*arrs, 0, n, sync, 1, steps)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
