"""Run times of two checkouts side by side, warm: each (checkout, case) in a fresh process that
builds the network (its own cache folder per checkout: compiled once, then cached), runs 20 ms
of warm-up, then times ``reps`` runs of ``duration`` ms, wall and CPU time
(``time.process_time``: on a shared machine the wall time counts other work, the CPU time less
so); ``rounds`` rounds interleaved (old, new, old, new), medians of every run.

    python benchmarks/compare_warm.py OLD NEW DURATION_MS REPS ROUNDS CASE...

A case is ``B1::float64``, ``B2:<scale>:<dtype>``, ``B3:<scale>:<dtype>``, ``B4:<n>:<dtype>``,
``B6::<dtype>`` (COBA) or ``B7::<dtype>`` (COBAHH), e.g.
``python benchmarks/compare_warm.py /tmp/main . 200 3 2 B1::float64 B2:1.0:float64 B4:1e6:float32``.
(``compare_commits.py`` measures cold compiles and wall time only.)
"""
import json, os, statistics, subprocess, sys, tempfile
CODE = r'''
import json, sys, time
import fastspike as fs
from fastspike.networks import standard
case, duration, reps = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
name, arg, dtype = case.split(":")
kw = dict(dtype=dtype)
net, pops = {"B1": lambda: standard.cuba(**kw), "B2": lambda: standard.brunel(float(arg), **kw),
             "B3": lambda: standard.microcircuit(float(arg), **kw), "B4": lambda: standard.uncoupled(int(float(arg)), **kw),
             "B6": lambda: standard.coba(**kw), "B7": lambda: standard.cobahh(**kw)}[name]()
net.run(20.0, progress=False)
times = []
for _ in range(reps):
    t0 = time.perf_counter(); c0 = time.process_time()
    net.run(duration, progress=False)
    times.append((time.perf_counter() - t0, time.process_time() - c0))
print("RESULT " + json.dumps({"times": times, "file": fs.__file__}))
'''
old, new, duration, reps, rounds = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
cases = sys.argv[6:]
res = {}
for r in range(rounds):
    for case in cases:
        for label, path in (("old", old), ("new", new)):
            env = dict(os.environ, PYTHONPATH=os.path.abspath(path), FASTSPIKE_CACHE_DIR=f"/tmp/h20_speed_{label}", NUMBA_CACHE_DIR=f"/tmp/h20_speed_{label}", OMP_WAIT_POLICY="passive")
            # cwd: with -c, Python puts the working folder first on sys.path, ahead of PYTHONPATH, so
            # run from a checkout both sides would import that checkout's fastspike
            out = subprocess.run([sys.executable, "-c", CODE, case, str(duration), str(reps)], env=env, capture_output=True,
                                 text=True, cwd=tempfile.gettempdir())
            line = [l for l in out.stdout.splitlines() if l.startswith("RESULT ")]
            if not line:
                print(case, label, "failed", out.stderr[-2000:], flush=True); continue
            result = json.loads(line[-1][7:])
            if not os.path.realpath(result["file"]).startswith(os.path.realpath(path) + os.sep):
                sys.exit(f"{label}: imported {result['file']}, not the checkout {path}")
            t = result["times"]
            res.setdefault(case, {}).setdefault(label, []).extend(t)
            print(f"round {r} {case} {label}: " + ", ".join(f"{w:.3f}/{c:.3f}" for w, c in t), flush=True)
print(f"{'case':<16} {'old wall':>9} {'new wall':>9} {'new/old':>8} {'old CPU':>9} {'new CPU':>9} {'new/old':>8}  (medians, s per {duration:g} ms)")
for case, d in res.items():
    if "old" not in d or "new" not in d: continue
    ow = statistics.median(w for w, c in d["old"]); nw = statistics.median(w for w, c in d["new"])
    oc = statistics.median(c for w, c in d["old"]); nc = statistics.median(c for w, c in d["new"])
    print(f"{case:<16} {ow:>9.3f} {nw:>9.3f} {nw/ow:>8.3f} {oc:>9.3f} {nc:>9.3f} {nc/oc:>8.3f}")
