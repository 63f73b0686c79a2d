"""Every cell model of fastspike under the same-shaped step current, in one figure.

Each model gets a step of current from 20 ms to 170 ms (of 200 ms), scaled to its own units
and excitability so that it fires: the Izhikevich and AdEx panels show several published
cell classes / firing patterns side by side, Hodgkin-Huxley is in uA/cm^2, and so on. The
membrane variable ``v`` of each model is plotted with its spikes marked.

Run::

    python examples/model_zoo.py               # writes examples/output/model_zoo.png
    python examples/model_zoo.py --out DIR --dt 0.025
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import fastspike as fs

ON, OFF, DURATION = 20.0, 170.0, 200.0  # ms

# panel title, [(label, model, amplitude of the step, integrator)], unit of v
PANELS = [
    ("LIF (tau_m = 10 ms), I in mV", [("LIF", fs.LIF(tau_m=10.0, t_ref=2.0), 20.0, "exact")], "mV"),
    ("QuadLIF (ngc-learn QuadLIFCell, a0 = 0.2, v_c = -45)",
     [("QuadLIF", fs.QuadLIF(tau_m=10.0, a0=0.2, v_c=-45.0, v_thresh=-40.0, t_ref=2.0), 40.0, "rk4")], "mV"),
    ("Izhikevich (2003): RS, IB, CH, FS; I = 10",
     [(name, fs.Izhikevich.preset(name), 10.0, "rk4") for name in ("RS", "IB", "CH", "FS")], "mV"),
    ("AdEx (Naud et al. 2008): tonic, adapting, initial burst, regular bursting; I in pA",
     [(name.replace("_", " "), fs.AdEx.preset(name), fs.AdEx.preset_current(name), "rk4")
      for name in ("tonic", "adapting", "initial_burst", "regular_bursting")], "mV"),
    ("FitzHugh-Nagumo (ngc-learn defaults), I = 0.5", [("FHN", fs.FitzHughNagumo(), 0.5, "rk4")], "(a.u.)"),
    ("Hodgkin-Huxley (1952), I = 10 uA/cm^2", [("HH", fs.HodgkinHuxley(), 10.0, "exponential_euler")], "mV"),
    ("Resonate-and-fire (omega = 0.3, b = -0.05, v_thresh = 1)",
     [("RAF", fs.ResonateAndFire(omega=0.3, b=-0.05), 0.2, "rk4")], "(a.u.)"),
    ("SLIF (Samadi et al. 2017; tau_m = 10 ms, threshold 1 + 0.05 per spike)",
     [("SLIF", fs.SLIF(tau_m=10.0, v_thresh=1.0, thr_gain=0.05), 1.5, "euler")], "(a.u.)"),
    ("WTAS (per-neuron form; tau_m = 5 ms, 4 units, threshold 0.5, t_ref = 2 ms)",
     [("WTAS", fs.WTAS(tau_m=5.0, n_units=4, thr_base=0.5, thr_gain=0.0, t_ref=2.0), 1.5, "euler")], "(a.u.)"),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dt", type=float, default=0.02, help="time step (ms)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "output",
                        help="folder for the PNG file (default: examples/output)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    net = fs.Network(dt=args.dt, seed=1)
    records = []
    for title, entries, unit in PANELS:
        panel = []
        for label, model, amplitude, integrator in entries:
            pop = net.population(model, n=1, name=f"{label}_{len(records)}", integrator=integrator)
            net.current(pop, fs.StepCurrent([ON, OFF], [amplitude, 0.0]))
            panel.append((label, net.record(pop, "v"), net.record(pop, "spikes"), amplitude))
        records.append((title, panel, unit))
    net.run(DURATION)
    elapsed = time.perf_counter() - t0
    print(f"{len(net.populations)} neurons of {len(PANELS)} model families, {DURATION:.0f} ms at dt = {args.dt} ms: "
          f"{elapsed:.2f} s (compilation included)")
    for title, panel, _ in records:
        for label, _, spikes, amplitude in panel:
            print(f"  {label:22s} I = {amplitude:7.2f}: {len(spikes):3d} spikes, "
                  f"{1000.0 * len(spikes) / (OFF - ON):6.1f} Hz during the step")

    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 2.0 * len(records)), constrained_layout=True)
    axes = fig.subplots(len(records), 1, sharex=True)
    for ax, (title, panel, unit) in zip(axes, records):
        for label, trace, spikes, _ in panel:
            line, = ax.plot(trace.times, trace.v[:, 0], lw=0.8, label=label)
            ax.plot(spikes.times, np.full(len(spikes), np.max(trace.v[:, 0])), "|", color=line.get_color(), ms=6)
        ax.axvspan(ON, OFF, color="0.92", zorder=0)
        ax.set_title(title, fontsize=9, loc="left")
        ax.set_ylabel(f"v {unit}", fontsize=8)
        if len(panel) > 1:
            ax.legend(fontsize=7, loc="upper right", ncol=len(panel))
    axes[-1].set_xlabel("time (ms); grey: step current on")
    path = args.out / "model_zoo.png"
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
