"""The LIF neuron of "Leaky Integrate and Fire neuron with Tensorflow" (D. Corvoysier, 2018).

The article's model (Gerstner & Kistler 2002, sec. 4.1)::

    tau_m du/dt = -u + R I,   spike when u > u_thresh, then u = u_rest for tau_rest

with forward-Euler steps (``u += du dt``). Here: ``fs.LIF`` with ``tau_m = 10`` ms, ``R = 1``,
``v_rest = v_reset = 0``, ``v_thresh = 1``, ``t_ref = 4`` ms (the article's "resting period",
during which the potential stays at ``u_rest``) and ``integrator="euler"``. The article does
not state its time step in the text; we use ``dt = 0.5`` ms.

Step 2: three square currents of 0.5, 1.2 and 1.5, each on for 100 ms with 50 ms gaps.
Since ``R I`` must exceed the threshold 1 for a neuron to fire, 0.5 gives no spike; 1.2
and 1.5 fire regularly, 1.5 faster.

Step 3: a noisy current, one normal sample per step (mean 1.5, sd 1.0, from ``net.rng``).
The article reports spikes at regular intervals; here they come about every 15 ms, the
time the mean drive 1.5 takes to charge the membrane from 0 to threshold (10 ln 3 = 11 ms)
plus the 4 ms resting period, the noise averaging out over the 20 steps of a membrane
time constant. The same is shown for 50 neurons, each with its own noise, as a raster
and a population rate histogram.

Run::

    python examples/tf_lif_article.py [--out DIR]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import fastspike as fs

DT = 0.5  # ms (not stated in the article)
T_REF = 4.0  # ms, the "resting period"
SQUARES = (0.5, 1.2, 1.5)  # current amplitudes (R = 1: mV of drive)
ON, GAP = 100.0, 50.0  # ms


def lif() -> fs.LIF:
    return fs.LIF(tau_m=10.0, R=1.0, v_rest=0.0, v_reset=0.0, v_thresh=1.0, t_ref=T_REF)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "output",
                        help="folder for the PNG files (default: examples/output)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the noisy currents")
    args = parser.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    # Step 2: square currents ------------------------------------------------------------
    net = fs.Network(dt=DT)
    pop = net.population(lif(), n=1, integrator="euler")
    starts = [GAP + k * (ON + GAP) for k in range(len(SQUARES))]
    times, amps = [], []
    for start, amp in zip(starts, SQUARES):
        times += [start, start + ON]
        amps += [amp, 0.0]
    net.current(pop, fs.StepCurrent(times, amps))
    spikes = net.record(pop, "spikes")
    trace = net.record(pop, ["v", "I"])
    net.run(starts[-1] + ON + GAP)
    for start, amp in zip(starts, SQUARES):
        inside = spikes.times[(spikes.times > start) & (spikes.times <= start + ON + GAP)]
        isi = f", mean interval {np.diff(inside).mean():.1f} ms" if inside.size > 1 else ""
        print(f"square {amp:.1f}: {inside.size} spikes{isi}")
    fs.plot.neuron(trace, spikes, threshold=1.0, title="Square input current, LIF neuron response",
                   fname=out / "tf_lif_squares.png")

    # Step 3: noisy current --------------------------------------------------------------
    duration, n = 200.0, 50
    steps = int(round(duration / DT))
    net = fs.Network(dt=DT, seed=args.seed)
    one = net.population(lif(), n=1, name="neuron", integrator="euler")
    many = net.population(lif(), n=n, name="population", integrator="euler")
    net.current(one, net.rng.normal(1.5, 1.0, size=(steps, 1)))
    net.current(many, net.rng.normal(1.5, 1.0, size=(steps, n)))
    spk_one = net.record(one, "spikes")
    trace_one = net.record(one, ["v", "I"])
    spk_many = net.record(many, "spikes")
    net.run(duration)
    isi = np.diff(spk_one.times)
    print(f"noisy current: {len(spk_one)} spikes in {duration:.0f} ms ({spk_one.rate():.1f} Hz), "
          f"shortest interval {isi.min() if isi.size else float('nan'):.1f} ms (resting period {T_REF} ms)")
    print(f"noisy current, {n} neurons: mean rate {spk_many.rate():.1f} Hz")
    fs.plot.neuron(trace_one, spk_one, threshold=1.0, title="Varying input current, LIF neuron response",
                   fname=out / "tf_lif_noise.png")
    fs.plot.raster(spk_many, title=f"{n} LIF neurons, independent noisy currents", fname=out / "tf_lif_raster.png")
    fs.plot.rate(spk_many, bin=5.0, title="Population rate (5 ms bins)", fname=out / "tf_lif_rate.png")
    print(f"wrote {len(list(out.glob('tf_lif_*.png')))} figures to {out}")


if __name__ == "__main__":
    main()
