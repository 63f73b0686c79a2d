"""B8: NEST's HPC benchmark (Morrison et al. 2007; NEST's ``pynest/examples/hpc_benchmark.py``),
plastic against static, side by side.

The network (NEST's script, parameters as there): 9000 s excitatory and 2250 s inhibitory
``iaf_psc_alpha`` neurons (s the scale; here LIF with the exact integrator, E_L = V_reset =
0 mV, V_th = 20 mV, tau_m = 10 ms, C_m = 250 pF (R = tau_m / C_m), t_ref = 0.5 ms, V_m drawn
from N(5.7, 7.2) mV), alpha currents with tau_syn = 0.32582722403722841 ms (a 1.700759 ms
rise time of the PSP), fixed indegree CE = 9000 excitatory and CI = 2250 inhibitory inputs
per neuron at every scale (autapses excluded, multapses allowed), delay 1.5 ms, weights
JE = 0.14 mV of PSP peak converted to pA (J_pA = 0.14 / v_max of a unit alpha current),
inhibitory g = -5 times that, a Poisson background of CE afferents per neuron at eta = 1.685
times the threshold rate, and power-law STDP on E -> E (NEST ``stdp_pl_synapse_hom``:
lambda 0.1, alpha 0.0513, mu 0.4, tau_plus 15 ms, the neurons' tau_minus 30 ms; here
``fs.PowerLawSTDP``). The static variant has static E -> E synapses (same weights).

Both variants are built once (same seed: same synapses) and run in alternation, A B A B,
``--reps`` segments of ``--duration`` ms each after a ``--warmup``: the table gives the
median wall time per biological second of each, their ratio, the rates, the build and
compile times, the bytes per synapse of the E -> E projection and of all synapses, and the
peak RSS of the process (all variants). ``--variants`` picks some (one: its own peak RSS);
``frozen`` is the plastic rule with lambda_ = 0: every plasticity kernel runs but the weights
stay, so the activity is the static network's (at scale 0.1 the plastic network's activity
runs away, to 330 Hz, in NEST as here: then plastic and static runs do not compare).

Usage::

    python benchmarks/bench_plasticity.py --scale 0.1
    python benchmarks/bench_plasticity.py --scale 1 --reps 2 --duration 100 --variants frozen static
"""
from __future__ import annotations

import argparse
import platform
import resource
import statistics
import sys
import time

import numpy as np

import fastspike as fs
from bench_plasticity_params import C_M, CE, CI, DELAY, ETA, G, JE, STDP, TAU_M, TAU_SYN, nu_thresh, psp_to_pa


