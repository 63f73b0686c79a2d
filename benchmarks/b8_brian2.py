"""B8 in Brian2 2.9 cpp_standalone (NEST's ``hpc_benchmark.py`` network, one thread), for
``bench_plasticity.py``'s side-by-side table: run with the peers' interpreter,

    /tmp/peers/bin/python benchmarks/b8_brian2.py --scale 0.1 --duration 100 --reps 3 [--static | --frozen]

prints the build time (Python construction, code generation and compilation, and the
binary's own set-up), the wall and CPU time of each measured segment (after ``--warmup`` ms;
timed by ``clock_gettime`` around each ``Network::run`` in the generated ``main.cpp``) and
the rates. Parameters: NEST's script (see bench_plasticity.py's docstring).

How the network is written in Brian2 (the differences that could not be avoided):

* ``iaf_psc_alpha``: ``dv/dt = -v / tau_m + I / C_m`` (unless refractory), the alpha current
  as two linear equations ``dI/dt = (y - I) / tau_syn``, ``dy/dt = -y / tau_syn``, a spike
  adding ``e w`` to ``y`` (so the current peaks at ``w`` at ``t = tau_syn``), ``method="exact"``;
  threshold 20 mV, reset 0 mV, refractory 0.5 ms; ``v`` drawn from N(5.7, 7.2) mV.
* Connectivity: fixed indegree (9000 E, 2250 I per neuron, autapses excluded, multapses
  allowed) drawn by NumPy and passed as ``connect(i=..., j=...)``; delay 1.5 ms.
* Background: ``PoissonInput(N=9000, rate=eta nu_thresh)`` onto ``y`` (NEST: one
  ``poisson_generator`` of 9000 eta nu_thresh, independent per target).
* Power-law STDP on E -> E (NEST ``stdp_pl_synapse_hom``): per-synapse event-driven traces
  ``Kplus`` (tau_plus 15 ms) and ``Kminus`` (tau_minus 30 ms); a presynaptic spike (at the
  synapse, after the 1.5 ms delay) depresses ``w = max(0, w - lambda alpha w Kminus)`` then
  adds 1 to ``Kplus``; a postsynaptic spike (at once: Brian2 has no dendritic delay) facilitates
  ``w += lambda w^mu Kplus`` then adds 1 to ``Kminus``. Weights in pA. ``--frozen``: lambda 0.
  NEST treats the whole delay as dendritic for plasticity: the pairing differs by the delay.
"""
from __future__ import annotations

import math
import os
import resource
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_plasticity_params import CE, CI, DELAY, ETA, G, JE, STDP, TAU_SYN, nu_thresh, peer_arguments, psp_to_pa  # noqa: E402,E501  (no fastspike import)


def fixed_indegree(rng, n_pre: int, n_post: int, k: int, same: bool) -> tuple[np.ndarray, np.ndarray]:
    """Sources (with replacement) and targets of ``k`` synapses onto each of ``n_post``
    neurons; ``same`` (pre and post the same population): no autapses."""
    targets = np.repeat(np.arange(n_post, dtype=np.int32), k)
    if same:
        sources = rng.integers(0, n_pre - 1, size=n_post * k).astype(np.int32)
        sources += sources >= targets  # skip the target itself
    else:
        sources = rng.integers(0, n_pre, size=n_post * k).astype(np.int32)
    return sources, targets


