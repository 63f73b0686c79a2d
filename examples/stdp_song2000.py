"""Song, Miller & Abbott (2000): additive STDP makes the weights bimodal and steadies the rate.

1000 Poisson afferents (15 Hz) excite one leaky integrate-and-fire neuron through
conductance synapses (tau 5 ms, E_rev 0 mV) whose weights learn by additive STDP
(``fs.STDP(mu_plus=0, mu_minus=0)``: tau_plus = tau_minus = 20 ms, lambda_ = 0.01, alpha =
1.05, w_max = 0.01 in units of the leak conductance), started uniform in [0, w_max]. The
parameters are those of Brian2's example of the same paper (tau_m 10 ms, E_L -74 mV, V_th -54
mV, V_reset -60 mV). Over 100 s the weights move to the bounds (most near 0, some near
w_max: a bimodal distribution) and the output rate settles.

Run::

    python examples/stdp_song2000.py                   # 100 s, writes examples/output/stdp_song2000.png
    python examples/stdp_song2000.py --duration 20000
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import fastspike as fs  # noqa: E402

W_MAX = 0.01


def build(seed: int = 1, n: int = 1000, rate: float = 15.0):
    net = fs.Network(dt=0.1, seed=seed)
    afferents = net.population(fs.PoissonSource(rate=rate), n, "afferents")
    neuron = net.population(fs.LIF(tau_m=10.0, v_rest=-74.0, v_reset=-60.0, v_thresh=-54.0, R=1.0), 1, "neuron",
                            integrator="exponential_euler")
    neuron.v = -74.0
    stdp = fs.STDP(tau_plus=20.0, tau_minus=20.0, lambda_=0.01, alpha=1.05, mu_plus=0.0, mu_minus=0.0, w_max=W_MAX)
    proj = net.connect(afferents, neuron, fs.AllToAll(), fs.ExpConductance(tau=5.0, E_rev=0.0),
                       weight=fs.Uniform(0.0, W_MAX), delay=0.1, plasticity=stdp)
    return net, proj, net.record(neuron, "spikes")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=100_000.0, help="bio time (ms)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "output")
    args = parser.parse_args(argv)
    net, proj, spikes = build(args.seed)
    snapshots = 5
    weights = net.record(proj, "weight", every=int(round(args.duration / snapshots / net.dt)))
    w0 = proj.weights
    t0 = time.perf_counter()
    net.run(args.duration, progress=False)
    wall = time.perf_counter() - t0
    w = proj.weights
    bins = np.linspace(0.0, W_MAX, 21)
    window = args.duration / 10
    first = np.count_nonzero(spikes.times < window) / window * 1000.0
    last = np.count_nonzero(spikes.times >= args.duration - window) / window * 1000.0
    low, high = np.mean(w < 0.1 * W_MAX), np.mean(w > 0.9 * W_MAX)
    print(f"{proj.n_synapses} plastic synapses, {args.duration / 1000:g} s of bio time in {wall:.1f} s")
    print(f"output rate: first tenth {first:.1f} Hz, last tenth {last:.1f} Hz")
    print(f"weights: {low:.0%} below 0.1 w_max, {high:.0%} above 0.9 w_max (start: {np.mean(w0 < 0.1 * W_MAX):.0%}, "
          f"{np.mean(w0 > 0.9 * W_MAX):.0%}); min {w.min():.3g}, max {w.max():.3g} (w_max {W_MAX})")
    args.out.mkdir(parents=True, exist_ok=True)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    samples = [(0.0, w0)] + list(zip(weights.times, weights.weight))
    for t, values in samples:
        a.hist(values / W_MAX, bins=bins / W_MAX, histtype="step", label=f"{t / 1000:g} s")
    a.set(xlabel="w / w_max", ylabel="synapses", title="weight distribution over time")
    a.legend(fontsize=8)
    edges = np.arange(0.0, args.duration + window, window)
    counts, _ = np.histogram(spikes.times, edges)
    b.plot(edges[:-1] / 1000.0, counts / window * 1000.0, "o-")
    b.set(xlabel="time (s)", ylabel="output rate (Hz)", title="output rate")
    fig.tight_layout()
    fig.savefig(args.out / "stdp_song2000.png", dpi=110)
    print(f"figure: {args.out / 'stdp_song2000.png'}")


if __name__ == "__main__":
    main()
