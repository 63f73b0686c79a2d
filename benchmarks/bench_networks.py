"""Standard network benchmarks B1-B4 of BENCHMARKS.md (CUBA, Brunel, microcircuit, uncoupled).

Each network is measured in fresh subprocesses (so that peak RSS belongs to that network
alone), ``--reps`` times. By default every network gets its own empty Numba cache
(``FASTSPIKE_CACHE_DIR`` and ``NUMBA_CACHE_DIR`` pointed at a new temporary folder): the
first repetition shows the cold compile of a first use, the later ones the cached build
(the generated step function and the connector kernels loaded from the disk cache). With
``--cache user`` the user's cache is used as it is, and each row says whether it was warm.

For every network the table gives: the neurons and synapses, the construction time (the
builder of ``fastspike.networks.standard``: populations + connectivity), the compile time
(``net.timings["compile"]`` after ``net.build()``; cold and cached), the simulation wall
time of the biological time (``net.run(duration, progress=False)``), the real-time factor
(wall / bio), the spikes and mean rate of every population beside their reference value,
the peak RSS (``ru_maxrss``) of the process, backend, threads, dtype and the machine.
Construction, run time and peak RSS are medians over the repetitions (the network is the
same in each: same seed, same spikes).

B3 follows BENCHMARKS.md: 100 ms of warm-up, then ``--b3-duration`` (1 s) measured. Its spike
records are created before the build (so that one program is compiled) and its rates count
only the spikes after the warm-up.

Usage::

    python benchmarks/bench_networks.py                      # B1 1 s, B2 s=1, B3 s=0.1, B4 10^6
    python benchmarks/bench_networks.py --bench B1 --b1-10s  # B1 for 1 s and 10 s
    python benchmarks/bench_networks.py --bench B3 --scale 1.0 --reps 1   # full microcircuit (~3 GB)
    python benchmarks/bench_networks.py --bench B2 --scale 0.1 0.5 1 2 --dtype float32 --json out.json

One measurement alone (what the parent runs in each subprocess; prints one JSON line)::

    python benchmarks/bench_networks.py --worker B2 --size 0.5 --duration 1000
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DT = 0.1  # ms
B3_WARMUP_MS = 100.0

# reference rates (Hz) of every population, and where they come from
REFERENCES = {
    "B1": ({"exc": 5.6, "inh": 5.6}, "Brian2 CUBA example / Brette et al. 2007 (~5.6 Hz)"),
    "B2": ({"E": 37.0, "I": 37.0}, "Brunel 2000 model A, g=5, eta=2, SI regime (~37 Hz)"),
    "B3": ({"L23E": 0.943, "L23I": 3.026, "L4E": 4.368, "L4I": 5.882, "L5E": 7.733, "L5I": 8.664,
            "L6E": 1.096, "L6I": 7.851}, "NEST reference, full scale (Potjans & Diesmann 2014)"),
    "B4": ({"neurons": 5.3}, "Brian2 (~5.3 Hz)"),
}
NAMES = {"B1": "CUBA", "B2": "Brunel", "B3": "microcircuit", "B4": "uncoupled"}
RESULT = "RESULT "


# ---------------------------------------------------------------------------------------
# one measurement (in the subprocess)
# ---------------------------------------------------------------------------------------
def _rss_mb() -> float:
    """Current resident set size (MB)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def _cache_files(folder: Path) -> set[str]:
    return {str(p) for p in folder.rglob("*") if p.suffix in (".nbi", ".nbc")} if folder.exists() else set()


