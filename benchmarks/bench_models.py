"""Throughput of every cell model and integrator: neuron-updates per second, ns per update.

For each model of the zoo (and the LIF for comparison), each integrator it supports, in
float32 and float64: ``--n`` uncoupled neurons (default 10^6) under a constant current that
makes them fire (initial potentials spread so that they do not fire in lock-step), spikes
recorded; a warm-up run (compilation, first touch of memory), then ``--steps`` timed steps.
One thread (fastspike's CPU backend is serial). "build" is the compilation time of the run's
kernels, or the time to load them when an earlier run left them in fastspike's cache.

Usage::

    python benchmarks/bench_models.py                     # 10^6 neurons, 300 steps each
    python benchmarks/bench_models.py --n 100000 --steps 200 --models Izhikevich HodgkinHuxley
    python benchmarks/bench_models.py --json models.json
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

import fastspike as fs

DT = 0.05  # ms: every integrator is stable for every model at this step (HH's explicit methods included)

# model name: (factory, constant current, initial-v range) giving sustained firing
SETUPS = {
    "LIF": (lambda: fs.LIF(tau_m=20.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-50.0, t_ref=2.0), 20.5, (-70.0, -50.0)),
    "QuadLIF": (lambda: fs.QuadLIF(tau_m=10.0, a0=0.2, v_c=-45.0, v_thresh=-40.0, t_ref=2.0), 40.0, (-65.0, -45.0)),
    "Izhikevich": (lambda: fs.Izhikevich.preset("RS"), 10.0, (-70.0, -50.0)),
    "AdEx": (lambda: fs.AdEx.preset("adapting"), 500.0, (-70.0, -55.0)),
    "FitzHughNagumo": (lambda: fs.FitzHughNagumo(), 0.5, (-1.5, 1.0)),
    "HodgkinHuxley": (lambda: fs.HodgkinHuxley(), 10.0, (-70.0, -60.0)),
    "ResonateAndFire": (lambda: fs.ResonateAndFire(omega=0.3, b=-0.05), 0.2, (0.0, 0.5)),
    "SLIF": (lambda: fs.SLIF(tau_m=10.0, v_thresh=1.0, thr_gain=0.05, thr_leak=0.001), 1.5, (0.0, 1.0)),
    "WTAS": (lambda: fs.WTAS(tau_m=5.0, n_units=4, thr_base=0.5, thr_gain=0.0, t_ref=2.0), 1.5, (0.0, 1.0)),
}


def measure(name: str, integrator: str, dtype: str, n: int, steps: int, warmup: int) -> dict:
    factory, current, (lo, hi) = SETUPS[name]
    net = fs.Network(dt=DT, seed=1, dtype=dtype)
    pop = net.population(factory(), n=n, integrator=integrator)
    pop.v = net.rng.uniform(lo, hi, n)
    net.current(pop, current)
    spikes = net.record(pop, "spikes")
    t0 = time.perf_counter()
    net.run(warmup * DT, progress=False)
    compile_s = net.timings.get("compile", float("nan"))
    warm_s = time.perf_counter() - t0
    spikes.clear()
    t0 = time.perf_counter()
    net.run(steps * DT, progress=False)
    wall = time.perf_counter() - t0
    updates = n * steps
    return {"model": name, "integrator": integrator, "dtype": dtype, "n": n, "steps": steps,
            "wall_s": wall, "updates_per_s": updates / wall, "ns_per_update": wall / updates * 1e9,
            "rate_hz": spikes.rate(), "compile_s": compile_s, "warmup_s": warm_s,
            "finite": bool(np.all(np.isfinite(pop.v)))}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10**6, help="neurons per run (default 10^6)")
    ap.add_argument("--steps", type=int, default=300, help="timed steps per run (default 300)")
    ap.add_argument("--warmup", type=int, default=20, help="steps of the warm-up run (default 20)")
    ap.add_argument("--models", nargs="*", default=list(SETUPS), choices=list(SETUPS), metavar="MODEL")
    ap.add_argument("--dtypes", nargs="*", default=["float32", "float64"], choices=["float32", "float64"])
    ap.add_argument("--json", help="write the rows to this file")
    args = ap.parse_args(argv)

    machine = f"{platform.processor() or platform.machine()} ({os.cpu_count()} CPUs)"
    print(f"fastspike {fs.__version__} on {machine}, Python {platform.python_version()}, 1 thread; "
          f"{args.n:,} neurons, {args.steps} steps of {DT} ms after {args.warmup} warm-up steps")
    header = (f"{'model':<16} {'integrator':<18} {'dtype':<8} {'Mupdates/s':>11} {'ns/update':>10} "
              f"{'rate (Hz)':>10} {'build (s)':>10}")
    print(header)
    print("-" * len(header))
    rows = []
    for name in args.models:
        for integrator in SETUPS[name][0]().integrators:
            for dtype in args.dtypes:
                r = measure(name, integrator, dtype, args.n, args.steps, args.warmup)
                rows.append(r)
                flag = "" if r["finite"] else "  (diverged)"
                print(f"{name:<16} {integrator:<18} {dtype:<8} {r['updates_per_s'] / 1e6:>11.1f} "
                      f"{r['ns_per_update']:>10.2f} {r['rate_hz']:>10.1f} {r['compile_s']:>10.2f}{flag}",
                      flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "python": platform.python_version(), "fastspike": fs.__version__,
                       "dt": DT, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
