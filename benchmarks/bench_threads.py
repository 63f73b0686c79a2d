"""CPU threads side by side: the standard networks with ``Network(threads=T)`` for several T.

Each (network, threads) runs in a fresh process, repetitions interleaved, after one process
per configuration has filled the compile cache (so the table times simulation, and reports
the cold compile separately). Prints the median wall time of the measured bio time, the
speed-up over one thread, and a digest of all spikes, which must be the same for every T.

    python benchmarks/bench_threads.py                       # B2, B3 at 0.25, B4; 1 and 2 threads
    python benchmarks/bench_threads.py --threads 1 2 4 8 --net B3 --scale 1.0 --duration 1000
    python benchmarks/bench_threads.py --net B1 --reps 7       # B1 CUBA (4000 neurons): too small to gain

``OMP_WAIT_POLICY`` is passed on as set (default: Numba's own threading layer defaults).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

RESULT = "RESULT "


def worker(net_name: str, threads: int, scale: float, duration: float, dtype: str) -> dict:
    from fastspike.networks import standard

    t0 = time.perf_counter()
    if net_name == "B1":  # scale unused (4000 neurons)
        net, pops = standard.cuba(dtype=dtype, threads=threads)
    elif net_name == "B2":
        net, pops = standard.brunel(scale, dtype=dtype, threads=threads)
    elif net_name == "B3":
        net, pops = standard.microcircuit(scale, dtype=dtype, threads=threads)
    else:
        net, pops = standard.uncoupled(int(scale), dtype=dtype, threads=threads)
    construct = time.perf_counter() - t0
    records = [net.record(p, "spikes") for p in pops.values()]
    net.build()
    net.run(10.0, progress=False)  # start-up transient, and first touch of every buffer
    t0 = time.perf_counter()
    net.run(duration, progress=False)
    run = time.perf_counter() - t0
    digest = hashlib.sha1(b"".join(r.steps.tobytes() + r.neurons.tobytes() for r in records)).hexdigest()[:12]
    return {"construct_s": construct, "compile_s": net.timings["compile"], "run_s": run,
            "spikes": int(sum(len(r) for r in records)), "digest": digest,
            "synapses": int(sum(p.n_synapses for p in net.projections)),
            "neurons": int(sum(p.n for p in pops.values()))}


def run_worker(args: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", *args], env=env,
                         capture_output=True, text=True)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith(RESULT)]
    if out.returncode or not lines:
        raise RuntimeError(f"worker {args} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(lines[-1][len(RESULT):])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--net", nargs="+", default=["B2", "B3", "B4"], choices=["B1", "B2", "B3", "B4"], type=str.upper)
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--scale", type=float, default=None,
                    help="B2/B3 scale (default 1.0 and 0.25); B4: neurons (default 10^6); B1: unused")
    ap.add_argument("--duration", type=float, default=300.0, help="bio time measured (ms, default 300)")
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", help="write the rows to this file")
    ap.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        name, threads, scale, duration, dtype = args.worker
        print(RESULT + json.dumps(worker(name, int(threads), float(scale), float(duration), dtype)), flush=True)
        return
    defaults = {"B1": 1.0, "B2": 1.0, "B3": 0.25, "B4": 1e6}
    cache = tempfile.mkdtemp(prefix="fastspike_threads_cache_")
    env = dict(os.environ, FASTSPIKE_CACHE_DIR=cache, NUMBA_CACHE_DIR=cache,
               NUMBA_NUM_THREADS=str(max(max(args.threads), int(os.environ.get("NUMBA_NUM_THREADS", "0") or 0))))
    import numba

    print(f"fastspike threads | {os.cpu_count()} CPUs, Numba {numba.__version__}, dtype {args.dtype}, "
          f"{args.duration:g} ms bio, {args.reps} repetitions (medians), "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}")
    rows = []
    for name in args.net:
        scale = args.scale if args.scale is not None else defaults[name]
        config = lambda t: [name, str(t), repr(scale), repr(args.duration), args.dtype]  # noqa: E731
        cold = {t: run_worker(config(t), env)["compile_s"] for t in args.threads}  # fills the cache
        runs: dict[int, list[dict]] = {t: [] for t in args.threads}
        for _ in range(args.reps):
            for t in args.threads:  # interleaved, so that drifts in machine load hit every T alike
                runs[t].append(run_worker(config(t), env))
        base = statistics.median(r["run_s"] for r in runs[args.threads[0]])
        for t in args.threads:
            r = dict(runs[t][0])
            r.update(net=name, scale=scale, threads=t, compile_cold_s=cold[t],
                     run_s=statistics.median(x["run_s"] for x in runs[t]),
                     runs_s=[x["run_s"] for x in runs[t]], same_spikes=len({x["digest"] for x in runs[t]}) == 1)
            r["speedup"] = base / r["run_s"]
            rows.append(r)
    digests = {}
    print(f"{'net':<4} {'scale':>9} {'neurons':>8} {'synapses':>11} {'threads':>7} {'compile cold':>12} "
          f"{'run (s)':>8} {'RTF':>7} {'speed-up':>8} {'spikes':>8} {'digest':>12}")
    for r in rows:
        digests.setdefault(r["net"], set()).add(r["digest"])
        print(f"{r['net']:<4} {r['scale']:>9g} {r['neurons']:>8} {r['synapses']:>11} {r['threads']:>7} "
              f"{r['compile_cold_s']:>12.1f} {r['run_s']:>8.3f} {r['run_s'] / (args.duration / 1000):>7.3f} "
              f"{r['speedup']:>7.2f}x {r['spikes']:>8} {r['digest']:>12}")
    for name, ds in digests.items():
        print(f"{name}: {'the same spikes for every thread count' if len(ds) == 1 else 'SPIKES DIFFER'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
