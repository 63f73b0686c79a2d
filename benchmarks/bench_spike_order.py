"""Ordering the spikes drained from the GPU: ``numpy.lexsort`` against ``order_spikes``.

The CUDA backend's threads append spikes in any order within a step; the engine orders
every drain by (step, neuron), as the CPU backend records them. This script times both
ways, side by side, on drains shaped like the standard benchmarks' (spikes of each step in
random order), and prints a table of ms per drain and the cost per biological second.

    python benchmarks/bench_spike_order.py

No GPU needed: the ordering runs on the host.
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fastspike.backends.cuda.spike_order import _order_each_step, _threads, order_spikes  # noqa: E402

# name, neurons, spikes per step (mean), steps per drain, steps per bio second
CASES = [
    ("B4 1e6 neurons, 5.3 Hz", 10**6, 530, 2500, 10_000),
    ("B3 microcircuit, ~3.5 Hz", 77_169, 27, 2500, 10_000),
    ("B2 Brunel, 1e4 x ~30 Hz", 12_500, 37, 2500, 10_000),
]


def _drain(rng, n, per_step, steps):
    counts = rng.poisson(per_step, steps)
    s = np.repeat(np.arange(steps, dtype=np.int64), counts)
    neurons = np.concatenate([rng.choice(n, c, replace=False) for c in counts]).astype(np.int32)
    return s, neurons


def _time(fn, drains, repeat=3):
    best = np.inf
    for _ in range(repeat):
        copies = [(s.copy(), x.copy()) for s, x in drains]
        t0 = time.perf_counter()
        for s, x in copies:
            fn(s, x)
        best = min(best, (time.perf_counter() - t0) / len(copies))
    return best


def main() -> None:
    rng = np.random.default_rng(1)
    threads = _threads()
    print(f"ms per drain of 2500 steps; s per biological second; order_spikes by 1 and {threads} threads")
    print(f"{'drain':28s} {'spikes':>9s} {'lexsort':>9s} {'1 thread':>9s} {f'{threads} threads':>10s} "
          f"{'lexsort/1':>10s} {f'lexsort/{threads}':>10s} {'s/bio s: lexsort':>17s} {'1 thread':>9s} {f'{threads} threads':>10s}")
    for name, n, per_step, steps, bio in CASES:
        drains = [_drain(rng, n, per_step, steps) for _ in range(3)]
        order_spikes(*[a.copy() for a in drains[0]], n)  # compile (or load from the cache)
        _order_each_step(*[a.copy() for a in drains[0]], n)
        for s, x in drains:  # both give the same order
            o = np.lexsort((x, s))
            got = order_spikes(s.copy(), x.copy(), n)
            assert np.array_equal(got[0], s[o]) and np.array_equal(got[1], x[o])
        t_lex = _time(lambda s, x: np.lexsort((x, s)), drains)
        t_one = _time(lambda s, x: _order_each_step(s, x, n), drains)
        t_ord = _time(lambda s, x: order_spikes(s, x, n), drains)
        m = np.mean([s.size for s, _ in drains])
        per_bio = bio / steps
        print(f"{name:28s} {m:9.0f} {t_lex * 1e3:9.2f} {t_one * 1e3:9.2f} {t_ord * 1e3:10.2f} {t_lex / t_one:10.1f} "
              f"{t_lex / t_ord:10.1f} {t_lex * per_bio:17.3f} {t_one * per_bio:9.3f} {t_ord * per_bio:10.3f}")


if __name__ == "__main__":
    main()
