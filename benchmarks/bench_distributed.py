"""Distributed runs: B2 and B3 on K = 1 and 2 processes (mpiexec), side by side.

    python benchmarks/bench_distributed.py                       # B2 and B3 at scale 0.25
    python benchmarks/bench_distributed.py --cases B2 --scale 0.1 --duration 100 --repeat 2
    python benchmarks/bench_distributed.py --cases B4 --scale 1 --duration 100   # 10^6 neurons into HDF5

For each case, K = 1 and K = 2 with either exchange (FASTSPIKE_EXCHANGE: a fixed-size
Allgather with an overflow round, or counts + Allgatherv): the network's build time
(connect, per process: the slowest), the run's wall time, the time spent exchanging spikes
per step and per exchange (rank 0; it includes waiting for the other process), the peak
memory (resident set) of each process, and a SHA-256 digest of every spike and final state,
which must be the same for every K. The configurations alternate (1, 2, 2, 1, 2, 2, ...) and
the medians are printed. This machine has 2 shared cores: expect overhead, not speed-up.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time


def one(case: str, scale: float, duration: float) -> None:
    """A run of one case on the processes mpiexec started (or one); rank 0 prints JSON."""
    import numpy as np

    from fastspike.networks import standard
    from spike_digests import spikes_and_digest  # this script's folder: the digest of spike_digests.py

    t0 = time.perf_counter()
    if case == "B4":  # uncoupled: no exchange; the records gathered to rank 0 and written there
        net, pops = standard.uncoupled(n=int(round(10**6 * scale)))
    else:
        net, pops = {"B2": standard.brunel, "B3": standard.microcircuit}[case](scale=scale)
    build = time.perf_counter() - t0
    records = [net.record(pop, "spikes") for pop in pops.values()]
    output = None
    if case == "B4":
        import tempfile

        output = os.path.join(tempfile.gettempdir(), f"bench_distributed_{comm_size()}.h5")
    net.run(duration, progress=False, output=output, overwrite=True)
    comm = net.comm
    exchange = net._engine.exchange
    spikes, hexdigest = spikes_and_digest(records, pops.values())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    builds = comm.allgather(np.array([int(build * 1e6), rss], np.int64))
    if comm.rank != 0:
        return
    steps = int(round(duration / net.dt))
    print(json.dumps({
        "case": case, "processes": comm.size, "build_s": float(builds[:, 0].max()) / 1e6,
        "run_s": net.timings["run"], "steps": steps,
        "exchange_us_per_step": 0.0 if exchange is None else exchange.seconds / steps * 1e6,
        "exchange_us_each": 0.0 if exchange is None else exchange.seconds / max(exchange.count, 1) * 1e6,
        "interval": net.exchange_interval(), "rss_mib": [round(int(x) / 1024) for x in builds[:, 1]],
        "spikes": spikes, "digest": hexdigest}))


def comm_size() -> int:
    from fastspike.parallel import world

    return world().size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--one", nargs=3, metavar=("CASE", "SCALE", "DURATION"), help=argparse.SUPPRESS)
    parser.add_argument("--cases", default="B2,B3")
    parser.add_argument("--scale", type=float, default=0.25)
    parser.add_argument("--duration", type=float, default=200.0, help="ms of simulated time")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if args.one:
        one(args.one[0], float(args.one[1]), float(args.one[2]))
        return
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    mpiexec = mpiexec if os.path.exists(mpiexec) else shutil.which("mpiexec")
    env = dict(os.environ, OMP_WAIT_POLICY="passive", NUMBA_NUM_THREADS="1")
    rows = []
    configs = [(1, "-"), (2, "fixed"), (2, "allgatherv")]
    for case in args.cases.split(","):
        runs: dict[tuple, list] = {c: [] for c in configs}
        for _ in range(args.repeat):
            for k, method in configs:
                cmd = [sys.executable, __file__, "--one", case, str(args.scale), str(args.duration)]
                if k > 1:
                    cmd = [mpiexec, "-n", str(k), *cmd]
                out = subprocess.run(cmd, env=dict(env, FASTSPIKE_EXCHANGE="fixed" if method == "-" else method),
                                     capture_output=True, text=True, check=True, timeout=3600)
                runs[(k, method)].append(json.loads(out.stdout.strip().splitlines()[-1]))
        for (k, method), rs in runs.items():
            med = {key: statistics.median(r[key] for r in rs) for key in
                   ("build_s", "run_s", "exchange_us_per_step", "exchange_us_each")}
            rows.append((case, k, method, rs[0]["steps"], rs[0]["interval"], med, rs[-1]["rss_mib"],
                         rs[0]["spikes"], {r["digest"] for r in rs}))
    print(f"scale {args.scale}, {args.duration:g} ms, medians of {args.repeat} runs (configurations alternating)")
    print(f"{'case':5} {'K':>2} {'exchange':10} {'d_min':>5} {'build s':>8} {'run s':>7} {'us/step':>8} "
          f"{'xchg us/step':>12} {'us/xchg':>8} {'peak MiB/proc':>14} {'spikes':>8} digest")
    for case, k, method, steps, interval, med, rss, spikes, digests in rows:
        print(f"{case:5} {k:>2} {method:10} {interval:>5} {med['build_s']:8.2f} {med['run_s']:7.2f} "
              f"{med['run_s'] / steps * 1e6:8.1f} {med['exchange_us_per_step']:12.1f} {med['exchange_us_each']:8.1f} "
              f"{'/'.join(map(str, rss)):>14} {spikes:>8} {','.join(sorted(digests))}")


if __name__ == "__main__":
    main()
