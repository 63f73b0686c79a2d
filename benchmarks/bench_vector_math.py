"""Vector math on and off: B6 (COBA) and B7 (COBAHH) per biological second, and the ns per
neuron-step of the exp-heavy models, with ``fs.backends.CPU(vector_math=False)`` and ``True``.

The runs are interleaved (off, on, off, on, ...) so that a machine shared with other work
slows both alike; the table gives the medians and the ratio of the medians. Each network is
built and compiled (or loaded from fastspike's cache) once per setting, then run ``--reps``
times from its state after a warm-up (the state advances: each rep is the next stretch of the
same simulation). Spike counts are printed so that the two settings can be compared.

Usage::

    python benchmarks/bench_vector_math.py                      # B6, B7: 0.5 s of biology, 5 reps
    python benchmarks/bench_vector_math.py --nets cobahh --bio 1 --reps 7
    python benchmarks/bench_vector_math.py --models --n 200000   # uncoupled HH, Traub, AdEx
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import fastspike as fs
from fastspike.networks import standard

SETTINGS = {"off": fs.backends.CPU(vector_math=False), "on": fs.backends.CPU(vector_math=True)}

MODELS = {  # name: (factory, integrator, current, initial-v range): uncoupled neurons that fire
    "HodgkinHuxley": (lambda: fs.HodgkinHuxley(), "exponential_euler", 10.0, (-70.0, -60.0)),
    "HodgkinHuxleyTraub": (lambda: fs.HodgkinHuxleyTraub(), "exponential_euler", 500.0, (-70.0, -60.0)),
    "AdEx": (lambda: fs.AdEx.preset("adapting"), "rk2", 500.0, (-70.0, -55.0)),
}


def network(kind: str, setting: str, args) -> tuple[fs.Network, object]:
    if kind in ("coba", "cobahh"):
        net, pops = getattr(standard, kind)(backend=SETTINGS[setting], dtype=args.dtype)
        return net, [net.record(p, "spikes") for p in pops.values()]
    factory, integrator, current, (lo, hi) = MODELS[kind]
    net = fs.Network(dt=0.05, seed=1, dtype=args.dtype, backend=SETTINGS[setting])
    pop = net.population(factory(), n=args.n, integrator=integrator)
    pop.v = net.rng.uniform(lo, hi, args.n)
    net.current(pop, current)
    return net, [net.record(pop, "spikes")]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nets", nargs="*", default=["coba", "cobahh"], choices=["coba", "cobahh"])
    ap.add_argument("--models", nargs="*", default=None, choices=list(MODELS),
                    help="uncoupled neurons of these models (all three if given without names)")
    ap.add_argument("--n", type=int, default=200_000, help="neurons per model run (default 200000)")
    ap.add_argument("--steps", type=int, default=200, help="steps per model rep (default 200)")
    ap.add_argument("--bio", type=float, default=0.5, help="biological seconds per network rep (default 0.5)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    args = ap.parse_args(argv)
    kinds = list(args.nets) + (list(MODELS) if args.models == [] else list(args.models or []))
    print(f"fastspike {fs.__version__}, {args.dtype}, {args.reps} interleaved reps (off, on, ...), medians")
    print(f"{'what':<20} {'unit':<16} {'off':>9} {'on':>9} {'off/on':>7}   spikes off / on (first rep)")
    for kind in kinds:
        nets = {s: network(kind, s, args) for s in SETTINGS}
        model = kind in MODELS
        span = args.steps * 0.05 if model else args.bio * 1000.0
        for s, (net, _) in nets.items():  # warm-up: compile or load, first touch
            net.run(20.0 if not model else 1.0, progress=False)
        times = {s: [] for s in SETTINGS}
        counts = {}
        for rep in range(args.reps):
            for s, (net, records) in nets.items():
                for r in records:
                    r.clear()
                t0 = time.perf_counter()
                net.run(span, progress=False)
                times[s].append(time.perf_counter() - t0)
                if rep == 0:
                    counts[s] = sum(len(r) for r in records)
        if model:
            scale, unit = 1e9 / (args.n * args.steps), "ns/neuron-step"
        else:
            scale, unit = 1000.0 / span, "s per bio s"
        off, on = (statistics.median(times[s]) * scale for s in SETTINGS)
        print(f"{kind:<20} {unit:<16} {off:>9.3f} {on:>9.3f} {off / on:>7.2f}   {counts['off']} / {counts['on']}")


if __name__ == "__main__":
    main()