def measure(bench: str, size: float, duration: float, dtype: str = "float64", seed: int | None = None,
            threads: int = 1) -> dict:
    """Build, compile and run one standard network; return its figures (a dict)."""
    t_import = time.perf_counter()
    import numpy as np

    import fastspike as fs
    from fastspike.backends.cpu.compiler import cache_dir
    from fastspike.networks import standard

    import_s = time.perf_counter() - t_import
    rss_import = _rss_mb()
    builder = {"B1": standard.cuba, "B2": standard.brunel, "B3": standard.microcircuit,
               "B4": standard.uncoupled}[bench]
    kwargs = {"dtype": dtype, "dt": DT, "threads": threads}
    if seed is not None:
        kwargs["seed"] = seed
    folders = [cache_dir()] + ([Path(os.environ["NUMBA_CACHE_DIR"])] if os.environ.get("NUMBA_CACHE_DIR") else [])
    before = set().union(*(_cache_files(f) for f in folders))

    t0 = time.perf_counter()
    if bench == "B1":
        net, pops = builder(**kwargs)
    elif bench == "B4":
        net, pops = builder(int(size), **kwargs)
    else:
        net, pops = builder(size, **kwargs)
    construct_s = time.perf_counter() - t0
    rss_built = _rss_mb()

    records = {name: net.record(pop, "spikes") for name, pop in pops.items()}
    net.build()
    after = set().union(*(_cache_files(f) for f in folders))
    warmup_ms = B3_WARMUP_MS if bench == "B3" else 0.0
    warmup_s = 0.0
    if warmup_ms:
        t0 = time.perf_counter()
        net.run(warmup_ms, progress=False)
        warmup_s = time.perf_counter() - t0
    start_step = net.step
    t0, c0 = time.perf_counter(), time.process_time()
    net.run(duration, progress=False)
    run_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0

    populations = {}
    for name, rec in records.items():
        spikes = int(np.count_nonzero(rec.steps > start_step))  # stamped k + 1 for step k
        populations[name] = {"n": pops[name].n, "spikes": spikes,
                             "rate_hz": spikes / pops[name].n / (duration / 1000.0)}
    n_neurons = sum(p.n for p in pops.values())
    n_spikes = sum(p["spikes"] for p in populations.values())
    return {
        "bench": bench, "network": NAMES[bench], "size": size, "bio_ms": duration, "warmup_ms": warmup_ms,
        "dt_ms": net.dt, "seed": net.seed, "dtype": str(net.dtype), "backend": net.backend_name,
        "threads": net.threads, "numba_threads": int(os.environ.get("NUMBA_NUM_THREADS", "0") or 0) or None,
        "neurons": n_neurons, "synapses": int(sum(p.n_synapses for p in net.projections)),
        "connectivity_mb": sum(p.nbytes for p in net.projections) / 2**20,
        "poisson_afferents": int(sum(inp.n * pop.n for pop in net.populations for inp in pop.poisson_inputs)),
        "import_s": import_s, "construct_s": construct_s, "codegen_s": net.timings.get("codegen", float("nan")),
        "compile_s": net.timings.get("compile", float("nan")), "build_s": net.timings.get("build", float("nan")),
        "cache": "cold" if after - before else "warm", "new_cache_files": len(after - before),
        "warmup_s": warmup_s, "run_s": run_s, "cpu_s": cpu_s, "rtf": run_s / (duration / 1000.0),
        "spikes": n_spikes, "rate_hz": n_spikes / n_neurons / (duration / 1000.0),
        "ns_per_neuron_step": run_s / (n_neurons * round(duration / net.dt)) * 1e9,
        "populations": populations,
        "rss_import_mb": rss_import, "rss_built_mb": rss_built,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "fastspike": fs.__version__,
    }


# ---------------------------------------------------------------------------------------
# the parent: one subprocess per repetition
# ---------------------------------------------------------------------------------------
def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = float("nan")
    import numba
    import numpy

    import fastspike
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cpus": os.cpu_count(), "usable_cpus": usable, "memory_gb": round(mem, 1),
            "os": platform.platform(), "python": platform.python_version(), "numpy": numpy.__version__,
            "numba": numba.__version__, "fastspike": fastspike.__version__}


def run_worker(bench: str, size: float, duration: float, dtype: str, seed: int | None, env: dict,
               python: str = sys.executable) -> dict:
    cmd = [python, os.path.abspath(__file__), "--worker", bench, "--size", repr(size), "--duration", repr(duration),
           "--dtype", dtype] + ([] if seed is None else ["--seed", str(seed)])
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith(RESULT)]
    if out.returncode or not lines:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return json.loads(lines[-1][len(RESULT):])


