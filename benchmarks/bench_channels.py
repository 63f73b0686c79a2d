"""Cost of a synaptic channel per neuron-step: ExpConductance against ExpCurrent (and the alpha kernels).

bench_models.py-style: ``--n`` uncoupled LIF neurons (default 10^6) with one channel fed by
Poisson afferents (100 afferents of 10 Hz per neuron, so every channel decays and takes input
each step) and a constant current; the threshold is out of reach, so that the figures are
the update's alone (a channel that drives the neurons harder would otherwise pay for more
spikes); a warm-up run (compilation, first touch of memory), then ``--steps`` timed steps, the variants interleaved (A B A B ...) and the
median of ``--reps`` repetitions reported, with each channel's time over ExpCurrent's under
the same integrator. One thread.

    python benchmarks/bench_channels.py                        # 10^6 neurons, rk2 and exponential Euler
    python benchmarks/bench_channels.py --n 4000 --steps 5000  # cache-resident (COBA's size)
"""
from __future__ import annotations

import argparse
import statistics
import time

import fastspike as fs

CHANNELS = {
    "ExpCurrent": lambda: fs.ExpCurrent(5.0),
    "ExpConductance": lambda: fs.ExpConductance(5.0, 0.0),
    "AlphaCurrent": lambda: fs.AlphaCurrent(5.0),
    "AlphaConductance": lambda: fs.AlphaConductance(5.0, 0.0),
}


def build(channel: str, integrator: str, n: int, dtype: str) -> fs.Network:
    net = fs.Network(dt=0.1, seed=1, dtype=dtype)
    pop = net.population(fs.LIF(tau_m=20.0, R=0.1, v_rest=-60.0, v_reset=-60.0, v_thresh=1e9, t_ref=5.0), n=n,
                         integrator=integrator)
    pop.v = net.rng.uniform(-60.0, -50.0, n)
    net.current(pop, 100.0)
    net.poisson_input(pop, 100, 10.0, 6.0 if "Conductance" in channel else 0.6, CHANNELS[channel]())
    return net


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10**6)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--integrators", nargs="+", default=["rk2", "exponential_euler"])
    ap.add_argument("--channels", nargs="+", default=list(CHANNELS), choices=list(CHANNELS))
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    args = ap.parse_args(argv)
    cases = [(c, i) for i in args.integrators for c in args.channels]
    nets = {}
    for c, i in cases:
        nets[(c, i)] = build(c, i, args.n, args.dtype)
        nets[(c, i)].run(2.0, progress=False)  # compile, first touch
    times: dict = {k: [] for k in nets}
    for _ in range(args.reps):  # interleaved
        for k, net in nets.items():
            t0 = time.perf_counter()
            net.run(args.steps * 0.1, progress=False)
            times[k].append((time.perf_counter() - t0) / (args.n * args.steps) * 1e9)
    print(f"{args.n:,} LIF neurons, {args.steps} steps, {args.dtype}, one thread; medians of {args.reps} interleaved "
          f"repetitions")
    print(f"{'integrator':<18} {'channel':<18} {'ns/neuron-step':>15} {'/ ExpCurrent':>13}")
    for i in args.integrators:
        base = statistics.median(times[("ExpCurrent", i)]) if ("ExpCurrent", i) in times else float("nan")
        for c in args.channels:
            m = statistics.median(times[(c, i)])
            print(f"{i:<18} {c:<18} {m:>15.2f} {m / base:>12.2f}x")


if __name__ == "__main__":
    main()