def hpc_benchmark(scale: float, plastic: bool, seed: int = 1, threads: int = 1, frozen: bool = False,
                  vector_math: bool = False):
    """B8 at ``scale``; returns (network, populations, E -> E projection). ``frozen``: the
    plastic rule with lambda_ = 0 (every plasticity kernel runs, the weights stay).
    ``vector_math``: on ``fs.backends.CPU(vector_math=True)`` (the rule's ``w**mu`` by
    :func:`fastspike.vmath.pow`)."""
    ne, ni = int(9000 * scale), int(2250 * scale)
    ce, ci = CE, CI
    je_pa = psp_to_pa() * JE
    net = fs.Network(dt=0.1, seed=seed, threads=threads, backend=fs.backends.CPU(vector_math=vector_math))
    model = fs.LIF(tau_m=TAU_M, R=TAU_M / C_M, v_rest=0.0, v_reset=0.0, v_thresh=20.0, t_ref=0.5)
    exc = net.population(model, ne, "E")
    inh = net.population(model, ni, "I")
    for pop in (exc, inh):
        pop.v = fs.Normal(5.7, 7.2)
    syn = fs.AlphaCurrent(TAU_SYN)
    for pop in (exc, inh):
        net.poisson_input(pop, ce, nu_thresh(je_pa) * ETA * 1000.0, je_pa, syn)
    ee = net.connect(exc, exc, fs.FixedIndegree(ce, allow_autapses=False), syn, weight=je_pa, delay=DELAY,
                     plasticity=fs.PowerLawSTDP(**{**STDP, **({"lambda_": 0.0} if frozen else {})}) if plastic
                     else None)
    net.connect(inh, exc, fs.FixedIndegree(ci, allow_autapses=False), syn, weight=G * je_pa, delay=DELAY)
    net.connect(exc, inh, fs.FixedIndegree(ce, allow_autapses=False), syn, weight=je_pa, delay=DELAY)
    net.connect(inh, inh, fs.FixedIndegree(ci, allow_autapses=False), syn, weight=G * je_pa, delay=DELAY)
    return net, {"E": exc, "I": inh}, ee


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--duration", type=float, default=100.0, help="ms per measured segment")
    parser.add_argument("--warmup", type=float, default=50.0, help="ms run before measuring (NEST's presimtime)")
    parser.add_argument("--reps", type=int, default=3, help="segments of each variant, alternating")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--variants", nargs="+", default=["plastic", "frozen", "static"],
                        choices=["plastic", "frozen", "static", "plastic-vm", "frozen-vm", "static-vm"],
                        help="frozen: the plastic rule with lambda_ = 0 (its cost at the static network's activity); "
                             "-vm: on fs.backends.CPU(vector_math=True)")
    args = parser.parse_args(argv)
    variants = args.variants
    nets = {}
    for v in variants:
        t0 = time.perf_counter()
        kind = v.removesuffix("-vm")
        net, pops, ee = hpc_benchmark(args.scale, kind != "static", threads=args.threads, frozen=kind == "frozen",
                                      vector_math=v.endswith("-vm"))
        construct = time.perf_counter() - t0
        spikes = {k: net.record(p, "spikes") for k, p in pops.items()}
        net.build()
        nets[v] = dict(net=net, pops=pops, ee=ee, spikes=spikes, construct=construct,
                       compile=net.timings.get("compile", float("nan")), walls=[])
        net.run(args.warmup, progress=False)
        for rec in spikes.values():
            rec.clear()
    for _ in range(args.reps):  # A B A B
        for v in variants:
            t0 = time.perf_counter()
            nets[v]["net"].run(args.duration, progress=False)
            nets[v]["walls"].append(time.perf_counter() - t0)
    measured = args.duration * args.reps / 1000.0
    print(f"B8 (NEST hpc_benchmark) scale {args.scale}, {args.threads} thread(s), dt 0.1 ms, {args.reps} x "
          f"{args.duration:g} ms per variant after {args.warmup:g} ms, {platform.processor() or platform.machine()}, "
          f"fastspike {fs.__version__}")
    print("| variant | neurons | synapses | build s | compile s | s per bio s (median) | E Hz | I Hz | "
          "E->E B/syn | all B/syn |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for v in variants:
        d = nets[v]
        net, ee = d["net"], d["ee"]
        n_syn = sum(p.n_synapses for p in net.projections)
        all_bytes = sum(p.nbytes for p in net.projections)
        rates = {k: len(r.times) / (r.population.n * measured) for k, r in d["spikes"].items()}
        per_bio = statistics.median(d["walls"]) / (args.duration / 1000.0)
        d["per_bio"] = per_bio
        print(f"| {v} | {sum(p.n for p in net.populations)} | {n_syn} | {d['construct']:.1f} | {d['compile']:.1f} | "
              f"{per_bio:.2f} | {rates['E']:.2f} | {rates['I']:.2f} | {ee.nbytes / ee.n_synapses:.2f} | "
              f"{all_bytes / n_syn:.2f} |")
    if "static" in nets:
        for v in variants:
            if v != "static":
                print(f"{v} / static: {nets[v]['per_bio'] / nets['static']['per_bio']:.2f}x")
    print("segment walls (s): " + ", ".join(f"{v} {[round(w, 2) for w in nets[v]['walls']]}" for v in variants))
    print(f"peak RSS {peak_rss_mb():.0f} MB ({' + '.join(variants)} in one process)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