def bench_config(bench: str, size: float, duration: float, args) -> dict:
    """Run one network ``args.reps`` times in fresh processes; summarize."""
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "passive"))
    tmp = None
    if args.cache == "cold":
        tmp = tempfile.mkdtemp(prefix="fastspike_bench_cache_")
        env.update(FASTSPIKE_CACHE_DIR=tmp, NUMBA_CACHE_DIR=tmp)
    runs = []
    try:
        for _ in range(args.reps):
            runs.append(run_worker(bench, size, duration, args.dtype, args.seed, env))
            if args.verbose:
                r = runs[-1]
                print(f"  [{bench} {size:g}] construct {r['construct_s']:.2f} s, compile {r['compile_s']:.2f} s "
                      f"({r['cache']}), run {r['run_s']:.3f} s, {r['rate_hz']:.2f} Hz, "
                      f"{r['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    row = dict(runs[0])
    med = lambda key, rs=runs: statistics.median(r[key] for r in rs)  # noqa: E731
    for key in ("run_s", "rtf", "ns_per_neuron_step", "peak_rss_mb", "warmup_s", "import_s"):
        row[key] = med(key)
    # a cold repetition also compiles the connector kernels during construction: when there
    # are warm repetitions, the construction time is theirs
    warm_runs = [r for r in runs if r["cache"] == "warm"] or runs
    row["construct_s"] = med("construct_s", warm_runs)
    cold = [r["compile_s"] for r in runs if r["cache"] == "cold"]
    warm = [r["compile_s"] for r in runs if r["cache"] == "warm"]
    row["compile_first_s"] = runs[0]["compile_s"]
    row["cache_first"] = runs[0]["cache"]
    row["compile_cold_s"] = statistics.median(cold) if cold else None
    row["compile_warm_s"] = statistics.median(warm) if warm else None
    row["construct_first_s"] = runs[0]["construct_s"]
    row["reps"] = len(runs)
    row["runs"] = [{k: r[k] for k in ("construct_s", "compile_s", "cache", "run_s", "peak_rss_mb", "spikes")}
                   for r in runs]
    del row["compile_s"], row["cache"]
    ref, source = REFERENCES[bench]
    row["reference_hz"], row["reference"] = ref, source
    return row


def _fmt(x, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def print_table(rows: list[dict], info: dict) -> None:
    m = info["machine"]
    print(f"\nfastspike {m['fastspike']} | Python {m['python']}, NumPy {m['numpy']}, Numba {m['numba']} | "
          f"{m['cpu']}, {m['cpus']} CPUs ({m['usable_cpus']} usable), {m['memory_gb']} GB")
    print(f"backend {rows[0]['backend'] if rows else '-'}, threads {rows[0]['threads'] if rows else '-'}, "
          f"dtype {info['dtype']}, dt {DT} ms, cache {info['cache']}, {info['reps']} repetition(s): medians; "
          f"compile 'cold' = empty Numba cache, 'warm' = loaded from the cache")
    head = (f"{'bench':<5} {'size':>7} {'neurons':>8} {'synapses':>11} {'bio':>6} {'construct':>9} "
            f"{'compile':>8} {'compile':>8} {'run wall':>9} {'RTF':>7} {'ns/nrn':>7} {'spikes':>9} {'rate':>7} "
            f"{'peak RSS':>9}")
    head2 = (f"{'':<5} {'':>7} {'':>8} {'':>11} {'(s)':>6} {'(s)':>9} {'cold (s)':>8} {'warm (s)':>8} "
             f"{'(s)':>9} {'':>7} {'step':>7} {'':>9} {'(Hz)':>7} {'(MB)':>9}")
    print(head)
    print(head2)
    print("-" * len(head))
    for r in rows:
        size = f"{r['size']:g}" if r["bench"] != "B1" else "-"
        print(f"{r['bench']:<5} {size:>7} {r['neurons']:>8} {r['synapses']:>11} {r['bio_ms'] / 1000:>6g} "
              f"{r['construct_s']:>9.2f} {_fmt(r['compile_cold_s'], '8.2f'):>8} {_fmt(r['compile_warm_s'], '8.2f'):>8} "
              f"{r['run_s']:>9.3f} {r['rtf']:>7.3f} {r['ns_per_neuron_step']:>7.2f} {r['spikes']:>9} "
              f"{r['rate_hz']:>7.2f} {r['peak_rss_mb']:>9.0f}")
        pops = ", ".join(f"{k} {v['rate_hz']:.2f} ({r['reference_hz'].get(k, float('nan')):g})"
                         for k, v in r["populations"].items())
        extra = f"; warm-up {r['warmup_ms']:g} ms took {r['warmup_s']:.2f} s" if r["warmup_ms"] else ""
        print(f"      rates Hz (reference): {pops}{extra}")
    print("reference rates: " + "; ".join(f"{b} {src}" for b, (_, src) in REFERENCES.items()
                                          if any(r['bench'] == b for r in rows)))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", nargs="+", default=["B1", "B2", "B3", "B4"], choices=["B1", "B2", "B3", "B4"],
                    type=str.upper, help="networks to run (default: all)")
    ap.add_argument("--b1-10s", action="store_true", help="also run B1 for 10 s of bio time")
    ap.add_argument("--b2-scales", nargs="+", type=float, default=[1.0], help="Brunel scales (default 1.0)")
    ap.add_argument("--b3-scales", nargs="+", type=float, default=[0.1],
                    help="microcircuit scales (default 0.1; 1.0 is full scale: ~3 GB, minutes)")
    ap.add_argument("--scale", nargs="+", type=float,
                    help="scales of B2 and B3 together (overrides --b2-scales / --b3-scales)")
    ap.add_argument("--b4-n", nargs="+", type=int, default=[10**6], help="B4 neuron numbers (default 10^6)")
    ap.add_argument("--duration", type=float, default=1000.0, help="bio time measured (ms, default 1000)")
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--seed", type=int, default=None, help="network seed (default: the builders' own)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions, each in a fresh process (default 3)")
    ap.add_argument("--cache", choices=["cold", "user"], default="cold",
                    help="cold: an empty Numba cache per network, first repetition compiles (default); "
                         "user: the user's cache as it is")
    ap.add_argument("--json", help="write the rows (and the machine) to this file")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every repetition (to stderr)")
    ap.add_argument("--worker", choices=["B1", "B2", "B3", "B4"], help=argparse.SUPPRESS)
    ap.add_argument("--size", type=float, default=1.0, help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        print(RESULT + json.dumps(measure(args.worker, args.size, args.duration, args.dtype, args.seed, args.threads)),
              flush=True)
        return
    if args.scale:
        args.b2_scales = args.b3_scales = args.scale
    configs = []
    for bench in ("B1", "B2", "B3", "B4"):
        if bench not in args.bench:
            continue
        if bench == "B1":
            configs += [("B1", 1.0, args.duration)] + ([("B1", 1.0, 10000.0)] if args.b1_10s else [])
        elif bench == "B2":
            configs += [("B2", s, args.duration) for s in args.b2_scales]
        elif bench == "B3":
            configs += [("B3", s, args.duration) for s in args.b3_scales]
        else:
            configs += [("B4", float(n), args.duration) for n in args.b4_n]
    info = {"machine": machine(), "dtype": args.dtype, "cache": args.cache, "reps": args.reps}
    rows = []
    for bench, size, duration in configs:
        print(f"running {bench} ({NAMES[bench]}, size {size:g}, {duration:g} ms) x {args.reps} ...",
              file=sys.stderr, flush=True)
        rows.append(bench_config(bench, size, duration, args))
    print_table(rows, info)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({**info, "rows": rows}, f, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
