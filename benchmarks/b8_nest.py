"""B8 in NEST 3.10 (NEST's own ``hpc_benchmark.py`` network, one thread), for
``bench_plasticity.py``'s side-by-side table: run with the peers' interpreter,

    /tmp/peers/bin/python benchmarks/b8_nest.py --scale 0.1 --duration 100 --reps 3 [--static | --frozen]

prints the build time, the wall time of each measured segment (after --warmup ms) and the
rates. Parameters: NEST's script (see bench_plasticity.py's docstring)."""
from __future__ import annotations

import argparse
import math
import resource
import time

import nest

TAU_SYN = 0.32582722403722841


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--duration", type=float, default=100.0)
    parser.add_argument("--warmup", type=float, default=50.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--static", action="store_true")
    parser.add_argument("--frozen", action="store_true", help="the plastic synapse with lambda 0")
    args = parser.parse_args()
    import sys
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    from bench_plasticity_params import psp_to_pa  # noqa: E402  (no fastspike import)
    t0 = time.perf_counter()
    nest.ResetKernel()
    nest.set(local_num_threads=1, resolution=0.1, rng_seed=1)
    nest.verbosity = nest.VerbosityLevel.ERROR
    ne, ni, ce, ci = int(9000 * args.scale), int(2250 * args.scale), 9000, 2250
    params = {"E_L": 0.0, "C_m": 250.0, "tau_m": 10.0, "t_ref": 0.5, "V_th": 20.0, "V_reset": 0.0,
              "tau_syn_ex": TAU_SYN, "tau_syn_in": TAU_SYN, "tau_minus": 30.0, "V_m": 5.7}
    exc = nest.Create("iaf_psc_alpha", ne, params=params)
    inh = nest.Create("iaf_psc_alpha", ni, params=params)
    vm = nest.random.normal(5.7, 7.2)
    exc.V_m = vm
    inh.V_m = vm
    je_pa = psp_to_pa() * 0.14
    nu_thresh = 20.0 / (ce * 10.0 / 250.0 * je_pa * math.e * TAU_SYN)
    stim = nest.Create("poisson_generator", 1, {"rate": nu_thresh * 1.685 * ce * 1000.0})
    nest.SetDefaults("static_synapse_hpc", {"delay": 1.5})
    nest.CopyModel("static_synapse_hpc", "syn_ex", {"weight": je_pa})
    nest.CopyModel("static_synapse_hpc", "syn_in", {"weight": -5.0 * je_pa})
    nest.SetDefaults("stdp_pl_synapse_hom_hpc", {"delay": 1.5, "alpha": 0.0513, "lambda": 0.0 if args.frozen else 0.1,
                                                 "mu": 0.4,
                                                 "tau_plus": 15.0, "weight": je_pa})
    nest.Connect(stim, exc, "all_to_all", {"synapse_model": "syn_ex"})
    nest.Connect(stim, inh, "all_to_all", {"synapse_model": "syn_ex"})
    rule = lambda k: {"rule": "fixed_indegree", "indegree": k, "allow_autapses": False, "allow_multapses": True}
    nest.Connect(exc, exc, rule(ce), {"synapse_model": "syn_ex" if args.static else "stdp_pl_synapse_hom_hpc"})
    nest.Connect(inh, exc, rule(ci), {"synapse_model": "syn_in"})
    nest.Connect(exc, inh, rule(ce), {"synapse_model": "syn_ex"})
    nest.Connect(inh, inh, rule(ci), {"synapse_model": "syn_in"})
    rec = nest.Create("spike_recorder")
    nest.Connect(exc + inh, rec)
    nest.Simulate(args.warmup)
    build = time.perf_counter() - t0
    n0 = rec.n_events
    walls = []
    for _ in range(args.reps):
        t1 = time.perf_counter()
        nest.Simulate(args.duration)
        walls.append(time.perf_counter() - t1)
    ev = rec.events
    sel = ev["times"] > args.warmup
    senders = ev["senders"][sel]
    t = args.duration * args.reps / 1000.0
    e_rate = (senders <= max(exc.tolist())).sum() / (ne * t)
    i_rate = (senders > max(exc.tolist())).sum() / (ni * t)
    kind = "static" if args.static else "frozen" if args.frozen else "plastic"
    print(f"NEST {nest.__version__} {kind} scale {args.scale}: build+warmup "
          f"{build:.1f} s, segments {[round(w, 2) for w in walls]} s, E {e_rate:.2f} Hz, I {i_rate:.2f} Hz, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, events {rec.n_events - n0}")


if __name__ == "__main__":
    main()
