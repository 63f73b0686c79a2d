"""Connectivity construction: two source trees side by side, and the build of one target range.

Network construction (``--compare``): the standard networks built by two fastspike trees
(``--old`` and ``--new``, each put first on ``PYTHONPATH``), each build in a fresh process,
repetitions interleaved (old, new, old, new, ...), after one warm-up process per tree has
filled Numba's cache. Prints the median construction time (populations, initial state and
every ``connect``) and the peak RSS of each.

    python benchmarks/bench_build.py --compare --old /tmp/h17_old --new . --net B3 --scale 0.25 --reps 5
    python benchmarks/bench_build.py --compare --old /tmp/h17_old --new . --net B2 --reps 5

Ranges (``--ranges K``): the synapses of B3 (microcircuit) built for the K target ranges of
a K-process run (``blocks.block_starts``: each process builds the synapses onto its own
neurons of every population), each range in a fresh process, interleaved with the whole
(K = 1). Prints build time (the ``connect`` calls) and peak RSS per process; with
``--check`` the ranges, joined row by row, are compared with the whole build.

    python benchmarks/bench_build.py --ranges 2 --scale 0.5 --reps 3
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

RESULT = "RESULT "


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KB on Linux


def construct(net_name: str, scale: float) -> dict:
    """Build a standard network; construction time and peak RSS."""
    import fastspike
    from fastspike.networks import standard

    t0, c0 = time.perf_counter(), time.process_time()
    if net_name == "B2":
        net, _ = standard.brunel(scale)
    elif net_name == "B1":
        net, _ = standard.cuba()
    else:
        net, _ = standard.microcircuit(scale)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"construct_s": seconds, "cpu_s": cpu, "rss_gb": _rss_gb(), "file": fastspike.__file__,
            "synapses": int(sum(p.n_synapses for p in net.projections))}


def build_range(scale: float, k: int, rank: int, digest: bool) -> dict:
    """The synapses of B3 onto the neurons of rank ``rank`` of ``k`` (target ranges as
    ``blocks.block_starts``), built as a process of a K-process run would: ``connect`` is
    replaced by a build of the range only, with the projection's own keys and draws."""
    import hashlib

    import numpy as np

    from fastspike.blocks import block_starts
    from fastspike.network import Network
    from fastspike.networks import standard
    from fastspike.random import hash_seed
    from fastspike.synapses import build as _build
    from fastspike.synapses.projection import _values

    built = []
    seconds = [0.0]

    def connect(self, pre, post, connector, synapse=None, weight=1.0, delay=None):
        t0 = time.perf_counter()
        key = hash_seed(self.seed, 1, len(built))
        same = pre is post
        connector.check(pre.n, post.n, same)
        shape = connector.array_shape(pre.n, post.n)
        w = _values("weight", weight, shape, connector, key, None)
        d = _values("delay", self.dt if delay is None else delay, shape, connector, key, self.dt)
        starts = block_starts(post.n, k)
        syn = connector.build(pre.n, post.n, same, key, int(starts[rank]), int(starts[rank + 1]),
                              weight=w if isinstance(w, _build.Draws) else None,
                              delay=d if isinstance(d, _build.Draws) else None)
        built.append(syn)
        seconds[0] += time.perf_counter() - t0

    Network.connect = connect
    t0 = time.perf_counter()
    standard.microcircuit(scale)
    total = time.perf_counter() - t0
    out = {"build_s": seconds[0], "construct_s": total, "rss_gb": _rss_gb(),
           "synapses": int(sum(s.targets.size for s in built))}
    if digest:  # rows of every projection, to join with the other ranks'
        h = hashlib.sha1()
        for s in built:
            for a in (s.indptr, s.targets, s.weights, s.delays):
                h.update(b"" if a is None else np.ascontiguousarray(a).tobytes())
        out["digest"] = h.hexdigest()[:12]
        path = f"/tmp/bench_build_range_{k}_{rank}.npz"
        np.savez(path, **{f"{n}{j}": np.empty(0) if getattr(s, n) is None else getattr(s, n)
                          for j, s in enumerate(built)
                          for n in ("indptr", "targets", "weights", "delays")})
        out["saved"] = path
    return out


