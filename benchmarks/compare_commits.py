"""Two checkouts of fastspike side by side: the standard networks and the engine figures,
interleaved (A B A B ...), each run in a fresh process with an empty cache, medians and ratios.

    python benchmarks/compare_commits.py --old /path/to/old/checkout --new . --reps 3

Networks (``bench_networks.py``'s worker of each checkout): B1 CUBA, B2 Brunel (scale 1), B3
microcircuit (scale 0.25, after 100 ms of warm-up), B4 10^6 uncoupled LIF, each for
``--duration`` ms of biological time: construction, cold compile (empty Numba and fastspike
caches in every run), run wall time, peak RSS. Engine (``bench_engine.py``'s functions of each
checkout): B5 (one neuron, per-step overhead), 10^6 uncoupled LIF (ns per neuron-update, exact
float32 and float64, rk2 float32), first compile and cached start-up. The table gives the
medians of each checkout and new/old.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

NETWORKS = [("B1", 1.0), ("B2", 1.0), ("B3", 0.25), ("B4", 1e6)]
ENGINE = """
import json, sys
sys.path.insert(0, {bench!r})
import bench_engine as be
out = {{"B5_us_per_step": be.one_neuron({steps}) * 1e6}}
for integrator, dtype in (("exact", "float32"), ("exact", "float64"), ("rk2", "float32")):
    out[f"ns_{{integrator}}_{{dtype}}"] = be.uncoupled(10**6, integrator, dtype, 50.0)[0]
first_compile, first_start, cached_start = be.startup_times()
out.update(first_compile_s=first_compile, cached_startup_s=cached_start)
print("RESULT " + json.dumps(out))
"""


def _env(checkout: str, cache: str) -> dict:
    return dict(os.environ, PYTHONPATH=os.path.abspath(checkout), FASTSPIKE_CACHE_DIR=cache, NUMBA_CACHE_DIR=cache,
                OMP_WAIT_POLICY="passive")


def _run(cmd: list[str], env: dict) -> dict:
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if out.returncode or not lines:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def network(checkout: str, bench: str, size: float, duration: float) -> dict:
    cache = tempfile.mkdtemp(prefix="fastspike_compare_")
    try:
        script = os.path.join(os.path.abspath(checkout), "benchmarks", "bench_networks.py")
        return _run([sys.executable, script, "--worker", bench, "--size", repr(size), "--duration", repr(duration)],
                    _env(checkout, cache))
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def engine(checkout: str, steps: int) -> dict:
    cache = tempfile.mkdtemp(prefix="fastspike_compare_")
    try:
        code = ENGINE.format(bench=os.path.join(os.path.abspath(checkout), "benchmarks"), steps=steps)
        return _run([sys.executable, "-c", code], _env(checkout, cache))
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", required=True, help="checkout A (the reference)")
    ap.add_argument("--new", default=".", help="checkout B")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=float, default=300.0, help="bio time of each network run (ms)")
    ap.add_argument("--steps", type=int, default=10**6, help="B5 steps")
    ap.add_argument("--only", choices=["networks", "engine"], help="one half of the comparison")
    ap.add_argument("--json", help="write every run to this file")
    args = ap.parse_args()
    runs: dict[str, dict[str, list[dict]]] = {}
    for rep in range(args.reps):
        for label, checkout in (("old", args.old), ("new", args.new)):
            if args.only != "engine":
                for bench, size in NETWORKS:
                    r = network(checkout, bench, size, args.duration)
                    runs.setdefault(bench, {}).setdefault(label, []).append(r)
                    print(f"rep {rep} {label} {bench}: construct {r['construct_s']:.2f} s, compile {r['compile_s']:.2f} s,"
                          f" run {r['run_s']:.3f} s, {r['spikes']} spikes", file=sys.stderr, flush=True)
            if args.only != "networks":
                r = engine(checkout, args.steps)
                runs.setdefault("engine", {}).setdefault(label, []).append(r)
                print(f"rep {rep} {label} engine: {r}", file=sys.stderr, flush=True)
    print(f"{'measure':<34} {'old':>10} {'new':>10} {'new/old':>8}   (medians of {args.reps}, interleaved)")
    for bench, size in NETWORKS:
        if bench not in runs:
            continue
        for key, label in (("construct_s", "construction (s)"), ("compile_s", "compile, cold (s)"),
                           ("run_s", f"run {args.duration:g} ms (s)"), ("peak_rss_mb", "peak RSS (MB)")):
            old = statistics.median(r[key] for r in runs[bench]["old"])
            new = statistics.median(r[key] for r in runs[bench]["new"])
            print(f"{bench + ' ' + label:<34} {old:>10.3f} {new:>10.3f} {new / old:>8.3f}")
        spikes = {label: {r["spikes"] for r in rs} for label, rs in runs[bench].items()}
        print(f"{bench + ' spikes (old, new)':<34} {str(sorted(spikes['old'])):>10} {str(sorted(spikes['new'])):>10}")
    if "engine" in runs:
        for key in runs["engine"]["old"][0]:
            old = statistics.median(r[key] for r in runs["engine"]["old"])
            new = statistics.median(r[key] for r in runs["engine"]["new"])
            print(f"{key:<34} {old:>10.3f} {new:>10.3f} {new / old:>8.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)


if __name__ == "__main__":
    main()
