"""Main example of fastspike: one LIF neuron driven by a step current.

Reproduces ngc-learn's lecture "The Leaky Integrate-and-Fire Cell" (LIFCell, lesson 2B):
a single LIF with an adaptive threshold and a refractory period, forward-Euler
integration (ngc-learn's default), ``dt = 0.1`` ms, and the tutorial's current array of
200 steps: 10 steps of 0 then 190 steps of 0.3, i.e. the current switches on at
``t = 1`` ms and the simulation lasts 20 ms. The figure is the one of ngc-learn's
``plot_spiking_neuron``: input current, membrane potential with the threshold at
-52 mV, and the spikes.

Run::

    python examples/ngclearn_lif.py            # writes examples/output/ngclearn_lif.png
    python examples/ngclearn_lif.py --out DIR

ngc-learn's parameters map one to one: ``resist_m`` -> ``R``, ``thr`` -> ``v_thresh``,
``refract_time`` -> ``t_ref``; ``tau_theta``/``theta_plus`` are the adaptive threshold.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import fastspike as fs

DT = 0.1  # ms
TAU_M = 100.0  # ms
V_THRESH = -52.0  # mV
V_REST = -65.0  # mV


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "output",
                        help="folder for the PNG files (default: examples/output)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    net = fs.Network(dt=DT, seed=1234)
    cell = fs.LIF(tau_m=TAU_M, R=TAU_M / DT, v_rest=V_REST, v_reset=-60.0, v_thresh=V_THRESH,
                  tau_theta=300.0, theta_plus=0.05, t_ref=2.0)
    pop = net.population(cell, n=1, name="z0", integrator="euler")

    # the tutorial's current: 10 steps of 0, then 190 steps of 0.3 (one row per step)
    current = np.concatenate([np.zeros(10), np.full(190, 0.3)])[:, None]
    net.current(pop, current)
    spikes = net.record(pop, "spikes")
    trace = net.record(pop, ["v", "I", "theta"])
    net.run(current.shape[0] * DT)  # 200 steps = 20 ms
    elapsed = time.perf_counter() - t0

    print(f"simulated {net.t:.1f} ms in {net.step} steps of {DT} ms ({elapsed:.2f} s incl. compilation)")
    print(f"spikes: {len(spikes)}")
    print("spike times (ms): " + " ".join(f"{t:.1f}" for t in spikes.times))
    print(f"final v: {trace.v[-1, 0]:.3f} mV, final theta: {trace.theta[-1, 0]:.4f} mV")

    fname = args.out / "ngclearn_lif.png"
    fs.plot.neuron(trace, spikes, threshold=V_THRESH, title="LIF-Node: Constant Electrical Input", fname=fname)
    print(f"wrote {fname}")


if __name__ == "__main__":
    main()
