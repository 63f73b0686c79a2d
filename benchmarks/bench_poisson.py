"""Poisson afferents on each synapse path: ns per neuron-step of an uncoupled LIF population
driven by ``net.poisson_input`` (1000 afferents per neuron), CPU time (``time.process_time``,
so that other work on a shared machine counts less), the best of ``--reps`` runs of 50 ms
after a warm-up. Run it under two checkouts side by side to compare them::

    PYTHONPATH=/path/to/old python benchmarks/bench_poisson.py
    PYTHONPATH=. python benchmarks/bench_poisson.py

Cases: ``delta`` (B2's path: a jump of v, refractory neurons take nothing) and ``exp`` (B4's:
an exponential current), at means of 0.5 (B4) and 2 (B2) afferent spikes per step, and with
(almost) no input (the cost of the rest of the update).
"""
from __future__ import annotations

import argparse
import time

import fastspike as fs


def ns_per_neuron_step(synapse: str, n: int, lam: float, reps: int) -> float:
    net = fs.Network(dt=0.1, seed=1)
    pop = net.population(fs.LIF(tau_m=20.0, v_rest=0.0, v_reset=10.0, v_thresh=20.0, t_ref=2.0), n=n,
                         integrator="exact")
    rate = lam / (1000 * net.dt / 1000.0)  # Hz per afferent
    net.poisson_input(pop, n=1000, rate=rate, weight=0.1, synapse=fs.Delta() if synapse == "delta" else
                      fs.ExpCurrent(5.0))
    net.run(10.0, progress=False)
    best = float("inf")
    for _ in range(reps):
        c0 = time.process_time()
        net.run(50.0, progress=False)
        best = min(best, time.process_time() - c0)
    return best / (n * 500) * 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="neurons (default 10^5: state in cache)")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    print(f"{'synapse':<8} {'mean':>6} {'ns per neuron-step':>19}   (n = {args.n}, CPU time, best of {args.reps})")
    for synapse in ("delta", "exp"):
        for lam in (0.5, 2.0, 1e-6):
            print(f"{synapse:<8} {lam:>6g} {ns_per_neuron_step(synapse, args.n, lam, args.reps):>19.2f}", flush=True)


if __name__ == "__main__":
    main()
