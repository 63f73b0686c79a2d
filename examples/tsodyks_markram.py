"""Tsodyks-Markram short-term plasticity: a depressing and a facilitating synapse.

A presynaptic neuron fires a regular train (20 Hz, 10 spikes) and a recovery spike 500 ms
after the train; it reaches two integrate-and-fire neurons (tau_m 40 ms, kept below
threshold) through exponential current synapses (tau 3 ms, weight 250 pA) with
``fs.TsodyksMarkram`` (NEST ``tsodyks2_synapse``): a depressing one (U = 0.5, tau_rec = 800
ms, tau_fac = 0) and a facilitating one (U = 0.03, tau_rec = 100 ms, tau_fac = 1000 ms), the
parameters of NEST's examples (Tsodyks & Markram 1997). Prints the amplitude (x u g) each
spike transmits and plots the membrane potentials.

Run::

    python examples/tsodyks_markram.py       # writes examples/output/tsodyks_markram.png
"""
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import fastspike as fs  # noqa: E402

SYNAPSES = {"depressing": fs.TsodyksMarkram(U=0.5, tau_rec=800.0, tau_fac=0.0),
            "facilitating": fs.TsodyksMarkram(U=0.03, tau_rec=100.0, tau_fac=1000.0)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "output")
    args = parser.parse_args(argv)
    times = np.r_[np.arange(1, 11) * 50.0, 500.0 + 500.0]  # 20 Hz, then a recovery spike 500 ms after the train
    net = fs.Network(dt=0.1, seed=1)
    pre = net.population(fs.SpikeSource(times, np.zeros(times.size, int)), 1, "pre")
    amplitude = net.population(fs.LIF(tau_m=10.0, g_L=0.0, v_rest=0.0, v_reset=0.0, v_thresh=1e9), 2, "amplitude")
    cells = net.population(fs.LIF(tau_m=40.0, R=0.1, v_rest=-70.0, v_reset=-70.0, v_thresh=0.0), 2, "cells")
    for k, rule in enumerate(SYNAPSES.values()):  # the same rule onto a counter (Delta: v jumps by x u g) and a cell
        net.connect(pre, amplitude, fs.FromArrays([0], [k]), fs.Delta(), weight=250.0, delay=1.0, plasticity=rule)
        net.connect(pre, cells, fs.FromArrays([0], [k]), fs.ExpCurrent(3.0), weight=250.0, delay=1.0,
                    plasticity=rule)
    counter = net.record(amplitude, "v")
    v = net.record(cells, "v")
    net.run(1200.0, progress=False)
    jumps = np.diff(np.vstack([np.zeros((1, 2)), counter.v]), axis=0)
    arrive = np.rint(times / net.dt).astype(int) - 1 + 10  # emitted in step k, arrives 1 ms later
    print("spike time (ms)  " + "  ".join(f"{name:>13}" for name in SYNAPSES))
    for t, row in zip(times, jumps[arrive]):
        print(f"{t:15.0f}  " + "  ".join(f"{a:10.2f} pA" for a in row))
    args.out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
    for k, (name, ax) in enumerate(zip(SYNAPSES, axes)):
        ax.plot(v.times, v.v[:, k])
        ax.set(ylabel="v (mV)", title=f"{name}: {SYNAPSES[name]!r}")
    axes[-1].set_xlabel("time (ms)")
    fig.tight_layout()
    fig.savefig(args.out / "tsodyks_markram.png", dpi=110)
    print(f"figure: {args.out / 'tsodyks_markram.png'}")


if __name__ == "__main__":
    main()