def main() -> None:
    args = peer_arguments(seed=dict(type=int, default=1),
                          workdir=dict(default=None, help="folder of the generated project (default: a temporary one)"))

    import brian2 as b2
    from brian2 import Hz, NeuronGroup, PoissonInput, SpikeMonitor, Synapses, ms, mV, pA, pF

    t0 = time.perf_counter()
    workdir = args.workdir or tempfile.mkdtemp(prefix="b8_brian2_")
    b2.prefs.logging.console_log_level = "WARNING"
    project = os.path.join(workdir, "project")
    b2.set_device("cpp_standalone", directory=project, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0  # one thread
    dev = b2.get_device()
    dev.insert_code("before_start", "struct timespec fs_w0_, fs_c0_, fs_w1_, fs_c1_;")
    dev.insert_code("before_network_run", "clock_gettime(CLOCK_MONOTONIC, &fs_w0_); "
                                          "clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &fs_c0_);")
    dev.insert_code("after_network_run", "clock_gettime(CLOCK_MONOTONIC, &fs_w1_); "
                                         "clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &fs_c1_); "
                                         "{ std::ofstream fs_out_(\"results/b8_run_times.txt\", std::ios::app); "
                                         "fs_out_.precision(17); "
                                         "fs_out_ << (fs_w1_.tv_sec - fs_w0_.tv_sec) + 1e-9 * (fs_w1_.tv_nsec - fs_w0_.tv_nsec)"
                                         " << \" \" << (fs_c1_.tv_sec - fs_c0_.tv_sec) + 1e-9 * (fs_c1_.tv_nsec - "
                                         "fs_c0_.tv_nsec) << std::endl; }")
    b2.defaultclock.dt = 0.1 * ms
    b2.seed(args.seed)
    rng = np.random.default_rng(args.seed)

    ne, ni, ce, ci = int(9000 * args.scale), int(2250 * args.scale), CE, CI
    tau_m, C_m, tau_syn = 10.0 * ms, 250.0 * pF, TAU_SYN * ms  # noqa: F841 (Brian2 namespace)
    je = psp_to_pa() * JE  # pA
    eqs = """dv/dt = -v / tau_m + I / C_m : volt (unless refractory)
             dI/dt = (y - I) / tau_syn : amp
             dy/dt = -y / tau_syn : amp"""
    neurons = NeuronGroup(ne + ni, eqs, threshold="v > 20*mV", reset="v = 0*mV", refractory=0.5 * ms,
                          method="exact")
    neurons.v = "(5.7 + 7.2 * randn()) * mV"
    exc, inh = neurons[:ne], neurons[ne:]
    background = PoissonInput(neurons, "y", N=ce, rate=ETA * nu_thresh(je) * 1000.0 * Hz, weight=math.e * je * pA)
    JE_e, JI_e = math.e * je * pA, G * math.e * je * pA  # noqa: F841 (Brian2 namespace)
    lam, alpha, mu = 0.0 if args.frozen else STDP["lambda_"], STDP["alpha"], STDP["mu"]
    synapses = []
    for pre, post, k, same, plastic in ((exc, exc, ce, True, not args.static), (inh, exc, ci, False, False),
                                        (exc, inh, ce, False, False), (inh, inh, ci, True, False)):
        i, j = fixed_indegree(rng, len(pre), len(post), k, same)
        if plastic:
            S = Synapses(pre, post, f"""w : 1
                                       dKplus/dt = -Kplus / ({STDP["tau_plus"]}*ms) : 1 (event-driven)
                                       dKminus/dt = -Kminus / ({STDP["tau_minus"]}*ms) : 1 (event-driven)""",
                         on_pre=f"""y_post += e * w * pA
                                    w = clip(w - {lam} * {alpha} * w * Kminus, 0, inf)
                                    Kplus += 1""",
                         on_post=f"""w = w + {lam} * w**{mu} * Kplus
                                     Kminus += 1""", delay=DELAY * ms)
        else:
            S = Synapses(pre, post, on_pre=f"y_post += {'JE_e' if pre is exc else 'JI_e'}", delay=DELAY * ms)
        S.connect(i=i, j=j)
        if plastic:
            S.w = je
        synapses.append(S)
    monitor = SpikeMonitor(neurons)
    net = b2.Network(neurons, background, synapses, monitor)
    net.run(args.warmup * ms)
    for _ in range(args.reps):
        net.run(args.duration * ms)
    construct = time.perf_counter() - t0
    t1 = time.perf_counter()
    dev.build(directory=project, run=True)
    binary = time.perf_counter() - t1
    with open(os.path.join(dev.results_dir, "b8_run_times.txt")) as f:
        times = [tuple(float(x) for x in line.split()) for line in f if line.strip()]
    warm, segments = times[0], times[1:]
    t_ms = monitor.t / ms
    sel = t_ms > args.warmup
    senders = np.asarray(monitor.i)[sel]
    t = args.duration * args.reps / 1000.0
    e_rate = (senders < ne).sum() / (ne * t)
    i_rate = (senders >= ne).sum() / (ni * t)
    kind = "static" if args.static else "frozen" if args.frozen else "plastic"
    build = construct + binary - sum(w for w, _ in times)
    print(f"Brian2 {b2.__version__} cpp_standalone {kind} scale {args.scale}: build {build:.1f} s "
          f"(warm-up run {warm[0]:.2f} s), segments wall {[round(w, 3) for w, _ in segments]} s, "
          f"CPU {[round(c, 3) for _, c in segments]} s, "
          f"s per bio s {float(np.median([w for w, _ in segments])) * 1000.0 / args.duration:.3f}, "
          f"E {e_rate:.2f} Hz, I {i_rate:.2f} Hz, synapses {sum(len(s) for s in synapses)}, "
          f"peak RSS (this process; the binary's not counted) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
