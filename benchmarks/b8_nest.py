"""B8 in NEST 3.10 (NEST's own ``hpc_benchmark.py`` network, one thread), for
``bench_plasticity.py``'s side-by-side table: run with the peers' interpreter,

    /tmp/peers/bin/python benchmarks/b8_nest.py --scale 0.1 --duration 100 --reps 3 [--static | --frozen]

prints the build time, the wall time of each measured segment (after --warmup ms) and the
rates. Parameters: NEST's script (see bench_plasticity.py's docstring)."""
from __future__ import annotations

import os
import resource
import sys
import time

import nest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_plasticity_params import CE, CI, DELAY, ETA, G, JE, STDP, TAU_SYN, nu_thresh, peer_arguments, psp_to_pa  # noqa: E402,E501  (no fastspike import)


def main() -> None:
    args = peer_arguments()
    t0 = time.perf_counter()
    nest.ResetKernel()
    nest.set(local_num_threads=1, resolution=0.1, rng_seed=1)
    nest.verbosity = nest.VerbosityLevel.ERROR
    ne, ni, ce, ci = int(9000 * args.scale), int(2250 * args.scale), CE, CI
    params = {"E_L": 0.0, "C_m": 250.0, "tau_m": 10.0, "t_ref": 0.5, "V_th": 20.0, "V_reset": 0.0,
              "tau_syn_ex": TAU_SYN, "tau_syn_in": TAU_SYN, "tau_minus": STDP["tau_minus"], "V_m": 5.7}
    exc = nest.Create("iaf_psc_alpha", ne, params=params)
    inh = nest.Create("iaf_psc_alpha", ni, params=params)
    vm = nest.random.normal(5.7, 7.2)
    exc.V_m = vm
    inh.V_m = vm
    je_pa = psp_to_pa() * JE
    stim = nest.Create("poisson_generator", 1, {"rate": nu_thresh(je_pa) * ETA * ce * 1000.0})
    nest.SetDefaults("static_synapse_hpc", {"delay": DELAY})
    nest.CopyModel("static_synapse_hpc", "syn_ex", {"weight": je_pa})
    nest.CopyModel("static_synapse_hpc", "syn_in", {"weight": G * je_pa})
    nest.SetDefaults("stdp_pl_synapse_hom_hpc", {"delay": DELAY, "alpha": STDP["alpha"],
                                                 "lambda": 0.0 if args.frozen else STDP["lambda_"],
                                                 "mu": STDP["mu"], "tau_plus": STDP["tau_plus"], "weight": je_pa})
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