def run_worker(args: list[str], env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", *args], env=env,
                         capture_output=True, text=True)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith(RESULT)]
    if out.returncode or not lines:
        raise RuntimeError(f"worker {args} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(lines[-1][len(RESULT):])


def _env(tree: str) -> dict:
    env = dict(os.environ)
    tree = os.path.abspath(tree)
    env["PYTHONPATH"] = tree
    env["FASTSPIKE_CACHE_DIR"] = os.path.join("/tmp", "fscache_bench_" + tree.strip("/").replace("/", "_"))
    env.setdefault("OMP_WAIT_POLICY", "passive")
    return env


def compare(args) -> None:
    trees = {"old": args.old, "new": args.new}
    for name, tree in (trees.items() if not args.no_warmup else ()):  # warm-up: fill the compile caches
        r = run_worker(["construct", args.net, str(args.scale)], _env(tree))
        print(f"warm-up {name}: {r['file']} {r['construct_s']:.2f} s, {r['synapses']} synapses", flush=True)
    results = {name: [] for name in trees}
    for rep in range(args.reps):
        for name, tree in trees.items():
            r = run_worker(["construct", args.net, str(args.scale)], _env(tree))
            results[name].append(r)
            print(f"  rep {rep} {name}: {r['construct_s']:.3f} s (CPU {r['cpu_s']:.3f} s), {r['rss_gb']:.2f} GB",
                  flush=True)
    print(f"\n{args.net} scale {args.scale}, {args.reps} interleaved repetitions (fresh process each)")
    print("| tree | synapses | construction median (s) | all (s) | CPU time median (s) | peak RSS (GB) |")
    print("|---|---|---|---|---|---|")
    for name, rs in results.items():
        times = [r["construct_s"] for r in rs]
        print(f"| {name} ({trees[name]}) | {rs[0]['synapses']:,} | {statistics.median(times):.3f} | "
              f"{', '.join(f'{t:.2f}' for t in times)} | {statistics.median(r['cpu_s'] for r in rs):.3f} | "
              f"{max(r['rss_gb'] for r in rs):.2f} |")
    for what in ("construct_s", "cpu_s"):
        ratio = statistics.median(r[what] for r in results["new"]) / statistics.median(r[what] for r in results["old"])
        print(f"new / old ({'wall' if what == 'construct_s' else 'CPU'} time): {ratio:.3f}")


def ranges(args) -> None:
    k = args.ranges
    configs = [(1, 0)] + [(k, r) for r in range(k)]
    run_worker(["range", str(args.scale), "1", "0", "0"])  # warm-up
    results = {c: [] for c in configs}
    for rep in range(args.reps):
        for c in configs:
            r = run_worker(["range", str(args.scale), str(c[0]), str(c[1]), "1" if args.check else "0"])
            results[c].append(r)
            print(f"  rep {rep} K={c[0]} rank {c[1]}: build {r['build_s']:.2f} s, {r['rss_gb']:.2f} GB", flush=True)
    print(f"\nB3 scale {args.scale}: synapses onto one target range per process, {args.reps} interleaved "
          f"repetitions (fresh process each)")
    print("| K | rank | synapses | build median (s) | all (s) | peak RSS (GB) |")
    print("|---|---|---|---|---|---|")
    for (kk, rank), rs in results.items():
        times = [r["build_s"] for r in rs]
        print(f"| {kk} | {rank} | {rs[0]['synapses']:,} | {statistics.median(times):.2f} | "
              f"{', '.join(f'{t:.2f}' for t in times)} | {max(r['rss_gb'] for r in rs):.2f} |")
    if args.check:
        import numpy as np

        whole = np.load(results[(1, 0)][-1]["saved"])
        parts = [np.load(results[(k, r)][-1]["saved"]) for r in range(k)]
        n_proj = len(whole.files) // 4
        for j in range(n_proj):
            ips = [p[f"indptr{j}"] for p in parts]
            rows = ips[0].size - 1
            # synapse s of part p in row i sorts by (i, p), its order within the row kept
            keys = np.concatenate([np.repeat(np.arange(rows, dtype=np.int64) * k + r, np.diff(ip))
                                   for r, ip in enumerate(ips)])
            perm = np.argsort(keys, kind="stable")
            for name in ("targets", "weights", "delays"):
                joined = np.concatenate([p[f"{name}{j}"] for p in parts])[perm]
                assert np.array_equal(joined, whole[f"{name}{j}"]), (j, name)
            assert np.array_equal(sum(ips), whole[f"indptr{j}"]), (j, "indptr")
        print(f"check: the {k} ranges joined row by row equal the whole build ({n_proj} projections)")
        for r in [results[(1, 0)][-1]] + [results[(k, r)][-1] for r in range(k)]:
            os.remove(r["saved"])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        kind = sys.argv[2]
        if kind == "construct":
            r = construct(sys.argv[3], float(sys.argv[4]))
        else:
            r = build_range(float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == "1")
        print(RESULT + json.dumps(r), flush=True)
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compare", action="store_true")
    ap.add_argument("--old", default="/tmp/h17_old")
    ap.add_argument("--new", default=".")
    ap.add_argument("--net", default="B3", choices=["B1", "B2", "B3"])
    ap.add_argument("--ranges", type=int, default=0)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--no-warmup", action="store_true", help="the caches are warm already (e.g. from a smaller scale)")
    ap.add_argument("--scale", type=float, default=0.25)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    if args.compare:
        compare(args)
    elif args.ranges:
        ranges(args)
    else:
        ap.error("give --compare or --ranges K")


if __name__ == "__main__":
    main()
