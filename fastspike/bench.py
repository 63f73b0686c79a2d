"""``fastspike bench``: the field's standard networks on the backends available.

The networks (``fastspike.networks.standard``):

- ``cuba``: Vogels & Abbott (2005) CUBA network, Brette et al. (2007) benchmark 2: 3200
  excitatory + 800 inhibitory LIF neurons, connection probability 2 %, exponential current
  synapses (5 and 10 ms). A fixed network: ``--scale`` does not apply.
- ``brunel``: Brunel (2000) model A in the synchronous irregular regime (g = 5, eta = 2):
  10000 + 2500 LIF neurons times ``--scale``, 1000 + 250 inputs each, delta synapses with a
  1.5 ms delay, Poisson afferents.
- ``microcircuit``: Potjans & Diesmann (2014) cortical microcircuit: 77169 LIF neurons in 8
  populations times ``--scale`` (full-scale indegrees kept), exponential current synapses,
  normally distributed delays, Poisson background; 0.1 s of warm-up before the measure.
- ``uncoupled``: 10^6 x ``--scale`` uncoupled LIF neurons, each with 1000 Poisson afferents of
  5 Hz (the engine's throughput without spike delivery).
- ``coba``: B6, Vogels & Abbott (2005) COBA, Brette et al. (2007) benchmark 1: 3200 + 800 LIF
  (C_m 200 pF, g_L 10 nS, E_L -60, threshold -50 mV, 5 ms refractory), exponential conductances
  (6 nS, 5 ms, 0 mV; 67 nS, 10 ms, -80 mV), p = 2 %; Euler (Brian2's COBA example's method).
- ``cobahh``: B7, Brette et al. (2007) benchmark 3: B6's network of Traub-Miles
  Hodgkin-Huxley cells (NEST ``hh_cond_exp_traub``), exponential Euler. Fixed sizes.

Each (network, backend) runs in its own process, so that its peak memory is its own. The
table gives build time (populations + connectivity), compile time (code generation and
compilation or cache load, and for the GPU the first launches), wall time of the simulated
time, real-time factor, spikes, rates per population, peak host RSS and device memory in
use; with two backends, the GPU/CPU speed-up of each network. ``--json`` writes every row.

    fastspike bench                                   # cuba, brunel on every usable backend
    fastspike bench --net microcircuit --scale 0.1 --backend cpu,cuda --json out.json
    fastspike bench --backend cuda --cuda-launch steps,stages   # compare the GPU launch modes
    fastspike bench --net microcircuit --backend cuda --cuda-lanes auto,32   # GPU lanes per spike
    fastspike bench --net brunel,uncoupled --backend cpu --threads 1,2,4      # CPU threads
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

NETS = ("cuba", "brunel", "microcircuit", "uncoupled", "coba", "cobahh")
FIXED = ("cuba", "coba", "cobahh")
"""Networks of a fixed size (``--scale`` does not apply)."""
WARMUP_MS = {"microcircuit": 100.0}
RESULT = "RESULT "
LABEL = 24  # width of the backend column: "cuda:stages:lanes 1024"


def _measure(net_name: str, backend: str, scale: float, duration: float, dtype: str, threads: int = 1) -> dict:
    """Build, compile and run one network in this process; the figures as a dict."""
    from .networks import standard

    t0 = time.perf_counter()
    kw = dict(dtype=dtype, backend=backend, threads=threads)
    if net_name == "coba":
        net, pops = standard.coba(integrator="euler", **kw)
    elif net_name in FIXED:
        net, pops = getattr(standard, net_name)(**kw)
    elif net_name == "uncoupled":
        net, pops = standard.uncoupled(max(int(10**6 * scale), 1), **kw)
    else:
        net, pops = getattr(standard, net_name)(scale, **kw)
    build_s = time.perf_counter() - t0
    records = {name: net.record(pop, "spikes") for name, pop in pops.items()}
    t0 = time.perf_counter()
    net.build()
    warmup = WARMUP_MS.get(net_name, 0.0)
    net.run(warmup if warmup else net.dt, progress=False)  # first launches compile the GPU kernels
    compile_s = time.perf_counter() - t0
    for rec in records.values():
        rec.clear()
    t0 = time.perf_counter()
    net.run(duration, progress=False)
    wall = time.perf_counter() - t0
    device_mb, launch = None, None
    if backend == "cuda":
        engine = net._engine
        launch = f"{engine.mode} grid {engine.grid[0]}x{engine.grid[1]}"
        lanes = sorted({c.lanes for c in engine.lowered.calls if c.kernel.kind.startswith("deliver")})
        if lanes:
            launch += f", lanes per spike {lanes[0]}" + (f"-{lanes[-1]}" if len(lanes) > 1 else "")
        from numba import cuda

        try:
            free, total = cuda.current_context().get_memory_info()
            device_mb = (total - free) / 2**20 if total and math.isfinite(total - free) else None
        except Exception:  # the simulator has no memory to report
            device_mb = None
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"net": net_name, "backend": backend, "threads": threads, "scale": scale, "dtype": dtype,
            "duration_ms": duration,
            "neurons": sum(p.n for p in pops.values()), "synapses": sum(p.n_synapses for p in net.projections),
            "build_s": build_s, "compile_s": compile_s, "wall_s": wall, "rtf": wall / (duration / 1000.0),
            "spikes": sum(len(r) for r in records.values()),
            "rates_hz": {k: r.rate() for k, r in records.items()},
            "peak_rss_mb": kb / 1024.0 if sys.platform != "darwin" else kb / 2**20, "device_mb": device_mb,
            "launch": launch}


def _worker(args) -> None:
    print(RESULT + json.dumps(_measure(args.worker, args.worker_backend, args.scale, args.duration, args.dtype,
                                       int(args.threads))))


def _row(r: dict) -> str:
    rates = " ".join(f"{k} {v:.2f}" for k, v in r["rates_hz"].items())
    dev = "-" if r.get("device_mb") is None else f"{r['device_mb']:.0f}"
    return (f"{r['net']:<13}{r['label']:<{LABEL}}{r['scale']:>6g}{r['neurons']:>9}{r['synapses']:>11}"
            f"{r['build_s']:>9.2f}{r['compile_s']:>10.2f}{r['wall_s']:>9.3f}{r['rtf']:>9.3f}{r['spikes']:>9}"
            f"{r['peak_rss_mb']:>9.0f}{dev:>8}  {rates}" + (f"  [{r['launch']}]" if r.get("launch") else ""))


def main(argv: list[str] | None = None) -> int:
    from . import backends

    parser = argparse.ArgumentParser(prog="fastspike bench", description="\n".join(__doc__.splitlines()[:24]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default=",".join(backends.available()),
                        help="comma-separated backends (default: every usable one: %(default)s)")
    parser.add_argument("--net", default="cuba,brunel", help=f"comma-separated, of {', '.join(NETS)}")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="brunel/microcircuit: population sizes times this; uncoupled: millions of neurons; "
                             "cuba has a fixed size (default 1)")
    parser.add_argument("--duration", type=float, default=1000.0, help="bio time measured (ms, default 1000)")
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--cuda-launch", default="steps",
                        help="comma-separated GPU launch modes, of steps (one cooperative launch per chunk of "
                             "steps) and stages (one launch per stage of a step); default %(default)s")
    parser.add_argument("--cuda-lanes", default="auto",
                        help="comma-separated GPU lanes per delivered spike: auto (from each projection's "
                             "mean row length) or powers of two from 1 to 1024 (32: one warp per spike); "
                             "default %(default)s")
    parser.add_argument("--threads", default="1",
                        help="comma-separated CPU thread counts (default %(default)s); results are the same "
                             "for every count, the speed-up is printed against the first")
    parser.add_argument("--json", help="write the rows to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-backend", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return 0
    names = [n.strip() for n in args.net.split(",") if n.strip()]
    chosen = [b.strip() for b in args.backend.split(",") if b.strip()]
    for n in names:
        if n not in NETS:
            parser.error(f"unknown network {n!r}; known: {', '.join(NETS)}")
    fixed = [n for n in names if n in FIXED]
    if args.scale != 1.0 and fixed:
        parser.error(f"--scale {args.scale:g} does not apply to {', '.join(fixed)}: fixed networks of 4000 "
                     f"neurons (Brette et al. 2007); scale brunel, microcircuit or uncoupled, or run {fixed[0]} "
                     f"without --scale")
    for b in chosen:
        backends.check(b)  # a clear error for an unknown or unusable backend
    from .backends.options import LANES_ENV, lanes_asked
    from .backends.cuda.engine import LAUNCH_MODES

    modes = [m.strip() for m in args.cuda_launch.split(",") if m.strip()]
    for m in modes:
        if m not in LAUNCH_MODES:
            parser.error(f"unknown --cuda-launch {m!r}; known: {', '.join(LAUNCH_MODES)}")
    lanes = [x.strip().lower() for x in args.cuda_lanes.split(",") if x.strip()]
    for x in lanes:
        try:
            lanes_asked(x)
        except ValueError as exc:
            parser.error(f"--cuda-lanes: {exc}")
    threads = [t.strip() for t in args.threads.split(",") if t.strip()]
    for t in threads:
        if not (t.isdigit() and int(t) >= 1):
            parser.error(f"--threads: {t!r} is not a thread count (an integer >= 1)")
    gpu = [(m, x, "1") for m in modes for x in lanes]
    runs = [(b, m, x, t) for b in chosen for m, x, t in (gpu if b == "cuda" else [(None, None, t) for t in threads])]
    if not (args.duration > 0 and args.scale > 0):
        parser.error("--duration and --scale must be > 0")
    print(f"{'network':<13}{'backend':<{LABEL}}{'scale':>6}{'neurons':>9}{'synapses':>11}{'build s':>9}{'compile s':>10}"
          f"{'wall s':>9}{'RTF':>9}{'spikes':>9}{'RSS MB':>9}{'dev MB':>8}  rates (Hz)")
    rows = []
    for n in names:
        for b, mode, lane, t in runs:
            label = b + (f":{mode}" if mode and len(modes) > 1 else "")
            label += f":lanes {lane}" if lane and len(lanes) > 1 else ""
            label += f":{t} threads" if b == "cpu" and threads != ["1"] else ""
            cmd = [sys.executable, "-m", "fastspike.bench", "--worker", n, "--worker-backend", b,
                   "--scale", str(args.scale), "--duration", str(args.duration), "--dtype", args.dtype,
                   "--threads", t]
            env = dict(os.environ, **({"FASTSPIKE_CUDA_LAUNCH": mode, LANES_ENV: lane} if mode else {}))
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT)]
            if proc.returncode != 0 or not lines:
                print(f"{n:<13}{label:<{LABEL}} failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")
                continue
            rows.append(dict(json.loads(lines[-1][len(RESULT):]), label=label))
            print(_row(rows[-1]), flush=True)
    for n in names:
        cpu = [r for r in rows if r["net"] == n and r["backend"] == "cpu"]
        for r in cpu[1:]:
            print(f"{n}: speed-up of {r['threads']} threads over {cpu[0]['threads']}: "
                  f"{cpu[0]['wall_s'] / r['wall_s']:.2f}x")
        for r in (r for r in rows if r["net"] == n and r["backend"] == "cuda"):
            for c in cpu:
                print(f"{n}: GPU/CPU speed-up ({r['label']} / {c['label']}) {c['wall_s'] / r['wall_s']:.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
