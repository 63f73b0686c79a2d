"""This machine's bounds for what a spiking-network step does, measured by minimal Numba kernels.

A network step is made of (a) the update of every neuron, streaming its state through memory,
(b) the delivery of every synaptic event, a scatter-add of a weight into the input of its
target, and (c) the draws of Poisson afferents. The kernels below do each of these and
nothing else, on arrays of the sizes the standard networks use, so that the figures of
B1-B4 (``bench_networks.py``: ns per neuron-step, ns per synaptic event) can be placed
against what the machine allows:

* ``triad``: memory bandwidth, ``a[i] = b[i] + s * c[i]`` over three float64 arrays of
  ``--stream-mb`` MB each (STREAM's triad; 24 bytes moved per element, counted as 32 with the
  write-allocate of ``a``, as STREAM does not);
* ``lif``: the streaming update of a LIF with an exponential current, exact propagation
  (``v = x0 + P (v - x0) + F I``, ``I = d I``, threshold, reset, refractory counter, a spike
  flag), float64 and float32, for ``--neurons`` neurons: ns per neuron-step (the state, 2
  floats, an int32 and a flag, read and written once per step);
* ``scatter``: ``acc[t[k]] += w`` over ``--events`` events with random targets into an
  input array of n = 4000 (B1), 80 000 (B3) and 10^6 (B4-sized) values: ns per event (the
  targets and weights stream from memory, the input array is in cache or not);
* ``scatter_rows``: the same events from the rows of a CSR matrix (targets ascending in a row,
  rows of ``--row`` synapses), the access pattern of a delivery;
* ``ring``: the scatter-add into a ring buffer of ``--ring`` rows of n values (B3's 64 x 77k:
  39 MB, out of cache), the row chosen per event as a delay of 1 to ``--ring`` steps would;
* ``poisson``: a counter-based Poisson draw per neuron (SplitMix64 hash and a search of 4
  thresholds, fastspike.random): ns per draw.

Each figure is the median of ``--reps`` timings after a warm-up (compilation excluded), in
CPU time (``time.process_time``: on a shared machine the wall time also counts the waits for a
core). Other work still shares the caches and the memory bus: run it when the machine is
quiet, and compare figures measured in one sitting.

    python benchmarks/bench_bounds.py
    python benchmarks/bench_bounds.py --neurons 1000000 --events 20000000 --json bounds.json
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
from numba import njit

from fastspike import random as rnd
from fastspike.equations import compile_scalar

_poisson_bits = compile_scalar(rnd.poisson_bits, njit)


@njit(cache=True, nogil=True)
def triad(a, b, c, s):
    for i in range(a.size):
        a[i] = b[i] + s * c[i]


@njit(cache=True, nogil=True, fastmath=False)
def lif_steps(v, cur, refr, flags, x0, p, f, d, thresh, reset, t_ref, steps):
    for _ in range(steps):
        for i in range(v.size):
            s = v[i]
            c = cur[i]
            r = refr[i]
            on = r <= 0
            n = x0 + p * (s - x0) + f * c
            n = n if on else s
            fired = on and n >= thresh
            v[i] = reset if fired else n
            cur[i] = c * d
            refr[i] = t_ref if fired else (r - 1 if r > 0 else 0)
            flags[i] = fired


@njit(cache=True, nogil=True)
def scatter(acc, targets, w):
    for k in range(targets.size):
        acc[targets[k]] += w


@njit(cache=True, nogil=True)
def scatter_rows(acc, indptr, targets, rows, w):
    for j in rows:
        for s in range(indptr[j], indptr[j + 1]):
            acc[targets[s]] += w


@njit(cache=True, nogil=True)
def ring_scatter(ring, targets, delays, w):
    for k in range(targets.size):
        ring[delays[k], targets[k]] += w


@njit(nogil=True)
def poisson_draws(out, key, thresholds, step):
    n = out.size
    for i in range(n):
        z = _poisson_bits(key, np.uint64(step) * np.uint64(n) + np.uint64(i))
        out[i] = (z > thresholds[0]) + (z > thresholds[1]) + (z > thresholds[2]) + (z > thresholds[3])


def timed(fn, reps: int) -> float:
    fn()  # compile and warm up
    times = []
    for _ in range(reps):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def measure(neurons: int, events: int, stream_mb: float, row: int, ring: int, reps: int) -> dict:
    rng = np.random.default_rng(1)
    out: dict = {}
    m = int(stream_mb * 2**20 / 8)
    a, b, c = np.zeros(m), np.ones(m), np.ones(m)
    t = timed(lambda: triad(a, b, c, 3.0), reps)
    out["triad_GBps"] = 3 * 8 * m / t / 1e9
    out["triad_GBps_write_allocate"] = 4 * 8 * m / t / 1e9
    steps = 20
    for dtype in (np.float64, np.float32):
        v = rng.uniform(-70.0, -50.0, neurons).astype(dtype)
        cur = rng.uniform(0.0, 1.0, neurons).astype(dtype)
        refr = np.zeros(neurons, np.int32)
        flags = np.zeros(neurons, np.bool_)
        args = [dtype(x) for x in (-50.0, np.exp(-0.1 / 20.0), 0.1, np.exp(-0.1 / 5.0), -50.0, -70.0)]
        x0, p, f, d, thresh, reset = args
        t = timed(lambda: lif_steps(v, cur, refr, flags, x0, p, f, d, thresh, reset, np.int32(20), steps), reps)
        out[f"lif_ns_per_neuron_step_{np.dtype(dtype).name}"] = t / (neurons * steps) * 1e9
    for n in (4000, 80_000, 10**6):
        for dtype in (np.float64, np.float32):
            acc = np.zeros(n, dtype)
            targets = rng.integers(0, n, events).astype(np.int32)
            w = dtype(0.1)
            t = timed(lambda: scatter(acc, targets, w), reps)
            out[f"scatter_ns_per_event_n{n}_{np.dtype(dtype).name}"] = t / events * 1e9
            rows = max(events // row, 1)
            indptr = np.arange(0, (rows + 1) * row, row, dtype=np.int64)
            sorted_targets = np.sort(rng.integers(0, n, (rows, row)).astype(np.int32), axis=1).ravel()
            order = rng.permutation(rows)
            t = timed(lambda: scatter_rows(acc, indptr, sorted_targets, order, w), reps)
            out[f"scatter_rows_ns_per_event_n{n}_{np.dtype(dtype).name}"] = t / (rows * row) * 1e9
    n = 77_169  # B3's neurons
    for dtype in (np.float64, np.float32):
        buf = np.zeros((ring, n), dtype)
        targets = rng.integers(0, n, events).astype(np.int32)
        delays = rng.integers(0, ring, events).astype(np.int32)
        t = timed(lambda: ring_scatter(buf, targets, delays, dtype(0.1)), reps)
        out[f"ring_ns_per_event_{ring}x{n}_{np.dtype(dtype).name}"] = t / events * 1e9
    draws = np.zeros(neurons, np.int64)
    thresholds = rnd.poisson_thresholds(0.5)
    t = timed(lambda: poisson_draws(draws, np.uint64(12345), thresholds, 7), reps)
    out["poisson_ns_per_draw_4_thresholds"] = t / neurons * 1e9
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--neurons", type=int, default=10**6, help="neurons of the LIF and Poisson kernels")
    ap.add_argument("--events", type=int, default=10**7, help="synaptic events of the scatter kernels")
    ap.add_argument("--stream-mb", type=float, default=256.0, help="MB per array of the triad")
    ap.add_argument("--row", type=int, default=100, help="synapses per row of scatter_rows")
    ap.add_argument("--ring", type=int, default=64, help="rows of the ring buffer")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args(argv)
    out = measure(args.neurons, args.events, args.stream_mb, args.row, args.ring, args.reps)
    width = max(len(k) for k in out)
    print(f"{'bound':<{width}} {'value':>10}   (medians of {args.reps})")
    for k, v in out.items():
        print(f"{k:<{width}} {v:>10.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
