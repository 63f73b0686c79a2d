"""Engine benchmarks of the foundation (BENCHMARKS.md B5 and uncoupled LIF throughput).

Prints a table and (with --json) writes the figures:

- B5: one LIF neuron driven by a step current for 10^6 steps: engine overhead per step;
- 10^6 uncoupled LIF neurons (B4's neuron parameters, a constant current instead of the
  Poisson input, about 13 Hz) for every integrator, float32 and float64: ns per neuron-update;
- compile time of a first build (empty cache) and cached start-up time (import + build +
  first step, in a fresh process), each measured in a subprocess.

Usage: python benchmarks/bench_engine.py [--neurons 1000000] [--steps 1000000] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

import fastspike as fs

STARTUP = """
import time
t0 = time.perf_counter()
import fastspike as fs
net = fs.Network(dt=0.1, seed=1)
pop = net.population(fs.LIF(tau_m=20.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-50.0, t_ref=2.0), n=1000)
net.current(pop, 20.5)
spikes = net.record(pop, "spikes")
net.run(0.1)
print(time.perf_counter() - t0, net.timings["compile"])
"""


def startup_times() -> tuple[float, float, float]:
    """(first build compile s, first start-up s, cached start-up s) in fresh processes."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, FASTSPIKE_CACHE_DIR=cache)
        runs = []
        for _ in range(2):
            out = subprocess.run([sys.executable, "-c", STARTUP], env=env, capture_output=True, text=True, check=True)
            runs.append([float(x) for x in out.stdout.split()])
    return runs[0][1], runs[0][0], runs[1][0]


def one_neuron(steps: int) -> float:
    """Wall seconds per step of one LIF neuron under a step current (B5)."""
    net = fs.Network(dt=0.1, seed=1)
    pop = net.population(fs.LIF(tau_m=20.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-50.0, t_ref=2.0), n=1)
    net.current(pop, fs.StepCurrent([10.0, 50.0], [25.0, 30.0]))
    net.record(pop, "spikes")
    net.run(net.dt)
    t = time.perf_counter()
    net.run(steps * net.dt, progress=False)
    return (time.perf_counter() - t) / steps


def uncoupled(n: int, integrator: str, dtype: str, bio_ms: float) -> tuple[float, float, float]:
    """(ns per neuron-update, mean rate Hz, compile s) for n uncoupled LIF neurons."""
    net = fs.Network(dt=0.1, seed=1, dtype=dtype)
    pop = net.population(fs.LIF(tau_m=20.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-50.0, t_ref=2.0), n=n,
                         integrator=integrator)
    pop.v[:] = net.rng.uniform(-70.0, -50.0, n)
    net.current(pop, 20.5)
    spikes = net.record(pop, "spikes")
    net.run(net.dt)
    compile_s = net.timings["compile"]
    steps = int(round(bio_ms / net.dt))
    t = time.perf_counter()
    net.run(bio_ms, progress=False)
    wall = time.perf_counter() - t
    return wall / (steps * n) * 1e9, len(spikes) / n / ((bio_ms + net.dt) / 1000), compile_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--neurons", type=int, default=10**6)
    ap.add_argument("--steps", type=int, default=10**6)
    ap.add_argument("--bio-ms", type=float, default=100.0, help="bio time of the throughput runs (ms)")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()

    results = {"machine": f"{platform.processor() or platform.machine()} ({os.cpu_count()} CPUs)",
               "python": platform.python_version(), "fastspike": fs.__version__, "threads": 1}
    compile_s, first_s, cached_s = startup_times()
    results.update(first_compile_s=compile_s, first_startup_s=first_s, cached_startup_s=cached_s)
    results["b5_step_us"] = one_neuron(args.steps) * 1e6
    rows = []
    for integrator in ("exact", "euler", "rk2", "rk4"):
        for dtype in ("float32", "float64"):
            ns, rate, comp = uncoupled(args.neurons, integrator, dtype, args.bio_ms)
            rows.append({"integrator": integrator, "dtype": dtype, "ns_per_update": ns, "rate_hz": rate,
                         "compile_s": comp})
    results["uncoupled"] = rows

    print(f"fastspike {fs.__version__} on {results['machine']}, Python {results['python']}, 1 thread")
    print(f"first build: compile {compile_s:.2f} s, start-up {first_s:.2f} s; "
          f"cached start-up (import + build + first step): {cached_s:.2f} s")
    print(f"B5 one LIF, {args.steps:.0e} steps: {results['b5_step_us']:.4f} us per step")
    print(f"\n{args.neurons:.0e} uncoupled LIF neurons, {args.bio_ms:g} ms bio time")
    print(f"{'integrator':<10} {'dtype':<8} {'ns/update':>10} {'rate (Hz)':>10} {'compile (s)':>12}")
    for r in rows:
        print(f"{r['integrator']:<10} {r['dtype']:<8} {r['ns_per_update']:>10.3f} {r['rate_hz']:>10.2f} "
              f"{r['compile_s']:>12.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
