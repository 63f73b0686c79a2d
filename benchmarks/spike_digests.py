"""Digests of the spike trains and final states of the standard networks, to show that a
change of the engine keeps every spike: run it before and after, the digests must be equal.

    python benchmarks/spike_digests.py                      # every case, each in its own process
    PYTHONPATH=/path/to/old/checkout python benchmarks/spike_digests.py --json old.json
    python benchmarks/spike_digests.py --compare old.json   # the same cases, now; equal or not

Cases: B1 CUBA, B2 Brunel (scale 0.1), B3 microcircuit (scale 0.1), B4 10^5 uncoupled LIF, each
on the CPU with 1 and 3 threads, with a fixed seed; and small networks (B1 for 3 ms, B2 at
scale 0.02 for 5 ms) under Numba's CUDA simulator. A digest is the SHA-256 of every spike
record's steps and neurons and of every population's final state.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys

CASES = {  # name: (builder, keyword arguments, duration in ms)
    "B1": ("cuba", {}, 300.0),
    "B2": ("brunel", {"scale": 0.1}, 300.0),
    "B3": ("microcircuit", {"scale": 0.1}, 200.0),
    "B4": ("uncoupled", {"n": 10**5}, 200.0),
    "B1-small": ("cuba", {}, 3.0),
    "B2-small": ("brunel", {"scale": 0.02}, 5.0),
}
RUNS = [(case, "cpu", threads) for case in ("B1", "B2", "B3", "B4") for threads in (1, 3)]
RUNS += [(case, backend, 1) for case in ("B1-small", "B2-small") for backend in ("cpu", "cuda")]


def digest(case: str, backend: str, threads: int) -> dict:
    import fastspike as fs
    from fastspike.networks import standard

    builder, kwargs, duration = CASES[case]
    net, pops = getattr(standard, builder)(backend=backend, threads=threads, **kwargs)
    records = [net.record(pop, "spikes") for pop in pops.values()]
    net.run(duration / 2, progress=False)
    net.run(duration / 2, progress=False)  # two runs: state carried across runs
    spikes, hexdigest = spikes_and_digest(records, pops.values())
    return {"case": case, "backend": backend, "threads": threads, "spikes": spikes, "digest": hexdigest,
            "version": fs.__version__}


def spikes_and_digest(records, populations) -> tuple[int, str]:
    """The number of spikes of ``records`` and a digest (16 hex digits) of their spike trains
    (population name, steps, neurons) and of the final state of ``populations``."""
    h = hashlib.sha256()
    spikes = 0
    for rec in records:
        h.update(rec.population.name.encode())
        h.update(rec.steps.astype("int64").tobytes())
        h.update(rec.neurons.astype("int64").tobytes())
        spikes += len(rec)
    for pop in populations:
        for name in pop.state_names:
            h.update(getattr(pop, name).tobytes())
    return spikes, h.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--one", nargs=3, metavar=("CASE", "BACKEND", "THREADS"), help=argparse.SUPPRESS)
    parser.add_argument("--json", help="write the digests to this file")
    parser.add_argument("--compare", help="digests of an earlier run (--json) to compare with")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated cases")
    args = parser.parse_args()
    if args.one:
        case, backend, threads = args.one
        print(json.dumps(digest(case, backend, int(threads))))
        return
    wanted = set(args.cases.split(","))
    results = []
    for case, backend, threads in RUNS:
        if case not in wanted:
            continue
        env = dict(os.environ, OMP_WAIT_POLICY="passive")
        if backend == "cuda":
            env["NUMBA_ENABLE_CUDASIM"] = "1"
        out = subprocess.run([sys.executable, __file__, "--one", case, backend, str(threads)], env=env,
                             capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    old = {}
    if args.compare:
        old = {(r["case"], r["backend"], r["threads"]): r for r in json.load(open(args.compare))}
    print(f"{'case':10} {'backend':8} {'threads':>7} {'spikes':>9} {'digest':18} {'earlier':18} same")
    for r in results:
        before = old.get((r["case"], r["backend"], r["threads"]), {})
        same = "" if not before else ("yes" if before["digest"] == r["digest"] else "NO")
        print(f"{r['case']:10} {r['backend']:8} {r['threads']:>7} {r['spikes']:>9} {r['digest']:18} "
              f"{before.get('digest', '-'):18} {same}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
