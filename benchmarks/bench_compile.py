"""Cold compile time of a standard network, broken down by compiled function; two checkouts
side by side.

Each measurement runs in a fresh process with an empty Numba and fastspike cache: it builds
the network (``fastspike.networks.standard``), records every population's spikes, runs 1 ms
and reports ``net.timings["compile"]`` and the process's CPU time. With ``--breakdown`` it
also listens to Numba's compile events and prints the seconds spent compiling each function
(kernel names without their hash: the populations' kernels are added up), both inclusive
and the part compiled inside it (``nested``).

    python benchmarks/bench_compile.py --net B3 --scale 0.25 --threads 1 2 --breakdown
    python benchmarks/bench_compile.py --net B2 --scale 0.2 --threads 2 --old /tmp/main_before --new . --reps 2

With ``--old`` and ``--new`` (checkouts, each put first on ``PYTHONPATH``) the runs are
interleaved (old, new, old, new, ...) and the table gives the medians of each.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

RESULT = "RESULT "


def measure(net_name: str, scale: float, threads: int, breakdown: bool) -> dict:
    """One cold build in this process (the caller set the empty cache folders)."""
    from numba.core import event

    from fastspike.networks import standard

    c0 = time.process_time()
    builder = {"B1": lambda: standard.cuba(threads=threads), "B2": lambda: standard.brunel(scale, threads=threads),
               "B3": lambda: standard.microcircuit(scale, threads=threads),
               "B4": lambda: standard.uncoupled(int(scale), threads=threads)}[net_name]
    net, pops = builder()
    for pop in pops.values():
        net.record(pop, "spikes")
    totals: dict[str, float] = collections.defaultdict(float)
    stack: list[tuple[str, float]] = []

    class Listener(event.Listener):
        def on_start(self, ev):
            dispatcher = ev.data.get("dispatcher")
            name = getattr(getattr(dispatcher, "py_func", None), "__name__", "?")
            stack.append((re.sub(r"_[0-9a-f]{10}(?=_|$)", "", name), time.perf_counter()))

        def on_end(self, ev):
            name, t0 = stack.pop()
            seconds = time.perf_counter() - t0
            totals[name] += seconds
            if stack:
                totals["nested in " + stack[-1][0]] += seconds

    if breakdown:
        with event.install_listener("numba:compile", Listener()):
            net.run(1.0, progress=False)
    else:
        net.run(1.0, progress=False)
    return {"compile_s": net.timings["compile"], "cpu_s": time.process_time() - c0, "functions": dict(totals)}


def run_one(checkout: str | None, args, threads: int) -> dict:
    cache = tempfile.mkdtemp(prefix="fs_compile_")
    env = dict(os.environ, FASTSPIKE_CACHE_DIR=cache, NUMBA_CACHE_DIR=cache)
    if checkout:
        env["PYTHONPATH"] = os.path.abspath(checkout) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, __file__, "--worker", args.net, str(args.scale), str(threads)]
    if args.breakdown:
        cmd.append("--breakdown")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith(RESULT))[len(RESULT):])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--net", choices=["B1", "B2", "B3", "B4"], default="B3")
    ap.add_argument("--scale", type=float, default=0.25, help="B2/B3 scale, B4 neurons (default 0.25)")
    ap.add_argument("--threads", nargs="+", type=int, default=[1])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--old", help="a checkout to compare (with --new)")
    ap.add_argument("--new", help="a checkout to compare (with --old)")
    ap.add_argument("--breakdown", action="store_true", help="seconds per compiled function (Numba's events)")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        name, scale, threads = args.worker
        print(RESULT + json.dumps(measure(name, float(scale), int(threads), args.breakdown)))
        return
    checkouts = [("old", args.old), ("new", args.new)] if args.old and args.new else [("this", None)]
    rows: dict[tuple[str, int], list[dict]] = collections.defaultdict(list)
    for _ in range(args.reps):
        for threads in args.threads:
            for label, checkout in checkouts:
                rows[(label, threads)].append(run_one(checkout, args, threads))
    print(f"{args.net} at scale {args.scale:g}: cold compile (empty cache, fresh process), medians of {args.reps}")
    print(f"{'checkout':10s} {'threads':>7s} {'compile (s)':>12s} {'process CPU (s)':>16s}")
    for (label, threads), runs in rows.items():
        print(f"{label:10s} {threads:7d} {statistics.median(r['compile_s'] for r in runs):12.1f} "
              f"{statistics.median(r['cpu_s'] for r in runs):16.1f}")
        if args.breakdown:
            functions = runs[0]["functions"]
            for fn, seconds in sorted(functions.items(), key=lambda kv: -kv[1])[:15]:
                print(f"{'':20s}{seconds:8.2f} s  {fn}")


if __name__ == "__main__":
    main()
