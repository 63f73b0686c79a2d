"""A large Izhikevich network: 80 % regular-spiking excitatory, 20 % fast-spiking inhibitory cells.

After Izhikevich (2003), "Simple model of spiking neurons", IEEE Trans. Neural Netw. 14:1569,
whose MATLAB network has 1000 cells, all-to-all synapses (excitatory weights uniform in
[0, 0.5], inhibitory in [-1, 0], in mV added to v in the next millisecond) and a random
thalamic input of 5 randn (excitatory) and 2 randn (inhibitory) mV per millisecond. Here:

- ``--n`` cells (default 10^5): ``RS`` excitatory and ``FS`` inhibitory (``--heterogeneous``
  spreads their parameters as the paper: c = -65 + 15 r^2, d = 8 - 6 r^2 for excitatory cells,
  a = 0.02 + 0.08 r, b = 0.25 - 0.05 r for inhibitory ones);
- sparse random connectivity: every cell receives ``0.8 k`` excitatory and ``0.2 k``
  inhibitory synapses (``--k``, default 100; fs.FixedIndegree), delta synapses (fs.Delta) of
  delay 1 ms, with the paper's weights scaled by 800 / (0.8 k) and 200 / (0.2 k) so that a
  cell receives the same mean input as in the all-to-all network;
- the thalamic input as Poisson kicks (net.poisson_input): +-5 mV (+-2 mV for inhibitory
  cells) at 500 Hz each sign, which has the zero mean and the variance per millisecond
  (25 mV^2, resp. 4 mV^2) of Izhikevich's Gaussian input;
- Euler steps of 0.5 ms (Izhikevich advanced v in two 0.5 ms steps per millisecond).

Run::

    python examples/izhikevich_network.py               # 10^5 cells, 1 s; raster in examples/output
    python examples/izhikevich_network.py --n 10000 --duration 2000 --dtype float64
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import fastspike as fs


def build(n: int, k: int, dt: float, seed: int, dtype: str, heterogeneous: bool):
    net = fs.Network(dt=dt, seed=seed, dtype=dtype)
    n_exc = int(round(0.8 * n))
    n_inh = n - n_exc
    if heterogeneous:
        re, ri = net.rng.random(n_exc), net.rng.random(n_inh)
        exc_model = fs.Izhikevich(a=0.02, b=0.2, c=-65.0 + 15.0 * re ** 2, d=8.0 - 6.0 * re ** 2)
        inh_model = fs.Izhikevich(a=0.02 + 0.08 * ri, b=0.25 - 0.05 * ri, c=-65.0, d=2.0)
    else:
        exc_model, inh_model = fs.Izhikevich.preset("RS"), fs.Izhikevich.preset("FS")
    exc = net.population(exc_model, n_exc, name="exc", integrator="euler")
    inh = net.population(inh_model, n_inh, name="inh", integrator="euler")
    k_exc, k_inh = max(1, int(round(0.8 * k))), max(1, int(round(0.2 * k)))
    w_exc, w_inh = 0.5 * 800 / k_exc, 1.0 * 200 / k_inh
    for post in (exc, inh):
        net.connect(exc, post, fs.FixedIndegree(k_exc, allow_autapses=False), synapse=fs.Delta(),
                    weight=fs.Uniform(0.0, w_exc), delay=1.0)
        net.connect(inh, post, fs.FixedIndegree(k_inh, allow_autapses=False), synapse=fs.Delta(),
                    weight=fs.Uniform(-w_inh, 0.0), delay=1.0)
    for pop, kick in ((exc, 5.0), (inh, 2.0)):
        net.poisson_input(pop, n=1, rate=500.0, weight=kick, synapse=fs.Delta())
        net.poisson_input(pop, n=1, rate=500.0, weight=-kick, synapse=fs.Delta())
    return net, exc, inh


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of cells (default 10^5)")
    parser.add_argument("--k", type=int, default=100, help="synapses received per cell (default 100)")
    parser.add_argument("--duration", type=float, default=1000.0, help="bio time (ms)")
    parser.add_argument("--dt", type=float, default=0.5, help="time step (ms)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--seed", type=int, default=2003)
    parser.add_argument("--heterogeneous", action="store_true", help="the paper's spread of cell parameters")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "output")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    net, exc, inh = build(args.n, args.k, args.dt, args.seed, args.dtype, args.heterogeneous)
    t_connect = time.perf_counter() - t0
    s_exc, s_inh = net.record(exc, "spikes"), net.record(inh, "spikes")
    t1 = time.perf_counter()
    net.run(args.dt, progress=False)  # build and compile (one step)
    t_build = time.perf_counter() - t1
    t2 = time.perf_counter()
    net.run(args.duration - args.dt, progress=False)
    t_run = time.perf_counter() - t2
    synapses = sum(p.n_synapses for p in net.projections)
    steps = int(round(args.duration / args.dt))
    print(f"Izhikevich network: {exc.n} RS + {inh.n} FS cells, {synapses:,} synapses, {args.dtype}, "
          f"dt = {args.dt} ms, {args.duration:.0f} ms")
    print(f"  connect   {t_connect:7.2f} s")
    print(f"  compile   {t_build:7.2f} s   (build + first step; cached after the first run)")
    print(f"  run       {t_run:7.2f} s   ({t_run / (args.duration / 1000.0):.2f} s per bio second, "
          f"{t_run / max(steps - 1, 1) / args.n * 1e9:.1f} ns per cell-step)")
    print(f"  rates     exc {s_exc.rate():.1f} Hz, inh {s_inh.rate():.1f} Hz "
          f"({len(s_exc) + len(s_inh):,} spikes)")

    from matplotlib.figure import Figure

    shown_exc, shown_inh = min(exc.n, 800), min(inh.n, 200)  # as the paper's figure: 1000 cells
    fig = Figure(figsize=(10, 7), constrained_layout=True)
    ax, ax_rate = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [4, 1]})
    m = s_exc.neurons < shown_exc
    ax.plot(s_exc.times[m], s_exc.neurons[m], ".", ms=1.0, color="tab:blue", label="RS (excitatory)")
    m = s_inh.neurons < shown_inh
    ax.plot(s_inh.times[m], shown_exc + s_inh.neurons[m], ".", ms=1.0, color="tab:red", label="FS (inhibitory)")
    ax.set_ylabel(f"cell (first {shown_exc} RS, {shown_inh} FS)")
    ax.set_title(f"Izhikevich network: {args.n:,} cells, {synapses:,} synapses; {t_run:.1f} s for "
                 f"{args.duration:.0f} ms", fontsize=10)
    ax.legend(loc="upper right", markerscale=8, fontsize=8)
    bins = np.arange(0.0, args.duration + 1.0, 1.0)
    counts = np.histogram(np.concatenate([s_exc.times, s_inh.times]), bins)[0]
    ax_rate.plot(bins[:-1], counts / args.n * 1000.0, lw=0.6, color="k")
    ax_rate.set_ylabel("rate (Hz)")
    ax_rate.set_xlabel("time (ms)")
    path = args.out / "izhikevich_network.png"
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
